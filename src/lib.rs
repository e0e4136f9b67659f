//! paymatch: matches bank transfers reported by Casso to shop orders.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod ingest;
pub mod jobs;
pub mod matching;
pub mod metrics;
pub mod notify;
pub mod proxies;
pub mod reconcile;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod vietqr;
pub mod views;
pub mod web;

pub use startup::Application;
