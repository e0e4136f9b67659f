//! paymatch: matches bank transfers reported by Casso to shop orders.

pub mod alerts;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod ingest;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod orders;
pub mod proxies;
pub mod reconcile;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod users;
pub mod vietqr;
pub mod views;
pub mod web;

// The pure core (domain types, matching, reading webhook bodies) is a crate of its own, so that
// nothing in it can reach the database or the web, and the fuzz targets build it alone.
pub use paymatch_core::{domain, matching};

pub use startup::Application;
