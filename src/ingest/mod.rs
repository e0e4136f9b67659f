//! Ingestion: provider payloads in, recorded and matched transactions out.
//!
//! What every provider shares (an element, the envelope error, provider times) and the reading
//! of Casso's webhook bodies live in `paymatch_core::ingest`, pure; this module records and
//! matches what they read. Each provider is a folder (`casso/`, `sepay/`).

pub mod casso;
pub mod decide;
pub mod history;
pub mod http;
pub mod pipeline;
pub mod reading;
pub mod resolve;
pub mod sepay;
pub mod split;
pub mod suggest;

pub use crate::domain::IncomingTransfer;
pub use paymatch_core::ingest::{
    distinct_keys, integer_id, parse_when, text_of, Element, EnvelopeError, Rejection,
};
pub use pipeline::{apply_transfer, ingest_delivery, DeliveryReport, TransferOutcome};
pub use reading::{lane_key, read_delivery, ReadElement, ReadTransfer};
