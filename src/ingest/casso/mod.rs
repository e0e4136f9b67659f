//! Casso: webhook v1 (`Secure-Token`), webhook v2 (`X-Casso-Signature`) and the API that
//! reconciliation reads. Each maps Casso's shapes onto the provider-neutral elements of `ingest`.

pub mod api;
pub mod v1;
pub mod v2;

pub use v1::V2_TEST_REFERENCE;
