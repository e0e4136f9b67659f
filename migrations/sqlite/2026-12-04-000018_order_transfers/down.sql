DROP TABLE allocations_before_history;
CREATE INDEX allocations_order ON allocations (order_id);
DROP INDEX bank_transactions_order_named;
CREATE INDEX bank_transactions_order_id ON bank_transactions (order_id);
