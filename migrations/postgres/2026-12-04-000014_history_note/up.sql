-- Why an admin made a change, in their words: an accept's reason, a refund's note.
ALTER TABLE order_history ADD COLUMN note TEXT;
