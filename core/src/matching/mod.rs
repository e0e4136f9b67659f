//! Pure matching: from a bank description to a decision. No I/O here.

pub mod matcher;
pub mod normalise;
pub mod patterns;

pub use matcher::{decide, read, MatchDecision, Reading};
pub use normalise::normalise;
pub use patterns::{PatternError, Patterns, DEFAULT_PATTERN};

#[cfg(test)]
mod tests;
