-- The count and money of the transfers in each waiting status, kept as they change, so that the
-- queue's tabs and totals and the admin's badge read four rows instead of every waiting
-- transfer (`db/queries/tallies.rs`). Only waiting statuses: a matched transfer, the write path's
-- usual case, touches no tally. Money is kept as the high and low 32 bits of the amounts'
-- sums, as the totals are computed (a BIGINT sum of amounts could overflow).
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
FROM (SELECT 'unmatched' AS status UNION ALL SELECT 'unknown_order'
      UNION ALL SELECT 'ambiguous' UNION ALL SELECT 'order_closed') AS w
LEFT JOIN bank_transactions t ON t.status = w.status
GROUP BY w.status;

CREATE TRIGGER transfer_tallies_insert AFTER INSERT ON bank_transactions
WHEN NEW.status IN ('unmatched', 'unknown_order', 'ambiguous', 'order_closed')
BEGIN
    UPDATE transfer_tallies SET
        transfers = transfers + 1,
        in_high = in_high + (CASE WHEN NEW.amount > 0 THEN NEW.amount >> 32 ELSE 0 END),
        in_low = in_low + (CASE WHEN NEW.amount > 0 THEN NEW.amount & 4294967295 ELSE 0 END),
        out_high = out_high + (CASE WHEN NEW.amount < 0 THEN NEW.amount >> 32 ELSE 0 END),
        out_low = out_low + (CASE WHEN NEW.amount < 0 THEN NEW.amount & 4294967295 ELSE 0 END)
    WHERE status = NEW.status;
END;

CREATE TRIGGER transfer_tallies_leave AFTER UPDATE OF status, amount ON bank_transactions
WHEN OLD.status IN ('unmatched', 'unknown_order', 'ambiguous', 'order_closed')
    AND (OLD.status IS NOT NEW.status OR OLD.amount IS NOT NEW.amount)
BEGIN
    UPDATE transfer_tallies SET
        transfers = transfers - 1,
        in_high = in_high - (CASE WHEN OLD.amount > 0 THEN OLD.amount >> 32 ELSE 0 END),
        in_low = in_low - (CASE WHEN OLD.amount > 0 THEN OLD.amount & 4294967295 ELSE 0 END),
        out_high = out_high - (CASE WHEN OLD.amount < 0 THEN OLD.amount >> 32 ELSE 0 END),
        out_low = out_low - (CASE WHEN OLD.amount < 0 THEN OLD.amount & 4294967295 ELSE 0 END)
    WHERE status = OLD.status;
END;

CREATE TRIGGER transfer_tallies_enter AFTER UPDATE OF status, amount ON bank_transactions
WHEN NEW.status IN ('unmatched', 'unknown_order', 'ambiguous', 'order_closed')
    AND (OLD.status IS NOT NEW.status OR OLD.amount IS NOT NEW.amount)
BEGIN
    UPDATE transfer_tallies SET
        transfers = transfers + 1,
        in_high = in_high + (CASE WHEN NEW.amount > 0 THEN NEW.amount >> 32 ELSE 0 END),
        in_low = in_low + (CASE WHEN NEW.amount > 0 THEN NEW.amount & 4294967295 ELSE 0 END),
        out_high = out_high + (CASE WHEN NEW.amount < 0 THEN NEW.amount >> 32 ELSE 0 END),
        out_low = out_low + (CASE WHEN NEW.amount < 0 THEN NEW.amount & 4294967295 ELSE 0 END)
    WHERE status = NEW.status;
END;

CREATE TRIGGER transfer_tallies_delete AFTER DELETE ON bank_transactions
WHEN OLD.status IN ('unmatched', 'unknown_order', 'ambiguous', 'order_closed')
BEGIN
    UPDATE transfer_tallies SET
        transfers = transfers - 1,
        in_high = in_high - (CASE WHEN OLD.amount > 0 THEN OLD.amount >> 32 ELSE 0 END),
        in_low = in_low - (CASE WHEN OLD.amount > 0 THEN OLD.amount & 4294967295 ELSE 0 END),
        out_high = out_high - (CASE WHEN OLD.amount < 0 THEN OLD.amount >> 32 ELSE 0 END),
        out_low = out_low - (CASE WHEN OLD.amount < 0 THEN OLD.amount & 4294967295 ELSE 0 END)
    WHERE status = OLD.status;
END;
