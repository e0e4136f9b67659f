//! paymatch's pure core: no I/O, nothing of the database or the web.
//!
//! - `domain`: money, order codes, orders and their status, transactions, history.
//! - `matching`: from a bank description to a decision (the one reading of text, patterns).
//! - `ingest`: what providers' webhook bodies hold (Casso v1 and v2), read into elements.
//!
//! The service (`paymatch`) records and serves what this decides; the fuzz targets build this
//! crate alone.

pub mod domain;
pub mod ingest;
pub mod matching;
