-- Each admin user's role: owner (everything), staff (works the queue and orders) or viewer
-- (reads and exports). Users from before roles are owners.
ALTER TABLE admin_users ADD COLUMN role TEXT NOT NULL DEFAULT 'owner';
