-- The count and money of the transfers in each waiting status, kept as they change, so that the
-- queue's tabs and totals and the admin's badge read four rows instead of every waiting
-- transfer (`db/queries/tallies.rs`). Only waiting statuses: a matched transfer, the write path's
-- usual case, touches no tally (and so no row that every writer would queue for). Money is kept
-- as the high and low 32 bits of the amounts' sums, as the totals are computed.
CREATE TABLE transfer_tallies (
    status TEXT PRIMARY KEY NOT NULL,
    transfers BIGINT NOT NULL,
    in_high BIGINT NOT NULL,
    in_low BIGINT NOT NULL,
    out_high BIGINT NOT NULL,
    out_low BIGINT NOT NULL
);

INSERT INTO transfer_tallies (status, transfers, in_high, in_low, out_high, out_low)
SELECT w.status, count(t.id),
       coalesce(sum(CASE WHEN t.amount > 0 THEN t.amount >> 32 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN t.amount > 0 THEN t.amount & 4294967295 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN t.amount < 0 THEN t.amount >> 32 ELSE 0 END), 0),
       coalesce(sum(CASE WHEN t.amount < 0 THEN t.amount & 4294967295 ELSE 0 END), 0)
FROM (VALUES ('unmatched'), ('unknown_order'), ('ambiguous'), ('order_closed')) AS w (status)
LEFT JOIN bank_transactions t ON t.status = w.status
GROUP BY w.status;

-- Adds `sign` (1 or -1) times a transfer to its status's tally, if that status is tallied.
CREATE FUNCTION transfer_tallies_add(tally_status TEXT, amount BIGINT, sign BIGINT)
RETURNS void LANGUAGE sql AS $$
    UPDATE transfer_tallies SET
        transfers = transfers + sign,
        in_high = in_high + sign * (CASE WHEN amount > 0 THEN amount >> 32 ELSE 0 END),
        in_low = in_low + sign * (CASE WHEN amount > 0 THEN amount & 4294967295 ELSE 0 END),
        out_high = out_high + sign * (CASE WHEN amount < 0 THEN amount >> 32 ELSE 0 END),
        out_low = out_low + sign * (CASE WHEN amount < 0 THEN amount & 4294967295 ELSE 0 END)
    WHERE status = tally_status;
$$;

CREATE FUNCTION transfer_tallies_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM transfer_tallies_add(OLD.status, OLD.amount, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM transfer_tallies_add(NEW.status, NEW.amount, 1);
    END IF;
    RETURN NULL;
END;
$$;

-- The WHEN clauses keep the trigger from running at all for the usual write: a transfer
-- stored as matched, or a status change between untallied statuses.
CREATE TRIGGER transfer_tallies_insert AFTER INSERT ON bank_transactions FOR EACH ROW
    WHEN (NEW.status IN ('unmatched', 'unknown_order', 'ambiguous', 'order_closed'))
    EXECUTE FUNCTION transfer_tallies_follow();
CREATE TRIGGER transfer_tallies_update AFTER UPDATE OF status, amount ON bank_transactions
    FOR EACH ROW
    WHEN ((OLD.status IS DISTINCT FROM NEW.status OR OLD.amount IS DISTINCT FROM NEW.amount)
          AND (OLD.status IN ('unmatched', 'unknown_order', 'ambiguous', 'order_closed')
               OR NEW.status IN ('unmatched', 'unknown_order', 'ambiguous', 'order_closed')))
    EXECUTE FUNCTION transfer_tallies_follow();
CREATE TRIGGER transfer_tallies_delete AFTER DELETE ON bank_transactions FOR EACH ROW
    WHEN (OLD.status IN ('unmatched', 'unknown_order', 'ambiguous', 'order_closed'))
    EXECUTE FUNCTION transfer_tallies_follow();

-- The queue's search reads the trigram index of waiting transfers alone: a term common among
-- matched ones (`1006`) makes the whole table's index hand over 100,000 candidate rows to
-- recheck. The predicate is the one `db/search.rs` (`contains_waiting`) writes, so the planner
-- can prove that its queries fall inside it.
CREATE INDEX bank_transactions_waiting_search ON bank_transactions
    USING gin (search_text gin_trgm_ops)
    WHERE status IN ('unmatched', 'unknown_order', 'ambiguous', 'order_closed');
