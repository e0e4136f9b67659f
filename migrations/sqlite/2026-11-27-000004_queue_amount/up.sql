-- The admin queue's amount filter: the waiting transactions of one reason within an amount
-- range, found without walking the whole backlog of that reason.
CREATE INDEX bank_transactions_status_amount ON bank_transactions (status, amount);
