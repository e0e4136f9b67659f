//! Integration tests: the real service over HTTP, each test on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

mod helpers;

mod accounts;
mod admin;
mod admin_data;
mod admin_orders;
mod admin_security;
mod alerts;
mod amounts;
mod api;
mod axe;
mod browser;
mod browser_pay;
mod checkout;
mod cli;
mod client_address;
mod combined;
mod confirm;
mod crash;
mod customers;
mod decisions;
mod extremes;
mod faults;
mod group_commit;
mod history;
mod migrations;
mod notifications;
mod notify_security;
mod pay;
mod payer;
mod prepared;
mod properties;
mod public_links;
mod queue_suggestions;
mod reconcile;
mod records;
mod roles;
mod search;
mod security;
mod sepay;
mod tls;
mod wal;
mod webhook_v2;
mod webhooks;
mod workbooks;
