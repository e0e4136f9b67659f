//! PostgreSQL parses and plans each write of a delivery once per connection, not once per
//! webhook: diesel keeps them prepared (`db::cached`). An UPDATE or an INSERT that diesel
//! judges unsafe to cache is sent unnamed and parsed afresh every time, which showed up as a
//! fifth of the database's CPU under load.

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use paymatch::db::{DbConn, PoolPurpose};
use paymatch::ingest::casso::v1::parse_v1;
use paymatch::ingest::pipeline::ingest_delivery;

use crate::helpers::{element, envelope, num, settings_for, Backend, TestDatabase};

#[derive(QueryableByName)]
struct Prepared {
    #[diesel(sql_type = Text)]
    statement: String,
}

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
    // Two payments and a duplicate: every statement of the usual path, and the counts' fix.
    for id in [1, 2, 2] {
        let body = envelope(vec![element(id, "Thanh toan DH71", num("1000"))]).to_string();
        let elements = parse_v1(body.as_bytes()).unwrap();
        let report = ingest_delivery(
            &mut *conn,
            &settings.matching,
            "casso_v1",
            &body,
            &elements,
            chrono::Utc::now(),
        )
        .unwrap();
        assert_eq!(report.counts.accepted + report.counts.duplicates, 1);
    }

    let prepared: Vec<String> = diesel::sql_query("SELECT statement FROM pg_prepared_statements")
        .load::<Prepared>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|p| p.statement)
        .collect();
    for write in [
        r#"INSERT INTO "webhook_deliveries""#,
        r#"INSERT INTO "bank_transactions""#,
        r#"UPDATE "orders""#,
        r#"INSERT INTO "order_history""#,
        r#"INSERT INTO "allocations""#,
        r#"UPDATE "webhook_deliveries""#,
    ] {
        assert!(
            prepared.iter().any(|s| s.starts_with(write)),
            "{write} is not kept prepared; prepared: {prepared:#?}"
        );
    }
}
