//! Integration tests: the real service over HTTP, each test on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

mod helpers;

mod amounts;
mod api;
mod cli;
mod crash;
mod migrations;
mod webhooks;
