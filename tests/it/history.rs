//! Issue 11: every change of an order writes its history, with its cause; an admin's undo
//! restores the order to exactly its state before the undone credit (a closed order stays
//! closed); undoing a credit that a later credit built on is refused, naming the later one.

use std::time::{Duration, Instant};

use paymatch::db::{JobStore, OrderStore};
use paymatch::with_store;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::admin::{get, logged_in, post, seen_of};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    undoing_a_link_to_a_cancelled_order_leaves_it_cancelled,
    undoing_a_link_to_an_expired_order_leaves_it_expired,
    a_later_credit_refuses_the_undo_until_it_is_undone,
    reconciliation_names_itself_in_the_history,
    the_migration_backfills_existing_orders,
);

/// The history of an order as the API gives it: (event, by, status_before, status_after,
/// amount_received_before, amount_received_after), oldest first.
async fn history(app: &TestApp, code: &str) -> Vec<[Value; 6]> {
    let (status, order) = app.get_order(code).await;
    assert_eq!(status, 200, "{order}");
    order["history"]
        .as_array()
        .expect("a history")
        .iter()
        .map(|h| {
            [
                "event",
                "by",
                "status_before",
                "status_after",
                "amount_received_before",
                "amount_received_after",
            ]
            .map(|key| h[key].clone())
        })
        .collect()
}

fn change(event: &str, by: &str, before: (&str, &str), after: (&str, &str)) -> [Value; 6] {
    [
        json!(event),
        json!(by),
        json!(before.0),
        json!(after.0),
        json!(before.1),
        json!(after.1),
    ]
}

fn created() -> [Value; 6] {
    [
        json!("created"),
        json!("api"),
        Value::Null,
        json!("pending"),
        Value::Null,
        json!("0"),
    ]
}

async fn status_and_received(app: &TestApp, code: &str) -> (String, String) {
    let (_, order) = app.get_order(code).await;
    (
        order["status"].as_str().unwrap().to_owned(),
        order["amount_received"].as_str().unwrap().to_owned(),
    )
}

/// The transaction with this external id, as the API lists it.
async fn transaction(app: &TestApp, external_id: &str) -> Value {
    app.all_transactions()
        .await
        .into_iter()
        .find(|t| t["external_id"] == external_id)
        .expect("the transaction")
}

/// Links through the preview, as the admin's browser does.
async fn link(client: &Client, app: &TestApp, csrf: &str, row: i64, code: &str) {
    let (_, preview) = get(
        client,
        app,
        &format!("/admin/transactions/{row}/link?code={code}"),
    )
    .await;
    let seen = seen_of(&preview);
    let r = post(
        client,
        app,
        &format!("/admin/transactions/{row}/link"),
        &[("csrf", csrf), ("code", code), ("seen", &seen[0])],
    )
    .await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("done=linked"), "{location}");
}

/// Posts an undo; returns where it leads.
async fn undo(client: &Client, app: &TestApp, csrf: &str, row: i64) -> String {
    let r = post(
        client,
        app,
        &format!("/admin/transactions/{row}/undo"),
        &[("csrf", csrf), ("confirm", "1")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// The event types of the notifications recorded for an order, oldest first.
async fn notifications(app: &TestApp, code: &str) -> Vec<String> {
    let mut conn = app.db.get().unwrap();
    let jobs = with_store!(&mut conn, |s| s.jobs_page("notify", &[], None, 100))
        .unwrap()
        .items;
    let mut events: Vec<String> = jobs
        .iter()
        .rev()
        .map(|j| serde_json::from_str::<Value>(&j.payload).unwrap())
        .filter(|n| n["order_code"] == code)
        .map(|n| n["event_type"].as_str().unwrap().to_owned())
        .collect();
    events.dedup();
    events
}

async fn undoing_a_link_to_a_cancelled_order_leaves_it_cancelled(backend: Backend) {
    // Notification jobs are written only where a URL applies.
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_NOTIFY_URL", SHOP_HOOK)]).await;
    app.create_order(json!({"code": "DH1", "amount": 100}))
        .await;
    let (status, _) = app
        .api(Method::POST, "/api/v1/orders/DH1/cancel", None)
        .await;
    assert_eq!(status, 200);
    app.transfer(1, "DH1 thanh toan", json!(100)).await;
    assert_eq!(transaction(&app, "1").await["status"], "order_closed");
    let (client, csrf) = logged_in(&app).await;
    link(&client, &app, &csrf, 1, "DH1").await;
    assert_eq!(
        status_and_received(&app, "DH1").await,
        ("paid".into(), "100".into())
    );

    let location = undo(&client, &app, &csrf, 1).await;
    assert!(location.contains("done=undone"), "{location}");
    assert_eq!(
        status_and_received(&app, "DH1").await,
        ("cancelled".into(), "0".into())
    );
    let (_, order) = app.get_order("DH1").await;
    assert_eq!(order["paid_at"], Value::Null);
    // The shop hears that it is cancelled again.
    assert_eq!(
        notifications(&app, "DH1").await,
        ["order.cancelled", "order.paid", "order.cancelled"]
    );
    // A later transfer naming it is not applied.
    app.transfer(2, "DH1 thanh toan lai", json!(100)).await;
    assert_eq!(transaction(&app, "2").await["status"], "order_closed");
    assert_eq!(
        status_and_received(&app, "DH1").await,
        ("cancelled".into(), "0".into())
    );
    assert_eq!(
        history(&app, "DH1").await,
        [
            created(),
            change("cancelled", "api", ("pending", "0"), ("cancelled", "0")),
            change(
                "credited",
                "admin:admin",
                ("cancelled", "0"),
                ("paid", "100")
            ),
            change("undone", "admin:admin", ("paid", "100"), ("cancelled", "0")),
        ]
    );
    // The admin's order page shows the same history, with the transfer.
    let (_, page) = get(&client, &app, "/admin/orders/DH1").await;
    let table = &page[page.find("order-history").expect("the history table")..];
    // `by` as a person reads it: the storefront, a user's name.
    for (event, by) in [
        ("created", r#"class="by">the storefront (API)<"#),
        ("cancelled", r#"class="by">the storefront (API)<"#),
        ("credited", r#"class="by">admin<"#),
        ("undone", r#"class="by">admin<"#),
    ] {
        let row = format!(r#"data-event="{event}""#);
        let at = table.find(&row).unwrap_or_else(|| panic!("{row}"));
        assert!(table[at..].contains(by), "{event} by {by}");
    }
    assert!(table.contains("casso:1"));
}

async fn undoing_a_link_to_an_expired_order_leaves_it_expired(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let expires = chrono::Utc::now() + chrono::Duration::seconds(1);
    app.create_order(json!({"code": "DH2", "amount": 100, "expires_at": expires.to_rfc3339()}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_and_received(&app, "DH2").await.0 != "expired" {
        assert!(Instant::now() < deadline, "DH2 did not expire");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.transfer(1, "DH2", json!(100)).await;
    assert_eq!(transaction(&app, "1").await["status"], "order_closed");
    let (client, csrf) = logged_in(&app).await;
    link(&client, &app, &csrf, 1, "DH2").await;
    assert_eq!(status_and_received(&app, "DH2").await.0, "paid");

    undo(&client, &app, &csrf, 1).await;
    assert_eq!(
        status_and_received(&app, "DH2").await,
        ("expired".into(), "0".into())
    );
    app.transfer(2, "DH2 again", json!(100)).await;
    assert_eq!(transaction(&app, "2").await["status"], "order_closed");
    assert_eq!(status_and_received(&app, "DH2").await.1, "0");
    let events = history(&app, "DH2").await;
    assert_eq!(
        events[1],
        change("expired", "expiry", ("pending", "0"), ("expired", "0"))
    );
    assert_eq!(
        events[2..],
        [
            change("credited", "admin:admin", ("expired", "0"), ("paid", "100")),
            change("undone", "admin:admin", ("paid", "100"), ("expired", "0")),
        ]
    );
    assert_eq!(events.len(), 4, "{events:?}");
}

async fn a_later_credit_refuses_the_undo_until_it_is_undone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH3", "amount": 100}))
        .await;
    app.transfer(1, "no code here", json!(40)).await;
    let (client, csrf) = logged_in(&app).await;
    link(&client, &app, &csrf, 1, "DH3").await;
    // A later transfer pays the rest.
    app.transfer(2, "DH3 phan con lai", json!(60)).await;
    assert_eq!(
        status_and_received(&app, "DH3").await,
        ("paid".into(), "100".into())
    );

    // Undoing the partial link is refused, naming the later transfer; nothing changes.
    let location = undo(&client, &app, &csrf, 1).await;
    assert!(location.contains("error=later_credit"), "{location}");
    let (_, page) = get(&client, &app, &location).await;
    assert!(
        page.contains("a later transfer credited this order"),
        "{page}"
    );
    assert!(
        page.contains(r#"href="/admin/transactions/2" id="later-credit">casso:2</a>"#),
        "the refusal names the later transfer"
    );
    assert_eq!(
        status_and_received(&app, "DH3").await,
        ("paid".into(), "100".into())
    );
    assert_eq!(transaction(&app, "1").await["status"], "matched");

    // Undone in order, newest first, each restores the state before it.
    undo(&client, &app, &csrf, 2).await;
    assert_eq!(
        status_and_received(&app, "DH3").await,
        ("partially_paid".into(), "40".into())
    );
    undo(&client, &app, &csrf, 1).await;
    assert_eq!(
        status_and_received(&app, "DH3").await,
        ("pending".into(), "0".into())
    );
    assert_eq!(
        history(&app, "DH3").await,
        [
            created(),
            change(
                "credited",
                "admin:admin",
                ("pending", "0"),
                ("partially_paid", "40")
            ),
            change(
                "credited",
                "casso",
                ("partially_paid", "40"),
                ("paid", "100")
            ),
            change(
                "undone",
                "admin:admin",
                ("paid", "100"),
                ("partially_paid", "40")
            ),
            change(
                "undone",
                "admin:admin",
                ("partially_paid", "40"),
                ("pending", "0")
            ),
        ]
    );
}

async fn reconciliation_names_itself_in_the_history(backend: Backend) {
    use crate::reconcile::{app_reconciling_every_second, record, FakeCasso};

    // Casso shows the transfer only once the order exists: a run before would find no order.
    let casso = FakeCasso::start(vec![record(7_300_001, "DH4 thanh toan", json!(500))], false);
    let app = app_reconciling_every_second(backend, &casso).await;
    app.create_order(json!({"code": "DH4", "amount": 500}))
        .await;
    casso.open();
    let deadline = Instant::now() + Duration::from_secs(20);
    while status_and_received(&app, "DH4").await.0 != "paid" {
        assert!(Instant::now() < deadline, "reconciliation did not pay DH4");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        history(&app, "DH4").await,
        [
            created(),
            change("credited", "reconcile", ("pending", "0"), ("paid", "500")),
        ]
    );
}

mod allocations;
mod replay;

/// A database migrated up to just before `version` (a migration folder's date and number), with
/// `data` inserted there, then migrated to the end as the service does at start.
pub(crate) async fn migrated_over(
    backend: Backend,
    version: &str,
    data: &str,
) -> (TestDatabase, paymatch::db::Database) {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection, SqliteConnection};
    use diesel_migrations::MigrationHarness;
    use paymatch::db::{PoolPurpose, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

    fn revert_from<C: MigrationHarness<B>, B: diesel::backend::Backend>(
        c: &mut C,
        migrations: fn() -> diesel_migrations::EmbeddedMigrations,
        version: &str,
    ) {
        let wanted = version.replace('-', "");
        c.run_pending_migrations(migrations()).unwrap();
        while c
            .applied_migrations()
            .unwrap()
            .iter()
            .any(|v| v.to_string().replace('-', "") == wanted)
        {
            c.revert_last_migration(migrations()).unwrap();
        }
    }
    let database = TestDatabase::new(backend);
    match backend {
        Backend::Sqlite => {
            let mut c =
                SqliteConnection::establish(database.url.trim_start_matches("sqlite://")).unwrap();
            revert_from(&mut c, || SQLITE_MIGRATIONS, version);
            c.batch_execute(data).unwrap();
        }
        Backend::Postgres => {
            let mut c = PgConnection::establish(&database.url).unwrap();
            revert_from(&mut c, || POSTGRES_MIGRATIONS, version);
            c.batch_execute(data).unwrap();
        }
    }
    let settings = settings_for(&database.url, &[]);
    let db = paymatch::startup::connect_and_migrate(&settings, PoolPurpose::Command)
        .await
        .unwrap();
    (database, db)
}

/// The migration backfills what today's data can tell: each order's creation, and the state it
/// has come to; and it goes down again.
async fn the_migration_backfills_existing_orders(backend: Backend) {
    const ORDERS: &str = "INSERT INTO orders (code, amount, currency, status, amount_received, \
        created_at, updated_at, paid_at) VALUES \
        ('DH81', 1000000, 'VND', 'pending', 0, '2026-11-01 08:00:00', '2026-11-01 08:00:00', NULL), \
        ('DH82', 1000000, 'VND', 'paid', 1000000, '2026-11-01 08:00:00', '2026-11-02 09:00:00', \
         '2026-11-02 09:00:00'), \
        ('DH83', 1000000, 'VND', 'cancelled', 0, '2026-11-01 08:00:00', '2026-11-03 10:00:00', NULL);";
    let (_database, db) = migrated_over(backend, "2026-11-29-000007", ORDERS).await;
    let mut conn = db.get().unwrap();
    let mut history = |code: &str| {
        let code = paymatch::domain::OrderCode::parse(code).unwrap();
        with_store!(&mut conn, |s| s.order_history(&code)).unwrap()
    };
    let summary = |entries: Vec<paymatch::domain::HistoryEntry>| -> Vec<(String, String, String)> {
        entries
            .iter()
            .map(|e| {
                (
                    e.event.as_str().to_owned(),
                    e.by.clone(),
                    format!("{} {}", e.after.status.as_str(), e.after.amount_received),
                )
            })
            .collect()
    };
    let created = (
        "created".to_owned(),
        "api".to_owned(),
        "pending 0".to_owned(),
    );
    assert_eq!(summary(history("DH81")), std::slice::from_ref(&created));
    let paid = history("DH82");
    assert_eq!(paid[1].after.paid_at, paid[1].at.into());
    assert_eq!(
        summary(paid),
        [
            created.clone(),
            ("imported".into(), "migration".into(), "paid 100".into())
        ]
    );
    assert_eq!(
        summary(history("DH83")),
        [
            created,
            ("imported".into(), "migration".into(), "cancelled 0".into())
        ]
    );
}
