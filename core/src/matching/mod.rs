//! Pure matching: from a bank description to a decision. No I/O here.

pub mod matcher;
pub mod normalise;
pub mod patterns;
pub mod payer;

pub use matcher::{decide, read, MatchDecision, Reading};
pub use normalise::normalise;
pub use patterns::{PatternError, Patterns, DEFAULT_PATTERN};
pub use payer::{match_by_payer, payer_in_description, NotByPayer, PayerRule};

#[cfg(test)]
mod tests;
