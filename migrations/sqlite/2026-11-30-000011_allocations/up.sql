-- What each order received of an applied transfer: one row for a single match, one per order
-- for a transfer that paid several (combined, or split by an admin). An order's
-- amount_received is the sum of its rows.
CREATE TABLE allocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id BIGINT NOT NULL REFERENCES bank_transactions (id),
    order_id BIGINT NOT NULL REFERENCES orders (id),
    amount BIGINT NOT NULL,
    UNIQUE (transaction_id, order_id)
);
CREATE INDEX allocations_order ON allocations (order_id);

-- Every transfer applied today (matched automatically or linked by an admin) paid one order,
-- all of its amount.
INSERT INTO allocations (transaction_id, order_id, amount)
SELECT id, order_id, amount FROM bank_transactions
WHERE status = 'matched' AND order_id IS NOT NULL ORDER BY id;
