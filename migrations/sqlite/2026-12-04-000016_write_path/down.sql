DROP INDEX orders_open_named;
DROP INDEX orders_amount_created;
CREATE INDEX bank_transactions_received ON bank_transactions (received_at);
CREATE TRIGGER bank_transactions_search_insert AFTER INSERT ON bank_transactions BEGIN
    INSERT INTO bank_transactions_search (rowid, search_text) SELECT new.id, new.search_text
    WHERE new.search_text IS NOT NULL;
END;
