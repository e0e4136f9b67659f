//! The SQLite database holds secrets (the Casso token, the metrics token, session hashes): its
//! files are readable and writable by their owner only.

use std::fs::{OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

const OWNER_ONLY: u32 = 0o600;

/// Creates the database file as owner-only before SQLite opens it, and narrows the files of an
/// existing database. SQLite creates `-wal` and `-shm` with the main file's mode, so they follow.
pub fn restrict_sqlite_files(path: &str) -> io::Result<()> {
    if path.is_empty() || path == ":memory:" || path.starts_with("file:") {
        return Ok(());
    }
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(OWNER_ONLY)
        .open(path)?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = format!("{path}{suffix}");
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        if meta.permissions().mode() & 0o777 != OWNER_ONLY {
            std::fs::set_permissions(&file, Permissions::from_mode(OWNER_ONLY))?;
            tracing::info!(file, "database file made readable by its owner only");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    #[test]
    fn new_and_existing_files_become_owner_only() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("new.db");
        restrict_sqlite_files(&db.display().to_string())?;
        assert_eq!(mode(&db), 0o600);

        let old = dir.path().join("old.db");
        let wal = dir.path().join("old.db-wal");
        for file in [&old, &wal] {
            std::fs::write(file, b"")?;
            std::fs::set_permissions(file, Permissions::from_mode(0o644))?;
        }
        restrict_sqlite_files(&old.display().to_string())?;
        assert_eq!((mode(&old), mode(&wal)), (0o600, 0o600));
        Ok(())
    }
}
