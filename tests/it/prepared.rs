//! PostgreSQL parses and plans each statement of a delivery once per connection, not once per
//! webhook: diesel keeps them prepared (`db::cached`), and PostgreSQL settles on one generic
//! plan for each. An UPDATE or an INSERT that diesel judges unsafe to cache is sent unnamed and
//! parsed afresh every time, and `code = ANY($1)` drew a new custom plan every time: together
//! a fifth of the database's CPU under load.

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl};
use paymatch::db::{DbConn, PoolPurpose};
use paymatch::ingest::casso::v1::parse_v1;
use paymatch::ingest::pipeline::ingest_delivery;
use paymatch::ingest::read_delivery;

use crate::helpers::{element, envelope, num, settings_for, Backend, TestDatabase};

#[derive(QueryableByName)]
struct Prepared {
    #[diesel(sql_type = Text)]
    statement: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    generic_plans: Option<i64>,
}

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
    conn.batch_execute(
        "INSERT INTO orders (code, amount, currency, status, amount_received, created_at, \
         updated_at) VALUES ('DH71', 1000000000, 'VND', 'pending', 0, now(), now())",
    )
    .unwrap();
    // Payments and a duplicate: every statement of the usual path, and the counts' fix.
    for id in (1..=PAYMENTS).chain([PAYMENTS]) {
        let body = envelope(vec![element(id, "Thanh toan DH71", num("1000"))]).to_string();
        let elements = read_delivery(parse_v1(body.as_bytes()).unwrap(), &settings.matching);
        let report = ingest_delivery(
            &mut *conn,
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
