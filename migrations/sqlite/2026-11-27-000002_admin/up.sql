-- Admin sessions: the cookie holds a random token, the database only its SHA-256.
CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_name TEXT NOT NULL REFERENCES admin_users (name) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Failed logins, counted per account and per address to slow down guessing.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name TEXT NOT NULL,
    address TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (user_name, failed_at);
CREATE INDEX login_failures_address ON login_failures (address, failed_at);

-- Every admin action: who, when, what, and the state before and after (JSON).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);

-- What an admin decided about a transaction that waited, and why it waited.
ALTER TABLE bank_transactions ADD COLUMN waiting_reason TEXT;
ALTER TABLE bank_transactions ADD COLUMN resolution TEXT;
ALTER TABLE bank_transactions ADD COLUMN resolution_note TEXT;
ALTER TABLE bank_transactions ADD COLUMN resolved_by TEXT;
ALTER TABLE bank_transactions ADD COLUMN resolved_at TIMESTAMP;
CREATE INDEX bank_transactions_received ON bank_transactions (received_at);

ALTER TABLE rejected_items ADD COLUMN resolution_note TEXT;
ALTER TABLE rejected_items ADD COLUMN resolved_by TEXT;
ALTER TABLE rejected_items ADD COLUMN resolved_at TIMESTAMP;

CREATE INDEX orders_reference ON orders (reference);
CREATE INDEX orders_paid_at ON orders (paid_at);
