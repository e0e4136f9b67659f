-- Amounts are BIGINT counts of ten-thousandths (exact on both backends; see README).
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    reference TEXT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    amount_received BIGINT NOT NULL DEFAULT 0,
    notify_url TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP,
    expires_at TIMESTAMP
);
CREATE INDEX orders_status_id ON orders (status, id);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    body TEXT NOT NULL,
    outcome TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE bank_transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    bank_ref TEXT,
    description TEXT NOT NULL,
    amount BIGINT NOT NULL,
    running_balance BIGINT,
    occurred_at TIMESTAMP,
    account TEXT,
    status TEXT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    candidates TEXT NOT NULL DEFAULT '',
    delivery_id BIGINT REFERENCES webhook_deliveries (id),
    received_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX bank_transactions_status_id ON bank_transactions (status, id);
CREATE INDEX bank_transactions_order_id ON bank_transactions (order_id);

CREATE TABLE rejected_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    position INTEGER NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX rejected_items_delivery ON rejected_items (delivery_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE admin_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
