ALTER TABLE reconcile_runs DROP COLUMN source;
