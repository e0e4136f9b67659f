-- Who sent each transfer: the provider's counter account (Casso v2), or the name its
-- description tells. Transfers stored before keep none.
ALTER TABLE bank_transactions ADD COLUMN payer_name TEXT;
ALTER TABLE bank_transactions ADD COLUMN payer_account TEXT;
ALTER TABLE bank_transactions ADD COLUMN payer_bank TEXT;
