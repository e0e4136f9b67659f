//! The queue's kept tallies (a count and the money of each waiting status, kept by triggers)
//! against a recount, after a random workload of webhooks and admin decisions.

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::admin::{get, logged_in, post};
use crate::admin_data::{in_language, tab_count, tab_text};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    waiting_tallies_equal_a_recount,
    a_list_counts_up_to_ten_thousand,
    the_migration_tallies_what_is_waiting,
);

const WAITING: [&str; 4] = ["unmatched", "unknown_order", "ambiguous", "order_closed"];

/// The money in that a list page shows (English: `200,000 ₫`).
fn money_in(html: &str) -> Decimal {
    let shown = html
        .split("class=\"money-in\">")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("money in");
    shown.replace(',', "").parse().expect("an amount")
}

/// Counts and money in of each waiting status, from every transaction the API lists.
fn recount(transactions: &[Value]) -> BTreeMap<String, (i64, Decimal)> {
    let mut counted: BTreeMap<String, (i64, Decimal)> = WAITING
        .iter()
        .map(|s| (s.to_string(), (0, Decimal::ZERO)))
        .collect();
    for t in transactions {
        if let Some((n, money)) = counted.get_mut(t["status"].as_str().unwrap()) {
            *n += 1;
            *money += decimal(&t["amount"]).max(Decimal::ZERO);
        }
    }
    counted
}

async fn waiting_tallies_equal_a_recount(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut rng = StdRng::seed_from_u64(25);
    for n in 1..=10 {
        let body = json!({"code": format!("DH{n}"), "amount": 1000 * n});
        assert_eq!(app.create_order(body).await.0, 201);
    }
    for closed in ["DH9", "DH10"] {
        let path = format!("/api/v1/orders/{closed}/cancel");
        app.api(reqwest::Method::POST, &path, None).await;
    }
    // Every kind of transfer, in envelopes of 1 to 5: matched and partly paying, naming no
    // order, no code, two orders, a closed order, money going out, Casso's test call.
    let mut id = 0;
    while id < 80 {
        let mut elements = Vec::new();
        for _ in 0..rng.random_range(1..=5) {
            id += 1;
            let open = rng.random_range(1..=8);
            let amount: i64 = rng.random_range(1..=9_999);
            let (description, amount) = match rng.random_range(0..7) {
                0 => (format!("thanh toan DH{open}"), amount),
                1 => (format!("DH{}", 5000 + id), amount),
                2 => (format!("chuyen tien {id}"), amount),
                3 => (format!("DH1 DH2 lan {id}"), amount),
                4 => ("tra DH9".to_owned(), amount),
                5 => (format!("rut tien {id}"), -amount),
                _ => ("giao dich thu nghiem".to_owned(), amount),
            };
            elements.push(element(id, &description, json!(amount)));
        }
        assert_eq!(app.post_webhook(&envelope(elements)).await.0, 200);
    }
    // Decisions: set aside (leaves the queue), undo (back into it, from a set-aside or a
    // match), on transfers chosen at random; some are refused, which must change nothing.
    let (client, csrf) = logged_in(&app).await;
    for _ in 0..40 {
        let row = rng.random_range(1..=id);
        let r = match rng.random_bool(0.5) {
            true => {
                let form = [("csrf", csrf.as_str()), ("resolution", "refunded")];
                post(
                    &client,
                    &app,
                    &format!("/admin/transactions/{row}/set-aside"),
                    &form,
                )
                .await
            }
            false => {
                let form = [("csrf", csrf.as_str()), ("confirm", "1")];
                post(
                    &client,
                    &app,
                    &format!("/admin/transactions/{row}/undo"),
                    &form,
                )
                .await
            }
        };
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    // Deliveries again change nothing.
    let again: Vec<Value> = (1..=10).map(|n| element(n, "lai", json!(1))).collect();
    assert_eq!(app.post_webhook(&envelope(again)).await.0, 200);

    let counted = recount(&app.all_transactions().await);
    assert!(
        counted.values().filter(|(n, _)| *n > 0).count() == 4,
        "the workload reaches every waiting status: {counted:?}"
    );
    in_language(&client, &app, "en").await;
    // The plain queue reads the tallies; with a day filter that holds every transfer, the
    // same tabs are counted from the rows.
    let (_, kept) = get(&client, &app, "/admin/queue").await;
    let (_, rows) = get(&client, &app, "/admin/queue?from=2000-01-01").await;
    let mut all = (0, Decimal::ZERO);
    for (status, (n, money)) in &counted {
        assert_eq!(
            tab_count(&kept, &format!("/admin/queue?status={status}")),
            *n,
            "{status}"
        );
        let filtered = format!("/admin/queue?status={status}&from=2000-01-01");
        assert_eq!(tab_count(&rows, &filtered), *n, "{status}");
        let (_, one) = get(&client, &app, &format!("/admin/queue?status={status}")).await;
        assert_eq!(money_in(&one), *money, "{status}");
        all = (all.0 + n, all.1 + money);
    }
    assert_eq!(tab_count(&kept, "/admin/queue"), all.0);
    assert_eq!((money_in(&kept), money_in(&rows)), (all.1, all.1));
}

/// Stores `n` matched transfers straight into the database (through webhooks it would take
/// minutes), dated 2026-12-01.
fn bulk_matched(app: &TestApp, backend: Backend, n: u32) {
    let columns = "source, external_id, description, amount, status, received_at, updated_at";
    let row = "'casso', 'bulk' || i, 'bulk ' || i, 10000, 'matched', \
               '2026-12-01 00:00:00', '2026-12-01 00:00:00'";
    match backend {
        Backend::Sqlite => {
            let path = app.db_url().trim_start_matches("sqlite://");
            SqliteConnection::establish(path)
                .unwrap()
                .batch_execute(&format!(
                    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
                     INSERT INTO bank_transactions ({columns}) SELECT {row} FROM s"
                ))
                .unwrap()
        }
        Backend::Postgres => PgConnection::establish(app.db_url())
            .unwrap()
            .batch_execute(&format!(
                "INSERT INTO bank_transactions ({columns}) \
                 SELECT {row} FROM generate_series(1, {n}) AS s(i)"
            ))
            .unwrap(),
    }
}

/// A list holding more than 10,000 rows counts to 10,000 and says "10,000+", shows no totals it
/// could not add up, and pages on past its numbered pages; waiting tallies stay exact.
async fn a_list_counts_up_to_ten_thousand(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    bulk_matched(&app, backend, 10_050);
    assert_eq!(app.transfer(1, "no code", json!(5)).await.0, 200);
    let (client, _) = logged_in(&app).await;
    in_language(&client, &app, "en").await;

    let (_, all) = get(&client, &app, "/admin/transactions").await;
    assert_eq!(tab_text(&all, "/admin/transactions"), "10,001+");
    assert_eq!(
        tab_text(&all, "/admin/transactions?status=matched"),
        "10,000+"
    );
    assert_eq!(tab_text(&all, "/admin/transactions?status=unmatched"), "1");
    assert!(
        !all.contains("class=\"money-in\""),
        "no total it could not add up"
    );
    assert!(all.contains("class=\"over-cap\""));
    // The numbered pages end with a gap, not a last page; past them, "next" follows the rows.
    let (_, last) = get(&client, &app, "/admin/transactions?status=matched&page=200").await;
    let last = last.replace("&#38;", "&").replace("&amp;", "&");
    assert!(
        last.contains("<span aria-current=\"page\">200</span>"),
        "{last}"
    );
    assert!(!last.contains("page=201"), "no page past the counted ones");
    assert!(
        last.contains("status=matched&cursor="),
        "next goes on after the last row"
    );
    // A narrower filter is counted exactly again, totals and all.
    let (_, day) = get(&client, &app, "/admin/transactions?to=2025-01-01").await;
    assert_eq!(tab_text(&day, "/admin/transactions?to=2025-01-01"), "1");
    assert_eq!(money_in(&day), Decimal::from(5));
    let (_, queue) = get(&client, &app, "/admin/queue").await;
    assert_eq!(tab_count(&queue, "/admin/queue"), 1);
    assert_eq!(money_in(&queue), Decimal::from(5));
}

/// Migration `000017` tallies the transfers already waiting, exactly even where the sum of
/// their amounts passes what a BIGINT holds, and leaves the others out.
async fn the_migration_tallies_what_is_waiting(backend: Backend) {
    use paymatch::db::{Reports, TransferFilter};
    use paymatch::domain::TransactionStatus;
    // Amounts in ten-thousandths: 150,000 VND; twice 900 trillion VND (their sum passes 2^63);
    // half a dong; and a matched transfer that no tally counts.
    const TRANSFERS: &str = "INSERT INTO bank_transactions (source, external_id, description, \
        amount, status, received_at, updated_at) VALUES \
        ('casso', '1', 'a', 1500000000, 'unmatched', '2026-11-01 08:00:00', '2026-11-01 08:00:00'), \
        ('casso', '2', 'b', 9000000000000000000, 'unmatched', '2026-11-01 08:00:00', '2026-11-01 08:00:00'), \
        ('casso', '3', 'c', 9000000000000000000, 'unknown_order', '2026-11-01 08:00:00', '2026-11-01 08:00:00'), \
        ('casso', '4', 'd', 5000, 'ambiguous', '2026-11-01 08:00:00', '2026-11-01 08:00:00'), \
        ('casso', '5', 'e', 7, 'matched', '2026-11-01 08:00:00', '2026-11-01 08:00:00');";
    let (_database, db) =
        crate::history::migrated_over(backend, "2026-12-04-000017", TRANSFERS).await;
    let mut conn = db.get().unwrap();
    let filter = TransferFilter {
        statuses: TransactionStatus::WAITING.to_vec(),
        ..TransferFilter::default()
    };
    let (counts, totals) = paymatch::with_store!(&mut conn, |s| (
        s.transfer_counts(&filter, &TransactionStatus::WAITING)
            .unwrap(),
        s.transfer_totals(&filter).unwrap()
    ));
    let count = |status| counts.iter().find(|(s, _)| *s == status).map(|(_, n)| *n);
    assert_eq!(count(TransactionStatus::Unmatched), Some(2));
    assert_eq!(count(TransactionStatus::UnknownOrder), Some(1));
    assert_eq!(count(TransactionStatus::Ambiguous), Some(1));
    assert_eq!(count(TransactionStatus::OrderClosed), Some(0));
    assert_eq!(totals.money_in.to_string(), "1800000000150000.5");
    assert_eq!(totals.money_out.to_string(), "0");
}
