//! Pure domain types: no I/O here.

pub mod allocation;
pub mod amount_input;
pub mod code;
pub mod customer;
pub mod decision;
pub mod history;
pub mod money;
pub mod order;
pub mod transaction;

pub use allocation::{Allocation, SplitError};
pub use amount_input::{parse_amount_input, AmountInputError};
pub use code::OrderCode;
pub use customer::{Customer, CustomerError};
pub use decision::{Decision, DecisionError};
pub use history::{Cause, HistoryEntry, HistoryEvent, OrderState, TransferRef};
pub use money::Money;
pub use order::{Order, OrderStatus};
pub use transaction::{
    BankTransaction, IncomingTransfer, MatchedBy, Payer, Resolution, Source, TransactionStatus,
};

/// Every admin password, however it is set, has at least this many characters.
pub const MIN_PASSWORD_LEN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a password needs at least {MIN_PASSWORD_LEN} characters, and not only spaces")]
pub struct WeakPassword;

/// The one rule for an admin password, wherever it is set (configuration, CLI, admin): at
/// least [`MIN_PASSWORD_LEN`] characters, not all of them whitespace (ten spaces count ten).
pub fn check_password(password: &str) -> Result<(), WeakPassword> {
    if password.chars().count() < MIN_PASSWORD_LEN || password.trim().is_empty() {
        return Err(WeakPassword);
    }
    Ok(())
}

/// The current time, to the microsecond: what both databases keep.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// Vietnam time (UTC+7): the shop's and its bank's clock, where provider times carry no offset.
pub fn vietnam() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).expect("a valid offset")
}
