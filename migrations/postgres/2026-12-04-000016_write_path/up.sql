-- Read by no query (lists and reports go by the bank's time, `bank_transactions_status_bank_time`),
-- yet written by every stored transfer.
DROP INDEX bank_transactions_received;
