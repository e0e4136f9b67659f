-- Each reconciliation run names the provider whose API it read; earlier runs were Casso's.
ALTER TABLE reconcile_runs ADD COLUMN source TEXT NOT NULL DEFAULT 'casso';
