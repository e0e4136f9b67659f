DROP INDEX orders_open_named;
DROP INDEX orders_amount_created;
CREATE INDEX bank_transactions_received ON bank_transactions (received_at);
