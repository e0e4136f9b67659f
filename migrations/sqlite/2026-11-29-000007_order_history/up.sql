-- Every change of an order, oldest first, with its cause (`by`) and the state before and
-- after: an undo restores the "before" of the change it takes back.
CREATE TABLE order_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    at TIMESTAMP NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    status_before TEXT,
    status_after TEXT NOT NULL,
    amount_received_before BIGINT,
    amount_received_after BIGINT NOT NULL,
    paid_at_before TIMESTAMP,
    paid_at_after TIMESTAMP,
    transaction_id BIGINT REFERENCES bank_transactions (id)
);
CREATE INDEX order_history_order ON order_history (order_id, id);
CREATE INDEX order_history_transaction ON order_history (transaction_id);

-- What today's data can tell: each order was created, and has come to its current state.
INSERT INTO order_history (order_id, at, event, actor, status_after, amount_received_after)
SELECT id, created_at, 'created', 'api', 'pending', 0 FROM orders ORDER BY id;
INSERT INTO order_history (order_id, at, event, actor, status_before, status_after,
                           amount_received_before, amount_received_after, paid_at_after)
SELECT id, updated_at, 'imported', 'migration', 'pending', status, 0, amount_received, paid_at
FROM orders WHERE status <> 'pending' OR amount_received <> 0 ORDER BY id;
