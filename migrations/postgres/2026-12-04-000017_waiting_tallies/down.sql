DROP INDEX bank_transactions_waiting_search;
DROP TRIGGER transfer_tallies_delete ON bank_transactions;
DROP TRIGGER transfer_tallies_update ON bank_transactions;
DROP TRIGGER transfer_tallies_insert ON bank_transactions;
DROP FUNCTION transfer_tallies_follow();
DROP FUNCTION transfer_tallies_add(TEXT, BIGINT, BIGINT);
DROP TABLE transfer_tallies;
