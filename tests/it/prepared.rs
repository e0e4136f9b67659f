//! PostgreSQL parses and plans each statement of a delivery once per connection, not once per
//! webhook: diesel keeps them prepared (`db::cached`), and PostgreSQL settles on one generic
//! plan for each. An UPDATE or an INSERT that diesel judges unsafe to cache is sent unnamed and
//! parsed afresh every time, and `code = ANY($1)` drew a new custom plan every time: together
//! a fifth of the database's CPU under load. On SQLite the one writer thread would pay the
//! parse, and a write made cacheable by `RETURNING` a scratch table per row: none says it there.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use paymatch::config::Settings;
use paymatch::db::{DbConn, PoolPurpose, Store};
use paymatch::ingest::casso::v1::parse_v1;
use paymatch::ingest::pipeline::ingest_delivery;
use paymatch::ingest::read_delivery;

use crate::helpers::{element, envelope, num, settings_for, Backend, TestDatabase};
use crate::on_both_backends;

on_both_backends!(every_statement_of_a_delivery_is_prepared_once);

#[derive(QueryableByName)]
struct Prepared {
    #[diesel(sql_type = Text)]
    statement: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    generic_plans: Option<i64>,
}

/// The order the deliveries pay.
const INSERT_ORDER: &str = "INSERT INTO orders (code, amount, currency, status, amount_received, \
                            created_at, updated_at) VALUES ('DH71', 1000000000, 'VND', \
                            'pending', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)";

/// Deliveries paying the order: past PostgreSQL's five custom plans before it weighs a generic
/// one.
const PAYMENTS: u64 = 8;

#[tokio::test]
async fn postgres_keeps_every_write_of_a_delivery_prepared() {
    let database = TestDatabase::new(Backend::Postgres);
    let settings = settings_for(&database.url, &[]);
    let db = paymatch::startup::connect_and_migrate(&settings, PoolPurpose::Command)
        .await
        .unwrap();
    let DbConn::Postgres(mut conn) = db.get().unwrap() else {
        panic!("a PostgreSQL URL gave another connection");
    };
    conn.batch_execute(INSERT_ORDER).unwrap();
    // Payments and a duplicate: every statement of the usual path, and the counts' fix.
    deliveries(&mut *conn, &settings);

    let prepared: Vec<Prepared> =
        diesel::sql_query("SELECT statement, generic_plans FROM pg_prepared_statements")
            .load(&mut *conn)
            .unwrap();
    let statements: Vec<&str> = prepared.iter().map(|p| p.statement.as_str()).collect();
    // Each statement by how it starts and ends.
    for (statement, end, every_payment) in [
        (r#"INSERT INTO "webhook_deliveries""#, "", true),
        (r#"SELECT "orders"."id""#, "FOR UPDATE", true),
        (r#"INSERT INTO "bank_transactions""#, "", true),
        (r#"UPDATE "orders""#, "", true),
        (r#"INSERT INTO "order_history""#, "", true),
        (r#"INSERT INTO "allocations""#, "", true),
        (r#"UPDATE "webhook_deliveries""#, "", false),
    ] {
        let kept = prepared
            .iter()
            .find(|p| p.statement.starts_with(statement) && p.statement.ends_with(end));
        let Some(kept) = kept else {
            panic!("{statement} is not kept prepared; prepared: {statements:#?}");
        };
        if every_payment {
            assert!(
                kept.generic_plans.unwrap_or(0) > 0,
                "{statement} is planned again on every call: {}",
                kept.statement
            );
        }
    }
}

/// What diesel did on a connection: each statement it started (its SQL, binds cut), and each
/// one it prepared to keep.
#[derive(Default)]
pub struct Statements {
    pub started: Vec<String>,
    pub kept: HashSet<String>,
}

/// Records into its `Statements` what diesel does on the connection it is set on.
pub struct Recorder(pub Arc<Mutex<Statements>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        let mut statements = self.0.lock().unwrap();
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                let text = query.to_string();
                let sql = text.split(" -- binds:").next().unwrap_or_default();
                statements.started.push(same_quotes(sql));
            }
            InstrumentationEvent::CacheQuery { sql, .. } => {
                statements.kept.insert(same_quotes(sql));
            }
            _ => {}
        }
    }
}

/// SQLite's quotes as PostgreSQL's, so that one check reads both.
fn same_quotes(sql: &str) -> String {
    sql.trim().replace('`', "\"")
}

/// Pays an order `PAYMENTS` times and sends the last payment again, on `conn`, and gives what
/// diesel did: every statement it kept, and those it started from the second payment on (the
/// first prepares).
fn deliveries<C: Store + Connection>(conn: &mut C, settings: &Settings) -> Statements {
    let recorded = Arc::new(Mutex::new(Statements::default()));
    conn.set_instrumentation(Recorder(recorded.clone()));
    for id in (1..=PAYMENTS).chain([PAYMENTS]) {
        if id == 2 {
            recorded.lock().unwrap().started.clear();
        }
        let body = envelope(vec![element(id, "Thanh toan DH71", num("1000"))]).to_string();
        let elements = read_delivery(parse_v1(body.as_bytes()).unwrap(), &settings.matching);
        let report = ingest_delivery(
            conn,
            &settings.matching,
            &settings.public_url,
            &settings.alerts,
            "casso_v1",
            &body,
            &elements,
            chrono::Utc::now(),
        )
        .unwrap();
        assert_eq!(report.counts.accepted + report.counts.duplicates, 1);
    }
    let statements = std::mem::take(&mut *recorded.lock().unwrap());
    statements
}

/// Every statement of a delivery is prepared once per connection and run again from then on:
/// on SQLite a write prepared afresh per webhook costs the one writer thread its parse, and one
/// that says `RETURNING` only to be kept (no longer) would cost it a scratch table per row.
async fn every_statement_of_a_delivery_is_prepared_once(backend: Backend) {
    let database = TestDatabase::new(backend);
    let settings = settings_for(&database.url, &[]);
    let db = paymatch::startup::connect_and_migrate(&settings, PoolPurpose::Command)
        .await
        .unwrap();
    let statements = match db.get().unwrap() {
        DbConn::Sqlite(mut conn) => {
            conn.batch_execute(INSERT_ORDER).unwrap();
            deliveries(&mut *conn, &settings)
        }
        DbConn::Postgres(mut conn) => {
            conn.batch_execute(INSERT_ORDER).unwrap();
            deliveries(&mut *conn, &settings)
        }
    };
    let transaction_control = ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET"];
    let statements_run: Vec<&String> = statements
        .started
        .iter()
        .filter(|sql| {
            !transaction_control
                .iter()
                .any(|c| sql.to_uppercase().starts_with(c))
        })
        .collect();
    for start in [
        "INSERT INTO \"webhook_deliveries\"",
        "INSERT INTO \"bank_transactions\"",
        "UPDATE \"orders\"",
        "INSERT INTO \"order_history\"",
        "INSERT INTO \"allocations\"",
        "UPDATE \"webhook_deliveries\"",
    ] {
        assert!(
            statements_run.iter().any(|sql| sql.starts_with(start)),
            "{start} never ran: {statements_run:#?}"
        );
    }
    let returning: Vec<_> = statements_run
        .iter()
        .filter(|sql| sql.contains("RETURNING"))
        .collect();
    if backend == Backend::Sqlite {
        assert!(
            returning.is_empty(),
            "SQLite is asked for rows back: {returning:#?}"
        );
    }
    let afresh: Vec<_> = statements_run
        .iter()
        .filter(|sql| !statements.kept.contains(sql.as_str()))
        .collect();
    assert!(
        afresh.is_empty(),
        "prepared afresh on every call: {afresh:#?}"
    );
}
