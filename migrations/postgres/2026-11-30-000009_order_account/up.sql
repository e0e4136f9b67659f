-- The receiving account an order asks to be paid into (its number). Orders from before have
-- none and read as the default account.
ALTER TABLE orders ADD COLUMN account TEXT;
