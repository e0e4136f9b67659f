-- Read by no query (lists and reports go by the bank's time, `bank_transactions_status_bank_time`),
-- yet written by every stored transfer.
DROP INDEX bank_transactions_received;

-- New transfers enter the search index once per write transaction, from the writer
-- (`db/search.rs`, `SearchIndex`), instead of one FTS5 segment per insert.
DROP TRIGGER bank_transactions_search_insert;

-- A list's suggestions, read by index for each waiting row (`ingest/suggest.rs`, `Reach::Row`):
-- open orders due an amount made around a transfer, and the newest open orders with a
-- customer. Neither is written by a credit that leaves the status as it was.
CREATE INDEX orders_amount_created ON orders (amount, created_at);
CREATE INDEX orders_open_named ON orders (id)
    WHERE customer_name IS NOT NULL AND status IN ('pending', 'partially_paid');
