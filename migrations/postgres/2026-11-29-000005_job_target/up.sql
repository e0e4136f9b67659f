-- Where a notification goes (host:port of its URL, or "default" for PAYMATCH_NOTIFY_URL):
-- the worker claims no job for a target that already has its share of deliveries in flight.
-- NULL for jobs that have no target (reconciliation).
ALTER TABLE jobs ADD COLUMN target TEXT;
