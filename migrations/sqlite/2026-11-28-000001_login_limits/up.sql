-- Login failures are limited per (user, client address) and per address, never per user alone
-- (anyone could lock the owner out); old rows and expired sessions are purged by time.
DROP INDEX login_failures_user;
CREATE INDEX login_failures_user_address ON login_failures (user_name, address, failed_at);
CREATE INDEX login_failures_failed_at ON login_failures (failed_at);
CREATE INDEX admin_sessions_user ON admin_sessions (user_name);
CREATE INDEX admin_sessions_expires_at ON admin_sessions (expires_at);
