//! Casso's webhook bodies: v1 (`Secure-Token`) and v2 (`X-Casso-Signature`).

pub mod v1;
pub mod v2;

pub use v1::V2_TEST_REFERENCE;
