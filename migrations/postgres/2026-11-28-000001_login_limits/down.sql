DROP INDEX admin_sessions_expires_at;
DROP INDEX admin_sessions_user;
DROP INDEX login_failures_failed_at;
DROP INDEX login_failures_user_address;
CREATE INDEX login_failures_user ON login_failures (user_name, failed_at);
