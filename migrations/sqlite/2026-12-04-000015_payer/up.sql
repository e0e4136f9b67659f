-- Who sent each transfer: the provider's counter account (Casso v2), or the name its
-- description tells. Transfers stored before keep none.
ALTER TABLE bank_transactions ADD COLUMN payer_name TEXT;
ALTER TABLE bank_transactions ADD COLUMN payer_account TEXT;
ALTER TABLE bank_transactions ADD COLUMN payer_bank TEXT;
-- Which customers an account paid before, for the admin's suggestions.
CREATE INDEX bank_transactions_payer_account ON bank_transactions (payer_account)
    WHERE payer_account IS NOT NULL;
