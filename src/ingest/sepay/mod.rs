//! SePay: its webhook (`Authorization: Apikey <key>`, one transaction per delivery) and the
//! transactions list that reconciliation reads. Both map SePay's shapes onto the
//! provider-neutral elements of `ingest`; a transfer is `sepay:<SePay's id>` either way, so one
//! delivered both ways is stored once.

pub mod api;
pub mod webhook;
