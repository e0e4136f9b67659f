-- Admin text search: `search_text` is the matcher's normalised form (no diacritics, upper
-- case) of what admins look for, written by paymatch; FTS5 trigram tables index it so that
-- `q=` finds any part of it without reading the whole table. Rows of older versions have
-- none yet: paymatch fills them at start, finding them by the partial index. A row is in the
-- FTS5 index exactly when its search_text is not NULL: an FTS5 'delete' of values that were
-- never indexed would corrupt the index.
ALTER TABLE bank_transactions ADD COLUMN search_text TEXT;
ALTER TABLE orders ADD COLUMN search_text TEXT;
CREATE INDEX bank_transactions_unsearchable ON bank_transactions (id) WHERE search_text IS NULL;
CREATE INDEX orders_unsearchable ON orders (id) WHERE search_text IS NULL;

CREATE VIRTUAL TABLE bank_transactions_search USING fts5(
    search_text, content = 'bank_transactions', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER bank_transactions_search_insert AFTER INSERT ON bank_transactions BEGIN
    INSERT INTO bank_transactions_search (rowid, search_text) SELECT new.id, new.search_text
    WHERE new.search_text IS NOT NULL;
END;
CREATE TRIGGER bank_transactions_search_delete AFTER DELETE ON bank_transactions BEGIN
    INSERT INTO bank_transactions_search (bank_transactions_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
END;
CREATE TRIGGER bank_transactions_search_update AFTER UPDATE OF search_text ON bank_transactions
BEGIN
    INSERT INTO bank_transactions_search (bank_transactions_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO bank_transactions_search (rowid, search_text) SELECT new.id, new.search_text
    WHERE new.search_text IS NOT NULL;
END;

CREATE VIRTUAL TABLE orders_search USING fts5(
    search_text, content = 'orders', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER orders_search_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_search (rowid, search_text) SELECT new.id, new.search_text
    WHERE new.search_text IS NOT NULL;
END;
CREATE TRIGGER orders_search_delete AFTER DELETE ON orders BEGIN
    INSERT INTO orders_search (orders_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
END;
CREATE TRIGGER orders_search_update AFTER UPDATE OF search_text ON orders BEGIN
    INSERT INTO orders_search (orders_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO orders_search (rowid, search_text) SELECT new.id, new.search_text
    WHERE new.search_text IS NOT NULL;
END;
