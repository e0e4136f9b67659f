//! How storage fails, and what of it a client or an operator needs to know.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Every connection stayed in use until the pool's timeout: overloaded, not down.
    #[error("database busy: every connection stayed in use")]
    Busy,
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

/// Why storage failed, as far as a client or an operator needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageTrouble {
    /// No space left for the database (SQLite's SQLITE_FULL, PostgreSQL's disk_full).
    Full,
    /// Every connection was in use until the pool's timeout: overloaded, not down.
    Busy,
    Unavailable,
}

impl StoreError {
    pub fn cause(&self) -> StorageTrouble {
        let text = self.to_string();
        if text.contains("database or disk is full") || text.contains("No space left on device") {
            StorageTrouble::Full
        } else if matches!(self, StoreError::Busy) {
            StorageTrouble::Busy
        } else {
            StorageTrouble::Unavailable
        }
    }

    /// A pool checkout that timed out: busy only if every connection was open and in use
    /// (r2d2 reports the connection error that kept it from opening more to one caller only).
    pub(super) fn from_pool(
        error: diesel::r2d2::PoolError,
        state: diesel::r2d2::State,
        max: u32,
    ) -> Self {
        if state.connections >= max && state.idle_connections == 0 {
            StoreError::Busy
        } else {
            StoreError::Unavailable(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{StorageTrouble, StoreError};
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn storage_trouble_names_what_an_operator_should_look_at() {
        let full = StoreError::Query(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database or disk is full".to_owned()),
        ));
        assert_eq!(full.cause(), StorageTrouble::Full);
        let pg_full = StoreError::Unavailable(
            "could not extend file \"base/1/2\": No space left on device".into(),
        );
        assert_eq!(pg_full.cause(), StorageTrouble::Full);
        assert_eq!(StoreError::Busy.cause(), StorageTrouble::Busy);
        let down =
            StoreError::Unavailable("timed out waiting for connection: connection refused".into());
        assert_eq!(down.cause(), StorageTrouble::Unavailable);
        let stopped = StoreError::Unavailable("the database writer stopped".into());
        assert_eq!(stopped.cause(), StorageTrouble::Unavailable);
    }
}
