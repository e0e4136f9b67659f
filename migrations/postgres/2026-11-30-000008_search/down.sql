-- The extension stays: other schemas of the database may use it.
DROP INDEX orders_search;
DROP INDEX bank_transactions_search;
DROP INDEX orders_unsearchable;
DROP INDEX bank_transactions_unsearchable;
ALTER TABLE orders DROP COLUMN search_text;
ALTER TABLE bank_transactions DROP COLUMN search_text;
