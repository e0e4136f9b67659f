-- New transfers enter the FTS5 index in steps of a few hundred (`db/search.rs`,
-- `SearchIndex`) rather than in every write transaction: each step is a segment FTS5 later
-- merges, and writing one per group commit cost a fifth of SQLite's webhook rate and most of
-- its p99 at 1,000/s. Transfers after `through` are not in the index yet; a search reads them
-- from the table. The triggers keep the index right for rows already in it and leave the
-- others to the next step (an FTS5 'delete' of values never indexed corrupts the index).
CREATE TABLE bank_transactions_indexed (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    through BIGINT NOT NULL
);
INSERT INTO bank_transactions_indexed (one, through)
    SELECT 1, COALESCE(MAX(id), 0) FROM bank_transactions;

DROP TRIGGER bank_transactions_search_delete;
CREATE TRIGGER bank_transactions_search_delete AFTER DELETE ON bank_transactions BEGIN
    INSERT INTO bank_transactions_search (bank_transactions_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text FROM bank_transactions_indexed
    WHERE old.search_text IS NOT NULL AND old.id <= through;
END;
DROP TRIGGER bank_transactions_search_update;
CREATE TRIGGER bank_transactions_search_update AFTER UPDATE OF search_text ON bank_transactions
BEGIN
    INSERT INTO bank_transactions_search (bank_transactions_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text FROM bank_transactions_indexed
    WHERE old.search_text IS NOT NULL AND old.id <= through;
    INSERT INTO bank_transactions_search (rowid, search_text)
    SELECT new.id, new.search_text FROM bank_transactions_indexed
    WHERE new.search_text IS NOT NULL AND new.id <= through;
END;
