//! One transfer, several orders: a combined payment that is exactly what the named orders owe
//! pays each of them; any other sum waits; an admin splits a waiting transfer with a preview,
//! and an undo restores every order.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::admin::{get, logged_in, post, seen_of};
use crate::helpers::*;
use crate::notifications::notify_jobs;
use crate::on_both_backends;
use paymatch::db::TransactionStore;
use paymatch::domain::OrderCode;
use paymatch::with_store;

on_both_backends!(
    a_combined_transfer_of_the_exact_sum_pays_each_order,
    a_combined_transfer_of_another_sum_waits_and_changes_nothing,
    a_partly_paid_order_receives_only_its_amount_due,
    an_admin_splits_a_waiting_transfer_after_a_preview_and_undoes_it,
    the_migration_backfills_an_allocation_for_every_applied_transfer,
);

/// (status, amount_received) of an order, read through the API.
async fn state_of(app: &TestApp, code: &str) -> (String, String) {
    let (status, order) = app.get_order(code).await;
    assert_eq!(status, 200, "{order}");
    (
        order["status"].as_str().unwrap().to_owned(),
        order["amount_received"].as_str().unwrap().to_owned(),
    )
}

fn state(status: &str, received: &str) -> (String, String) {
    (status.to_owned(), received.to_owned())
}

/// The order codes of the notifications queued so far, sorted, with their event types.
async fn notified(app: &TestApp) -> Vec<(String, String)> {
    let mut events: Vec<(String, String)> = notify_jobs(&app.db)
        .await
        .iter()
        .map(|job| {
            let payload: Value = serde_json::from_str(&job.payload).unwrap();
            (
                payload["order_code"].as_str().unwrap().to_owned(),
                payload["event_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    events.sort();
    events
}

async fn a_combined_transfer_of_the_exact_sum_pays_each_order(backend: Backend) {
    // Notification jobs are written only where a URL applies.
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_NOTIFY_URL", SHOP_HOOK)]).await;
    app.create_order(json!({"code": "DH1006", "amount": 150000}))
        .await;
    app.create_order(json!({"code": "DH1008", "amount": "99000.5"}))
        .await;
    let (status, reply) = app
        .transfer(7, "DH1006 DH1008 chuyen gop 2 don", num("249000.5"))
        .await;
    assert_eq!((status, reply["accepted"].as_i64()), (200, Some(1)));
    assert_eq!(state_of(&app, "DH1006").await, state("paid", "150000"));
    assert_eq!(state_of(&app, "DH1008").await, state("paid", "99000.5"));
    assert_eq!(
        notified(&app).await,
        [
            ("DH1006".to_owned(), "order.paid".to_owned()),
            ("DH1008".to_owned(), "order.paid".to_owned())
        ],
        "one notification each"
    );
    let tx = &app.all_transactions().await[0];
    assert_eq!(tx["status"], "matched");
    assert_eq!(tx["order_code"], Value::Null, "it paid several orders");
    assert_eq!(
        tx["allocations"],
        json!([
            {"order_code": "DH1006", "amount": "150000"},
            {"order_code": "DH1008", "amount": "99000.5"}
        ])
    );
    // Each order lists the transfer, and its history names it.
    for code in ["DH1006", "DH1008"] {
        let (_, order) = app.get_order(code).await;
        assert_eq!(order["transactions"][0]["id"], "casso:7", "{order}");
        let history = order["history"].as_array().unwrap();
        assert_eq!(history.last().unwrap()["event"], "credited");
    }
    // The same delivery again is a duplicate: nothing more is paid.
    let (_, reply) = app
        .transfer(7, "DH1006 DH1008 chuyen gop 2 don", num("249000.5"))
        .await;
    assert_eq!(reply["duplicates"], 1);
    assert_eq!(state_of(&app, "DH1008").await, state("paid", "99000.5"));
    assert_eq!(notified(&app).await.len(), 2);
    // A single match carries its one allocation.
    app.create_order(json!({"code": "DH2", "amount": 5000}))
        .await;
    app.transfer(8, "DH2", json!(5000)).await;
    let tx = &app.all_transactions().await[0];
    assert_eq!(tx["order_code"], "DH2");
    assert_eq!(
        tx["allocations"],
        json!([{"order_code": "DH2", "amount": "5000"}])
    );
}

async fn a_combined_transfer_of_another_sum_waits_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1006", "amount": 150000}))
        .await;
    app.create_order(json!({"code": "DH1008", "amount": 99000}))
        .await;
    // One đồng short, one over, and the two amounts (not what they owe together).
    for (id, amount) in [(1, 248999), (2, 249001), (3, 150000)] {
        app.transfer(id, "DH1006 DH1008", json!(amount)).await;
    }
    for tx in app.all_transactions().await {
        assert_eq!(tx["status"], "ambiguous", "{tx}");
        assert_eq!(tx["allocations"], json!([]), "{tx}");
    }
    assert_eq!(state_of(&app, "DH1006").await, state("pending", "0"));
    assert_eq!(state_of(&app, "DH1008").await, state("pending", "0"));
    assert!(notified(&app).await.is_empty());
    // A cancelled order among them: ambiguous even at the exact sum.
    app.api(reqwest::Method::POST, "/api/v1/orders/DH1008/cancel", None)
        .await;
    app.transfer(4, "DH1006 DH1008", json!(249000)).await;
    assert_eq!(app.all_transactions().await[0]["status"], "ambiguous");
    assert_eq!(state_of(&app, "DH1006").await, state("pending", "0"));
}

async fn a_partly_paid_order_receives_only_its_amount_due(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1", "amount": 100000}))
        .await;
    app.create_order(json!({"code": "DH2", "amount": 50000}))
        .await;
    app.transfer(1, "DH1", json!(40000)).await;
    assert_eq!(
        state_of(&app, "DH1").await,
        state("partially_paid", "40000")
    );
    // 60,000 still due on DH1, 50,000 on DH2.
    app.transfer(2, "DH1 va DH2", json!(110000)).await;
    assert_eq!(state_of(&app, "DH1").await, state("paid", "100000"));
    assert_eq!(state_of(&app, "DH2").await, state("paid", "50000"));
    assert_eq!(
        app.all_transactions().await[0]["allocations"],
        json!([
            {"order_code": "DH1", "amount": "60000"},
            {"order_code": "DH2", "amount": "50000"}
        ])
    );
}

async fn an_admin_splits_a_waiting_transfer_after_a_preview_and_undoes_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH31", "amount": 100000}))
        .await;
    app.create_order(json!({"code": "DH32", "amount": 80000}))
        .await;
    app.create_order(json!({"code": "DH33", "amount": 10000}))
        .await;
    app.api(reqwest::Method::POST, "/api/v1/orders/DH33/cancel", None)
        .await;
    app.transfer(1, "DH31 DH32 tra truoc", json!(150000)).await;
    assert_eq!(app.all_transactions().await[0]["status"], "ambiguous");
    let (client, csrf) = logged_in(&app).await;
    let (status, form) = get(&client, &app, "/admin/transactions/1/split").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"value="DH31""#) && form.contains(r#"value="DH32""#));
    // Each order's amount due filled in.
    assert!(
        form.contains(r#"value="100,000""#) && form.contains(r#"value="80,000""#),
        "{form}"
    );
    let split = |rows: &[(&'static str, &'static str)]| {
        let mut form = vec![("csrf", csrf.as_str()), ("note", "khach tra truoc")];
        for (code, amount) in rows {
            form.push(("code", code));
            form.push(("amount", amount));
        }
        form
    };
    // Every bad split is refused with its reason, and changes nothing.
    for (rows, reason) in [
        (
            split(&[("DH31", "100.000"), ("DH32", "49.999")]),
            "they add up to 149,999 ₫, the transfer is 150,000 ₫",
        ),
        (
            split(&[("DH31", "100k"), ("DH404", "50k")]),
            "no order with this code: <strong>DH404",
        ),
        (
            split(&[("DH31", "140k"), ("DH33", "10k")]),
            "closed (expired or cancelled): <strong>DH33",
        ),
        (
            split(&[("DH31", "75k"), ("dh31", "75k")]),
            "appears twice: <strong>DH31",
        ),
        (
            split(&[("DH31", "150k"), ("DH32", "0")]),
            "more than zero: <strong>DH32",
        ),
        (split(&[("DH31", "150k")]), "at least two orders"),
        (split(&[("DH31", "150k"), ("DH32", "abc")]), "Not an amount"),
    ] {
        for path in [
            "/admin/transactions/1/split/preview",
            "/admin/transactions/1/split",
        ] {
            let r = post(&client, &app, path, &rows).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{reason}");
            let page = r.text().await.unwrap();
            assert!(page.contains(reason), "{reason}: {page}");
        }
    }
    assert_eq!(state_of(&app, "DH31").await, state("pending", "0"));
    assert_eq!(app.all_transactions().await[0]["status"], "ambiguous");
    // Without the token nothing happens.
    let mut forged = split(&[("DH31", "100k"), ("DH32", "50k")]);
    forged[0] = ("csrf", "nope");
    let r = post(&client, &app, "/admin/transactions/1/split", &forged).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let rows = split(&[("DH31", "100.000"), ("DH32", "50,000")]);
    let r = post(&client, &app, "/admin/transactions/1/split/preview", &rows).await;
    assert_eq!(r.status(), StatusCode::OK);
    let preview = r.text().await.unwrap();
    assert!(
        preview.contains(r#"<span class="badge paid status-after">Paid</span>"#)
            && preview
                .contains(r#"<span class="badge partially_paid status-after">Partly paid</span>"#),
        "{preview}"
    );
    assert_eq!(
        state_of(&app, "DH31").await,
        state("pending", "0"),
        "a preview changes nothing"
    );
    let seen = seen_of(&preview);
    let mut confirm = rows.clone();
    confirm.extend(seen.iter().map(|s| ("seen", s.as_str())));
    let r = post(&client, &app, "/admin/transactions/1/split", &confirm).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("done=split"));
    assert_eq!(state_of(&app, "DH31").await, state("paid", "100000"));
    assert_eq!(
        state_of(&app, "DH32").await,
        state("partially_paid", "50000")
    );
    let tx = &app.all_transactions().await[0];
    assert_eq!(
        (tx["status"].as_str(), tx["resolution"].as_str()),
        (Some("matched"), Some("linked"))
    );
    assert_eq!(tx["order_code"], Value::Null);
    assert_eq!(
        tx["allocations"],
        json!([
            {"order_code": "DH31", "amount": "100000"},
            {"order_code": "DH32", "amount": "50000"}
        ])
    );
    let (_, page) = get(&client, &app, "/admin/transactions/1").await;
    assert!(
        page.contains("Split by an admin"),
        "a split says so: {page}"
    );
    assert!(
        page.contains(
            r#"<a href="/admin/orders/DH31">DH31</a> · <span class="num">100,000 ₫</span>"#
        ),
        "{page}"
    );
    // Split again: refused, it no longer waits.
    let r = post(&client, &app, "/admin/transactions/1/split", &rows).await;
    assert!(r.headers()["location"].to_str().unwrap().contains("error="));

    // A later credit to DH32 refuses the undo, naming it; nothing changes.
    app.transfer(2, "DH32", json!(30000)).await;
    assert_eq!(state_of(&app, "DH32").await, state("paid", "80000"));
    let undo = [("csrf", csrf.as_str()), ("confirm", "1")];
    let r = post(&client, &app, "/admin/transactions/1/undo", &undo).await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("error=later_credit"), "{location}");
    assert_eq!(state_of(&app, "DH31").await, state("paid", "100000"));
    assert_eq!(state_of(&app, "DH32").await, state("paid", "80000"));
    // Undo the later one, then the split: every order is back where it was.
    post(&client, &app, "/admin/transactions/2/undo", &undo).await;
    let r = post(&client, &app, "/admin/transactions/1/undo", &undo).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("done=undone"));
    assert_eq!(state_of(&app, "DH31").await, state("pending", "0"));
    assert_eq!(state_of(&app, "DH32").await, state("pending", "0"));
    let tx = &app.all_transactions().await[1];
    assert_eq!(tx["status"], "ambiguous", "it waits again, as before");
    assert_eq!(tx["allocations"], json!([]));
    let (_, order) = app.get_order("DH31").await;
    assert_eq!(order["paid_at"], Value::Null);
}

/// Before allocations were kept, an applied transfer (matched automatically or linked by an
/// admin) paid one order all of its amount: the migration writes that down, and no more.
async fn the_migration_backfills_an_allocation_for_every_applied_transfer(backend: Backend) {
    const DATA: &str = "INSERT INTO orders (id, code, amount, currency, status, amount_received, \
        created_at, updated_at) VALUES \
        (1, 'DH91', 1000000, 'VND', 'paid', 1000000, '2026-11-01 08:00:00', '2026-11-01 08:00:00'), \
        (2, 'DH92', 1000000, 'VND', 'overpaid', 1500000, '2026-11-01 08:00:00', '2026-11-01 08:00:00'); \
        INSERT INTO bank_transactions (id, source, external_id, description, amount, status, \
        order_id, received_at, updated_at, resolution) VALUES \
        (1, 'casso', '1', 'DH91', 1000000, 'matched', 1, '2026-11-01 09:00:00', '2026-11-01 09:00:00', NULL), \
        (2, 'casso', '2', 'chuyen tien', 1500000, 'matched', 2, '2026-11-01 09:00:00', '2026-11-01 09:00:00', 'linked'), \
        (3, 'casso', '3', 'DH91 DH92', 700000, 'ambiguous', NULL, '2026-11-01 09:00:00', '2026-11-01 09:00:00', NULL), \
        (4, 'casso', '4', 'DH92', 10000, 'order_closed', 2, '2026-11-01 09:00:00', '2026-11-01 09:00:00', NULL);";
    let (_database, db) = crate::history::migrated_over(backend, "2026-11-30-000011", DATA).await;
    let allocations = db
        .run(|conn| {
            with_store!(conn, |s| (1..=4)
                .map(|id| s.bank_transaction(id))
                .collect::<Result<Vec<_>, _>>())
        })
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            t.unwrap()
                .allocations
                .iter()
                .map(|a| format!("{} {}", a.order_code, a.amount))
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    assert_eq!(
        allocations,
        [vec!["DH91 100"], vec!["DH92 150"], vec![], vec![]]
    );
    // Their credits have no history row: each order still lists the transfers that paid it
    // (migration 000018 lists their allocations by order), beside those naming it unpaid.
    let listed = db
        .run(|conn| {
            with_store!(conn, |s| ["DH91", "DH92"]
                .map(|code| s.transactions_of(&[OrderCode::parse(code).unwrap()]))
                .into_iter()
                .collect::<Result<Vec<_>, _>>())
        })
        .await
        .unwrap()
        .iter()
        .map(|of| of.iter().map(|t| t.row_id).collect::<Vec<_>>())
        .collect::<Vec<_>>();
    assert_eq!(listed, [vec![1], vec![2, 4]]);
}
