DROP INDEX orders_expiry;
DROP TABLE reconcile_runs;
DROP TABLE jobs;
