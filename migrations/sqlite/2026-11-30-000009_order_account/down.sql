ALTER TABLE orders DROP COLUMN account;
