//! The queue in one click: each waiting row names the order it is most likely for, as a link to
//! that order's link preview, but only when one order is strictly better than the rest; a tie
//! says so, on the row and on the transfer's page.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use diesel::Connection;
use paymatch::db::{AmountWindow, DbConn, PoolPurpose, Store};
use paymatch::domain::{BankTransaction, Money, OrderCode};
use paymatch::ingest::suggest::{best_of_rows, RowBest, Why};
use serde_json::json;

use crate::admin::{get, logged_in, post};
use crate::helpers::*;
use crate::on_both_backends;
use crate::prepared::{Recorder, Statements};
use crate::webhook_v2::{post_v2, signed, KEY};

on_both_backends!(
    the_queue_offers_the_best_order_or_says_it_is_a_tie,
    the_queue_runs_by_bank_time_and_a_decision_opens_the_next,
    a_page_reads_its_rows_suggestions_in_a_few_statements
);

async fn the_queue_offers_the_best_order_or_says_it_is_a_tie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_order(json!({"code": "DH1023", "amount": 150000}))
        .await;
    app.create_order(json!({"code": "DH2001", "amount": 99000}))
        .await;
    app.create_order(json!({"code": "DH2002", "amount": 99000}))
        .await;
    // Paid now: orders due the same amount made around then are suggested.
    let now = chrono::Utc::now() + chrono::Duration::hours(7);
    let elements = [
        (1, "chuyen tien DH1O23", 150000),
        (2, "khong ghi ma", 99000),
    ]
    .map(|(id, description, amount)| {
        let mut e = element(id, description, json!(amount));
        e["when"] = json!(now.format("%Y-%m-%d %H:%M:%S").to_string());
        e
    })
    .to_vec();
    app.post_webhook(&envelope(elements)).await;
    let (admin, _) = logged_in(&app).await;
    let (_, queue) = get(&admin, &app, "/admin/queue").await;
    let link = queue
        .split("class=\"best-link\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a best order: {queue}"));
    assert!(link.ends_with("/link?code=DH1023"), "{link}");
    assert_eq!(queue.matches("class=\"best-link\"").count(), 1, "{queue}");
    assert!(queue.contains("Several orders fit as well"), "{queue}");
    // One click: the link preview of that order.
    let (status, preview) = get(&admin, &app, link).await;
    assert_eq!(status, 200);
    assert!(preview.contains("DH1023"));
    // The transfer's own page: no "best" on a tie.
    let tie_page = queue
        .split("href=\"/admin/transactions/")
        .filter_map(|rest| rest.split('"').next())
        .find(|id| id.chars().all(|c| c.is_ascii_digit()) && !link.contains(&format!("/{id}/")))
        .expect("the other transfer");
    let (_, page) = get(&admin, &app, &format!("/admin/transactions/{tie_page}")).await;
    assert!(
        page.contains(r#"id="tie""#) && !page.contains("badge best"),
        "{page}"
    );
}

/// The ids of the transfers a list page links to, in its order.
fn listed(page: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for rest in page.split("href=\"/admin/transactions/").skip(1) {
        let id = rest.split(['"', '/', '?']).next().unwrap_or_default();
        if id.chars().all(|c| c.is_ascii_digit()) && ids.last().map(String::as_str) != Some(id) {
            ids.push(id.to_owned());
        }
    }
    ids
}

async fn the_queue_runs_by_bank_time_and_a_decision_opens_the_next(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Arrival order is not the bank's: the last to arrive happened first (a late pull).
    let elements = [
        (1, "first to arrive", "2026-12-01 10:00:00"),
        (2, "second to arrive", "2026-12-01 12:00:00"),
        (3, "pulled late", "2026-12-01 08:00:00"),
    ]
    .map(|(id, description, when)| {
        let mut e = element(id, description, json!(5000));
        e["when"] = json!(when);
        e
    });
    app.post_webhook(&envelope(elements.to_vec())).await;
    let (admin, csrf) = logged_in(&app).await;
    let badge = |n: usize| {
        format!(r#"<span class="badge-count" title="waiting for a decision">{n}</span>"#)
    };
    let (_, dashboard) = get(&admin, &app, "/admin").await;
    assert!(
        dashboard.contains(&badge(3)),
        "the menu counts what waits: {dashboard}"
    );
    let (_, queue) = get(&admin, &app, "/admin/queue").await;
    let order: Vec<usize> = ["second to arrive", "first to arrive", "pulled late"]
        .iter()
        .map(|d| queue.find(d).unwrap_or_else(|| panic!("{d} listed")))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "newest bank time first"
    );
    let ids = listed(&queue);
    assert_eq!(ids.len(), 3, "{ids:?}");
    // A page of one row continues by bank time too.
    let (_, second) = get(
        &admin,
        &app,
        &format!("/admin/queue?cursor={}&limit=1", ids[0]),
    )
    .await;
    assert_eq!(listed(&second).first(), Some(&ids[1]), "{second}");

    let decide = |id: String| {
        let (admin, csrf, app) = (&admin, &csrf, &app);
        async move {
            let path = format!("/admin/transactions/{id}/set-aside");
            let form = [("csrf", csrf.as_str()), ("resolution", "ignored")];
            let r = post(admin, app, &path, &form).await;
            r.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        decide(ids[0].clone()).await,
        format!(
            "/admin/transactions/{}?done=set_aside&prev={}",
            ids[1], ids[0]
        )
    );
    let (_, next) = get(
        &admin,
        &app,
        &format!(
            "/admin/transactions/{}?done=set_aside&prev={}",
            ids[1], ids[0]
        ),
    )
    .await;
    assert!(next.contains(r#"id="next-waiting">"#), "{next}");
    assert!(next.contains(&format!(r#"href="/admin/transactions/{}""#, ids[0])));
    decide(ids[1].clone()).await;
    assert_eq!(decide(ids[2].clone()).await, "/admin/queue?done=set_aside");
    // Counted again after the decisions: nothing waits, so no badge.
    let (_, empty) = get(&admin, &app, "/admin/queue?done=set_aside").await;
    assert!(!empty.contains("badge-count"), "{empty}");
}

/// A page of waiting rows reads what its suggestions need in a few statements, not a few a
/// row (a round trip a row was most of the queue's time on PostgreSQL at a million
/// transfers), and each row gets what it would get alone: the orders due its amount in its
/// own window (the newest ten of them), the customers its payer's account paid for.
async fn a_page_reads_its_rows_suggestions_in_a_few_statements(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("PAYMATCH_CASSO_WEBHOOK_KEY", KEY)]).await;
    let vietnam = |at: chrono::DateTime<Utc>| {
        (at + Duration::hours(7))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let now = Utc::now();
    let v2 = |id: u64, amount: i64, name: &str, account: &str, at: chrono::DateTime<Utc>| {
        json!({"error": 0, "data": {
            "id": id, "reference": format!("FT{id}"), "description": "chuyen tien",
            "amount": amount, "transactionDateTime": vietnam(at), "accountNumber": "88888888",
            "counterAccountName": name, "counterAccountNumber": account,
            "counterAccountBankName": "Vietcombank"
        }})
    };
    // Her account paid her order (matched by the payer: hers is the one order with her name).
    let order = json!({"code": "DH500", "amount": 420000, "customer": {"name": "Nông Thị Hoa"}});
    assert_eq!(app.create_order(order).await.0, 201);
    let body = v2(1, 420000, "NONG THI HOA", "0071000123456", now);
    assert_eq!(
        post_v2(&app, &body.to_string(), &signed(&body)).await.0,
        200
    );
    // Twelve orders due 99,000 (more than a row looks at), the oldest hers; three due 150,000.
    for i in 1..=12 {
        let mut order = json!({"code": format!("DH3{i:02}"), "amount": 99000});
        if i == 1 {
            order["customer"] = json!({"name": "Nông Thị Hoa"});
        }
        assert_eq!(app.create_order(order).await.0, 201);
    }
    for i in 1..=3 {
        let order = json!({"code": format!("DH40{i}"), "amount": 150000});
        assert_eq!(app.create_order(order).await.0, 201);
    }
    let mut payments = Vec::new();
    // Waiting: from her account (her husband), from strangers, and without a payer; now, a
    // day ago and four days ago (no order made in its window); of three amounts.
    let amounts = [99000, 150000, 200000];
    let ages = [Duration::zero(), Duration::days(1), Duration::days(4)];
    for i in 0..6u64 {
        let account = match i % 2 {
            0 => "0071000123456".to_owned(),
            _ => format!("00710009999{i:02}"),
        };
        let at = now - ages[i as usize % 3];
        payments.push(v2(
            10 + i,
            amounts[i as usize % 3],
            "TRAN VAN CHONG",
            &account,
            at,
        ));
    }
    for body in payments {
        let (status, reply) = post_v2(&app, &body.to_string(), &signed(&body)).await;
        assert_eq!(status, 200, "{reply}");
    }
    let elements = (0..30u64)
        .map(|i| {
            let mut e = element(100 + i, "khong ghi ma", json!(amounts[i as usize % 3]));
            e["when"] = json!(vietnam(now - ages[(i / 3) as usize % 3]));
            e
        })
        .collect();
    assert_eq!(app.post_webhook(&envelope(elements)).await.0, 200);

    let settings = settings_for(app.database_url(), &[]);
    let db = paymatch::startup::connect_and_migrate(&settings, PoolPurpose::Command)
        .await
        .unwrap();
    match db.get().unwrap() {
        DbConn::Sqlite(mut conn) => rows_read_as_alone(&mut *conn),
        DbConn::Postgres(mut conn) => rows_read_as_alone(&mut *conn),
    }
}

fn vnd(amount: i64) -> Money {
    Money::from_decimal(amount.into()).unwrap()
}

fn rows_read_as_alone<C: Store + Connection>(conn: &mut C) {
    let rows: Vec<BankTransaction> = conn
        .list_transactions(None, None, 100)
        .unwrap()
        .items
        .into_iter()
        .filter(|t| t.status.is_waiting())
        .collect();
    assert_eq!(rows.len(), 36, "every transfer but her first waits");
    let recorded = Arc::new(Mutex::new(Statements::default()));
    conn.set_instrumentation(Recorder(recorded.clone()));
    let page = best_of_rows(conn, &rows).unwrap();
    let statements = std::mem::take(&mut recorded.lock().unwrap().started);
    // The named orders, the newest with a customer, the orders due each amount, the customers
    // each account paid for.
    assert!(statements.len() <= 4, "{statements:#?}");

    for row in &rows {
        let alone = best_of_rows(conn, std::slice::from_ref(row)).unwrap();
        let in_page: Vec<_> = page
            .iter()
            .filter(|(id, _)| *id == row.row_id)
            .cloned()
            .collect();
        assert_eq!(in_page, alone, "row {}: {}", row.row_id, row.description);
    }
    // What the rows were: her husband's 99,000 now goes to her order, as her account paid for
    // her before; 150,000 now fits three orders as well as each other; four days ago nothing.
    let best_of = |amount: i64, age: Duration, account: Option<&str>| {
        let row = rows
            .iter()
            .find(|t| {
                t.amount == vnd(amount)
                    && t.when
                        .is_some_and(|w| (Utc::now() - age - w).num_minutes().abs() < 5)
                    && t.payer.account.as_deref() == account
            })
            .unwrap_or_else(|| panic!("a row of {amount}"));
        page.iter()
            .find(|(id, _)| *id == row.row_id)
            .map(|(_, best)| best.clone())
    };
    let hers = RowBest::One(
        OrderCode::parse("DH301").unwrap(),
        Why::KnownAccountExactAmount,
    );
    assert_eq!(
        best_of(99000, Duration::zero(), Some("0071000123456")),
        Some(hers)
    );
    assert_eq!(best_of(150000, Duration::zero(), None), Some(RowBest::Tie));
    assert_eq!(best_of(99000, Duration::days(4), None), None);

    // The orders due each amount: as many windows in one statement as alone.
    let windows: Vec<AmountWindow> = rows
        .iter()
        .map(|t| AmountWindow {
            amount: t.amount,
            from: t.received_at - Duration::days(3),
            to: t.received_at + Duration::hours(1),
        })
        .chain([AmountWindow {
            amount: vnd(99000),
            from: Utc::now() - Duration::days(9),
            to: Utc::now() - Duration::days(7),
        }])
        .collect();
    let together = conn.open_orders_in(&windows, 10).unwrap();
    assert_eq!(together.len(), windows.len());
    for (window, orders) in windows.iter().zip(&together) {
        let alone = conn.open_orders_in(&[*window], 10).unwrap().remove(0);
        let codes = |orders: &[paymatch::domain::Order]| {
            orders
                .iter()
                .map(|o| o.code.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(orders), codes(&alone), "{window:?}");
    }
    let sizes: Vec<usize> = together.iter().map(Vec::len).collect();
    assert!(
        sizes.contains(&10) && sizes.contains(&3) && sizes.contains(&0),
        "{sizes:?}"
    );
}
