//! Issue 11: every change of an order writes its history, with its cause; an admin's undo
//! restores the order to exactly its state before the undone credit (a closed order stays
//! closed); undoing a credit that a later credit built on is refused, naming the later one.

use std::time::{Duration, Instant};

use paymatch::db::Store;
use paymatch::with_store;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::admin::{get, logged_in, post};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    undoing_a_link_to_a_cancelled_order_leaves_it_cancelled,
    undoing_a_link_to_an_expired_order_leaves_it_expired,
    a_later_credit_refuses_the_undo_until_it_is_undone,
    reconciliation_names_itself_in_the_history,
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

async fn link(client: &Client, app: &TestApp, csrf: &str, row: i64, code: &str) {
    let r = post(
        client,
        app,
        &format!("/admin/transactions/{row}/link"),
        &[("csrf", csrf), ("code", code)],
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
    let jobs = with_store!(&mut conn, |s| s.jobs_page("notify", None, None, 100))
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
    let app = TestApp::spawn(backend).await;
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
    for (event, by) in [
        ("created", "api"),
        ("cancelled", "api"),
        ("credited", "admin:admin"),
        ("undone", "admin:admin"),
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
    use crate::reconcile::{record, FakeCasso, CASSO_KEY};

    // Casso shows the transfer only once the order exists: a run before would find no order.
    let casso = FakeCasso::start(vec![record(7_300_001, "DH4 thanh toan", json!(500))], false);
    let app = TestApp::spawn_with(
        backend,
        &[
            ("PAYMATCH_CASSO_API_KEY", CASSO_KEY),
            ("PAYMATCH_CASSO_API_URL", &casso.url),
            ("PAYMATCH_RECONCILE_INTERVAL", "1"),
        ],
    )
    .await;
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

// ---------------------------------------------------------------------------------------------
// Property: any sequence of transfers, links, cancels, expiries and undos leaves every order's
// status, amount_received and paid_at equal to replaying its history from creation, and its
// amount_received equal to the sum of the transfers linked to it.

mod replay {
    use chrono::{DateTime, Duration, Utc};
    use paymatch::config::Settings;
    use paymatch::db::{Database, PoolPurpose, Store};
    use paymatch::domain::{
        Cause, HistoryEntry, HistoryEvent, IncomingTransfer, Money, Order, OrderCode, OrderState,
        OrderStatus, Source, TransactionStatus,
    };
    use paymatch::ingest::{history, ingest_delivery, resolve};
    use paymatch::with_store;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use crate::helpers::*;

    #[derive(Debug, Clone)]
    enum Op {
        /// A webhook transfer naming an order (or none), in ten-thousandths.
        Transfer(Option<usize>, i64),
        /// A transfer without a code that an admin links to the order.
        Link(usize, i64),
        Cancel(usize),
        /// Time passes beyond the order's expiry and the sweep runs.
        Expire(usize),
        /// An admin undoes the n-th transaction (modulo how many there are).
        Undo(usize),
    }

    fn sequences() -> impl Strategy<Value = (Vec<i64>, Vec<Op>)> {
        prop::collection::vec(1i64..=1_000, 1..4).prop_flat_map(|amounts| {
            let n = amounts.len();
            let units = 1i64..=800;
            let op = prop_oneof![
                3 => (prop::option::weighted(0.8, 0..n), units.clone())
                    .prop_map(|(o, u)| Op::Transfer(o, u)),
                3 => (0..n, units).prop_map(|(o, u)| Op::Link(o, u)),
                1 => (0..n).prop_map(Op::Cancel),
                1 => (0..n).prop_map(Op::Expire),
                3 => (0usize..64).prop_map(Op::Undo),
            ];
            (Just(amounts), prop::collection::vec(op, 1..16))
        })
    }

    fn transfer(external_id: String, description: String, units: i64) -> IncomingTransfer {
        IncomingTransfer {
            source: Source::Casso,
            external_id,
            bank_ref: None,
            description,
            amount: Money::from_units(units),
            running_balance: None,
            when: None,
            account: None,
            provider_test: false,
        }
    }

    fn run_case<S: Store>(
        s: &mut S,
        settings: &Settings,
        case: usize,
        amounts: &[i64],
        ops: &[Op],
    ) -> Result<(), TestCaseError> {
        let matching = &settings.matching;
        let code = |i: usize| OrderCode::parse(&format!("DH{case}0{i}")).unwrap();
        let start = paymatch::domain::now();
        let expiry = |i: usize| start + Duration::hours(i as i64 + 1);
        let mut now: DateTime<Utc> = start;
        for (i, units) in amounts.iter().enumerate() {
            let order = Order {
                code: code(i),
                reference: None,
                amount: Money::from_units(*units),
                currency: "VND".into(),
                status: OrderStatus::Pending,
                amount_received: Money::ZERO,
                notify_url: None,
                created_at: now,
                updated_at: now,
                paid_at: None,
                expires_at: Some(expiry(i)),
            };
            assert!(s.insert_order(&order).unwrap());
            s.insert_history(&order.code, &HistoryEntry::created(&order, &Cause::Api))
                .unwrap();
        }
        let mut rows: Vec<i64> = Vec::new();
        for (k, op) in ops.iter().enumerate() {
            now += Duration::seconds(1);
            let external_id = format!("{case}-{k}");
            match op {
                Op::Transfer(order, units) => {
                    let description = match order {
                        Some(i) => format!("thanh toan {}", code(*i)),
                        None => "chuyen tien".to_owned(),
                    };
                    let elements = [Ok(transfer(external_id, description, *units))];
                    ingest_delivery(s, matching, "casso_v1", "{}", &elements, now).unwrap();
                }
                Op::Link(order, units) => {
                    let elements = [Ok(transfer(external_id, "chuyen tien".into(), *units))];
                    ingest_delivery(s, matching, "casso_v1", "{}", &elements, now).unwrap();
                    let row = s.list_transactions(None, None, 1).unwrap().items[0].row_id;
                    let linked = resolve::link(s, matching, row, &code(*order), "admin", None, now);
                    prop_assert!(linked.unwrap().is_ok());
                }
                Op::Cancel(order) => {
                    resolve::cancel_order(s, &code(*order), &Cause::Api, now).unwrap();
                }
                Op::Expire(order) => {
                    now = now.max(expiry(*order) + Duration::seconds(1));
                    s.write(|s| {
                        for mut o in s.overdue_orders_for_update(now, 500)? {
                            history::expire_if_due(s, &mut o, now)?;
                        }
                        Ok(())
                    })
                    .unwrap();
                }
                Op::Undo(pick) => {
                    if let Some(row) = rows.get(pick % rows.len().max(1)) {
                        // Refusals are part of the sequence: they must change nothing.
                        let _ = resolve::undo(s, matching, *row, "admin", None, now).unwrap();
                    }
                }
            }
            if matches!(op, Op::Transfer(..) | Op::Link(..)) {
                rows.push(s.list_transactions(None, None, 1).unwrap().items[0].row_id);
            }
        }
        for i in 0..amounts.len() {
            let order = s.order(&code(i)).unwrap().unwrap();
            let history = s.order_history(&code(i)).unwrap();
            prop_assert_eq!(history[0].event, HistoryEvent::Created);
            let mut state = history[0].after.clone();
            for entry in &history[1..] {
                prop_assert_eq!(entry.before.as_ref(), Some(&state), "{:?}", history);
                state = entry.after.clone();
            }
            prop_assert_eq!(&state, &OrderState::of(&order), "{:?}", history);
            for (u, undo) in history.iter().enumerate() {
                if undo.event == HistoryEvent::Undone {
                    prop_assert!(
                        restores_before_its_credit(&history[..u], undo),
                        "{:?}",
                        history
                    );
                }
            }
            let linked: Money = s
                .transactions_of(&[code(i)])
                .unwrap()
                .iter()
                .filter(|t| t.status == TransactionStatus::Matched)
                .fold(Money::ZERO, |sum, t| sum.checked_add(t.amount).unwrap());
            prop_assert_eq!(order.amount_received, linked, "{:?}", history);
        }
        Ok(())
    }

    /// An undo puts back exactly the state before the credit it takes back, but for a cancel or
    /// expiry since, which still holds.
    fn restores_before_its_credit(earlier: &[HistoryEntry], undo: &HistoryEntry) -> bool {
        let Some(c) = earlier
            .iter()
            .rposition(|e| e.event == HistoryEvent::Credited && e.transfer == undo.transfer)
        else {
            return false;
        };
        let Some(mut want) = earlier[c].before.clone() else {
            return false;
        };
        if let Some(closing) = earlier[c..]
            .iter()
            .rev()
            .find(|e| matches!(e.event, HistoryEvent::Cancelled | HistoryEvent::Expired))
        {
            want.status = closing.after.status;
        }
        undo.after == want
    }

    async fn history_replays_to_every_order(backend: Backend) {
        let database = TestDatabase::new(backend);
        let settings = settings_for(&database.url, &[]);
        let db: Database = paymatch::startup::connect_and_migrate(&settings, PoolPurpose::Command)
            .await
            .unwrap();
        let cases = match backend {
            Backend::Sqlite => 96,
            Backend::Postgres => 64,
        };
        tokio::task::spawn_blocking(move || {
            let mut runner = TestRunner::new(Config {
                cases,
                ..Config::default()
            });
            let case = std::sync::atomic::AtomicUsize::new(0);
            runner
                .run(&sequences(), |(amounts, ops)| {
                    let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    let mut conn = db.get().unwrap();
                    with_store!(&mut conn, |s| run_case(s, &settings, n, &amounts, &ops))
                })
                .unwrap();
        })
        .await
        .unwrap();
    }

    crate::on_both_backends!(history_replays_to_every_order);
}
