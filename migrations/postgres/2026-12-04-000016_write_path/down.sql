CREATE INDEX bank_transactions_received ON bank_transactions (received_at);
