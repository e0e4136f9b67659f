//! Storage on SQLite (embedded) or PostgreSQL, chosen by the URL's scheme.
//!
//! The queries are split by aggregate: one trait each in `store/` (`OrderStore`,
//! `TransactionStore`, `JobStore`, `AdminStore`, `AuditStore`, and `Reports` for the admin's
//! lists), summed up by `Store`. Each query is written once, in the file of its aggregate in
//! `queries/`, and compiled for each backend's connection type (see the `sqlite` and `postgres`
//! modules below). Code above this layer is generic over `Store` and reaches a connection
//! through [`with_store!`].

mod backend;
mod cached;
mod error;
mod files;
mod inserted;
pub mod models;
mod page;
mod pg_url;
mod pool;
pub mod schema;
mod search;
mod store;
mod union;
mod wal;
mod writer;

use diesel_migrations::{embed_migrations, EmbeddedMigrations};
pub use error::{StorageTrouble, StoreError};
pub use models::{
    AuditRow, DeliveryRow, JobRow, NewAuditRow, NewJobRow, ReconcileRunRow, RejectedRow, SessionRow,
};
pub use page::{Page, PageStart};
pub use pool::{Database, DbConn, PoolPurpose, Writers};
pub use search::search_text;
pub use store::{
    AdminStore, AmountWindow, AuditStore, Count, Decided, DeliveryCounts, JobStatus, JobStore,
    OrderFilter, OrderStore, Received, ReconcileTotals, Reports, Settlement, Store, Totals,
    TransactionStore, TransferFilter,
};
pub use writer::Writer;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The query files, compiled for one backend's connection type `Conn`. `include!` rather than
/// `#[path]`: the same text goes into both backends' modules. rustfmt does not follow
/// `include!`, so CI formats `queries/*.rs` on its own.
macro_rules! queries_for {
    ($conn:ty, $backend:ident) => {
        type Conn = $conn;
        use crate::db::inserted::$backend::insert_id;
        mod common {
            include!("queries/common.rs");
        }
        mod admin {
            include!("queries/admin.rs");
        }
        mod audit {
            include!("queries/audit.rs");
        }
        mod jobs {
            include!("queries/jobs.rs");
        }
        mod orders {
            include!("queries/orders.rs");
        }
        mod reports {
            include!("queries/reports.rs");
        }
        mod tallies {
            include!("queries/tallies.rs");
        }
        mod transactions {
            include!("queries/transactions.rs");
        }
    };
}

mod sqlite {
    queries_for!(diesel::SqliteConnection, sqlite);
}

mod postgres {
    queries_for!(diesel::PgConnection, postgres);
}

/// Runs one expression that writes, with `$store` bound to a concrete `Store`, off the async
/// runtime: in a serving process inside a group-commit writer's next transaction, in a one-shot
/// command on a pooled connection. Evaluates to the expression's `Result<_, StoreError>` once
/// it is committed. The expression may run more than once (see `writer`). A multi-statement
/// write still wraps itself in `Store::write` (inside the writer: in its batch's transaction).
/// `lane = key` sends it to the writer lane of that key (see `db::writer`).
#[macro_export]
macro_rules! write_store {
    ($db:expr, |$store:ident| $body:expr) => {
        $crate::write_store!($db, lane = None, |$store| $body)
    };
    // `lane`: the writer lane's key (see `db::writer`), `Option<u64>`.
    ($db:expr, lane = $lane:expr, |$store:ident| $body:expr) => {
        match $db.writer() {
            Some($crate::db::Writers::Sqlite(writer)) => {
                writer
                    .run_on($lane, move |$store: &mut diesel::SqliteConnection| $body)
                    .await
            }
            Some($crate::db::Writers::Postgres(writer)) => {
                writer
                    .run_on($lane, move |$store: &mut diesel::PgConnection| $body)
                    .await
            }
            None => {
                $db.run(move |conn| $crate::with_store!(conn, |$store| $body))
                    .await
            }
        }
    };
}

/// Runs one expression with `$store` bound to the connection's concrete `Store`.
#[macro_export]
macro_rules! with_store {
    ($conn:expr, |$store:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => {
                let $store: &mut diesel::SqliteConnection = &mut *c;
                $body
            }
            $crate::db::DbConn::Postgres(c) => {
                let $store: &mut diesel::PgConnection = &mut *c;
                $body
            }
        }
    };
}
