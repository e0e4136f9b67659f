//! Shop notifications: what paymatch sends to storefronts when an order changes.

pub mod deliver;
pub mod outbox;
pub mod signing;
pub mod target;

pub use signing::{NotifySecretError, NotifySigner};
