//! Every migration applies, reverts and applies again, on both backends.

use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::MigrationHarness;
use paymatch::db::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(migrations_go_up_and_down);

fn up_down_up<C: MigrationHarness<B>, B: diesel::backend::Backend>(
    conn: &mut C,
    migrations: fn() -> diesel_migrations::EmbeddedMigrations,
) {
    let applied = conn.run_pending_migrations(migrations()).unwrap().len();
    assert!(applied > 0);
    let reverted = conn.revert_all_migrations(migrations()).unwrap().len();
    assert_eq!(reverted, applied);
    assert_eq!(
        conn.run_pending_migrations(migrations()).unwrap().len(),
        applied
    );
    assert!(!conn.has_pending_migration(migrations()).unwrap());
}

async fn migrations_go_up_and_down(backend: Backend) {
    let database = TestDatabase::new(backend);
    match backend {
        Backend::Sqlite => {
            let mut conn =
                SqliteConnection::establish(database.url.trim_start_matches("sqlite://")).unwrap();
            up_down_up(&mut conn, || SQLITE_MIGRATIONS);
        }
        Backend::Postgres => {
            let mut conn = PgConnection::establish(&database.url).unwrap();
            up_down_up(&mut conn, || POSTGRES_MIGRATIONS);
        }
    }
    // And the service starts on the result.
    let settings = settings_for(&database.url, &[]);
    paymatch::startup::connect_and_migrate(&settings, paymatch::db::PoolPurpose::Command)
        .await
        .unwrap();
}
