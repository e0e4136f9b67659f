-- Read by no query (lists and reports go by the bank's time, `bank_transactions_status_bank_time`),
-- yet written by every stored transfer.
DROP INDEX bank_transactions_received;

-- New transfers enter the search index once per write transaction, from the writer
-- (`db/search.rs`, `SearchIndex`), instead of one FTS5 segment per insert.
DROP TRIGGER bank_transactions_search_insert;
