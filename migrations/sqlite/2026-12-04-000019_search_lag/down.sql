-- Index what the table holds beyond the index first: after this, every transfer is indexed
-- by its write transaction again.
INSERT INTO bank_transactions_search (rowid, search_text)
    SELECT id, search_text FROM bank_transactions
    WHERE search_text IS NOT NULL AND id > (SELECT through FROM bank_transactions_indexed);
DROP TRIGGER bank_transactions_search_update;
CREATE TRIGGER bank_transactions_search_update AFTER UPDATE OF search_text ON bank_transactions
BEGIN
    INSERT INTO bank_transactions_search (bank_transactions_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO bank_transactions_search (rowid, search_text) SELECT new.id, new.search_text
    WHERE new.search_text IS NOT NULL;
END;
DROP TRIGGER bank_transactions_search_delete;
CREATE TRIGGER bank_transactions_search_delete AFTER DELETE ON bank_transactions BEGIN
    INSERT INTO bank_transactions_search (bank_transactions_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
END;
DROP TABLE bank_transactions_indexed;
