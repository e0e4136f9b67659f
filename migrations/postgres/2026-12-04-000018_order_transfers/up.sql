-- A webhook's writes to pages picked by its order are the ones a commit writes out whole, one
-- page each (SQLite: a 4 KiB WAL frame): the order and its history need theirs; two index
-- entries that repeated them do not (issue 25).
--
-- A transfer that paid an order is found through the order's history, where each credit
-- records its transfer, and its allocation; the order index of transfers keeps only those that
-- name an order without having paid it, spelled as `transactions_of` asks for them.
DROP INDEX bank_transactions_order_id;
CREATE INDEX bank_transactions_order_named ON bank_transactions (order_id)
    WHERE order_id IS NOT NULL AND status <> 'matched';
DROP INDEX allocations_order;

-- Allocations whose credit has no history row (migration 000011 gave one to every transfer
-- matched before then, some before order history existed), listed once by their order.
CREATE TABLE allocations_before_history (
    order_id BIGINT NOT NULL REFERENCES orders (id),
    transaction_id BIGINT NOT NULL REFERENCES bank_transactions (id),
    PRIMARY KEY (order_id, transaction_id)
);
INSERT INTO allocations_before_history (order_id, transaction_id)
SELECT a.order_id, a.transaction_id FROM allocations a
WHERE NOT EXISTS (
    SELECT 1 FROM order_history h
    WHERE h.transaction_id = a.transaction_id AND h.order_id = a.order_id
);
