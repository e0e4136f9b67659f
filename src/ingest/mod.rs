//! Ingestion: provider payloads in, recorded and matched transactions out.

pub mod casso;
pub mod casso_v2;
pub mod distinct_keys;
pub mod history;
pub mod pipeline;
pub mod resolve;
pub mod split;
pub mod suggest;

pub use pipeline::{apply_transfer, ingest_delivery, DeliveryReport, TransferOutcome};
