-- Admin text search: `search_text` is the matcher's normalised form (no diacritics, upper
-- case) of what admins look for, written by paymatch; pg_trgm GIN indexes serve
-- `LIKE '%…%'` on it. Rows of older versions have none yet: paymatch fills them at start,
-- finding them by the partial index. pg_trgm ships with PostgreSQL (contrib); a managed
-- service must allow it (RDS, Cloud SQL and Azure do) and the migrating role must be allowed
-- to create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE bank_transactions ADD COLUMN search_text TEXT;
ALTER TABLE orders ADD COLUMN search_text TEXT;
CREATE INDEX bank_transactions_unsearchable ON bank_transactions (id) WHERE search_text IS NULL;
CREATE INDEX orders_unsearchable ON orders (id) WHERE search_text IS NULL;
CREATE INDEX bank_transactions_search ON bank_transactions USING gin (search_text gin_trgm_ops);
CREATE INDEX orders_search ON orders USING gin (search_text gin_trgm_ops);
