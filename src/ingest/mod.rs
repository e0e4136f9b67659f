//! Ingestion: provider payloads in, recorded and matched transactions out.

pub mod casso;
pub mod pipeline;

pub use pipeline::{apply_transfer, ingest_delivery, DeliveryReport, TransferOutcome};
