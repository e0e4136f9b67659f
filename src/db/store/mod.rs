//! The queries paymatch needs, one trait per aggregate, the same on every backend.

mod admin;
mod audit;
mod jobs;
mod orders;
mod reports;
mod transactions;

pub use admin::AdminStore;
pub use audit::{AuditStore, ReconcileTotals};
pub use jobs::{JobStatus, JobStore, Settlement};
pub use orders::{AmountWindow, OrderFilter, OrderStore};
pub use reports::{Count, Reports, Totals, TransferFilter};
pub use transactions::{Decided, DeliveryCounts, Received, TransactionStore};

use super::StoreError;

/// Every query of every aggregate, and the transaction they run in: code above `db` is
/// generic over `S: Store`.
pub trait Store: AdminStore + AuditStore + JobStore + OrderStore + TransactionStore {
    /// Runs `f` in a write transaction that holds its rows until commit (SQLite `BEGIN
    /// IMMEDIATE`; PostgreSQL rows are locked with `FOR UPDATE` where it matters). Retried when
    /// the database reports a deadlock or serialisation failure, so `f` may run more than once.
    /// Any error rolls everything back.
    fn write<T, F>(&mut self, f: F) -> Result<T, StoreError>
    where
        F: FnMut(&mut Self) -> Result<T, StoreError>;

    /// Gives rows stored before admin search existed their search text; how many it filled.
    fn fill_search_text(&mut self) -> Result<usize, StoreError>;

    fn ping(&mut self) -> Result<(), StoreError>;
}
