DROP INDEX bank_transactions_payer_account;
ALTER TABLE bank_transactions DROP COLUMN payer_bank;
ALTER TABLE bank_transactions DROP COLUMN payer_account;
ALTER TABLE bank_transactions DROP COLUMN payer_name;
