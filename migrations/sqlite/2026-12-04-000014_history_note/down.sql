ALTER TABLE order_history DROP COLUMN note;
