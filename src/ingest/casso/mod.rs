//! Casso: webhook v1 (`Secure-Token`), webhook v2 (`X-Casso-Signature`) and the API that
//! reconciliation reads. The webhook bodies are read in `paymatch_core` (pure, fuzzed on their
//! own); each maps Casso's shapes onto the provider-neutral elements of `ingest`.

pub mod api;
pub use paymatch_core::ingest::casso::{v1, v2, V2_TEST_REFERENCE};
