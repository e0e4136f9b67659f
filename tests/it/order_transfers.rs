//! An order lists every transfer that names it or paid it, after a random workload of webhooks
//! and admin decisions: the order's page reads them by three indexes (migration 000018: the
//! transfers naming it unpaid, its history's credits, the allocations from before history),
//! and a recount from every transaction the API lists must agree.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::admin::{get, logged_in, post, seen_of};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(an_order_lists_every_transfer_naming_or_paying_it);

const ORDERS: u64 = 8;

fn pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The order code a link preview confirms (its hidden field).
fn preview_code(html: &str) -> String {
    let rest = html
        .split(r#"name="code" value=""#)
        .nth(1)
        .expect("code field");
    rest.split('"').next().unwrap().to_owned()
}

/// The transfers that name `code` or paid it, from every transaction the API lists.
fn recount(all: &[Value], code: &str) -> BTreeSet<String> {
    all.iter()
        .filter(|t| {
            t["order_code"] == code
                || t["allocations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["order_code"] == code)
        })
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_order_lists_every_transfer_naming_or_paying_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut rng = StdRng::seed_from_u64(18);
    for n in 1..=ORDERS {
        let body = json!({"code": format!("DH{n}"), "amount": 1000 * n});
        assert_eq!(app.create_order(body).await.0, 201);
    }
    let closed = format!("/api/v1/orders/DH{ORDERS}/cancel");
    app.api(reqwest::Method::POST, &closed, None).await;
    // Paying one order, naming two, naming the closed one, naming none.
    let mut amounts = Vec::new();
    for id in 1..=60u64 {
        let amount: i64 = rng.random_range(2..=3_000);
        let description = match rng.random_range(0..4) {
            0 | 1 => format!("thanh toan DH{}", rng.random_range(1..ORDERS)),
            2 => format!("DH1 DH2 lan {id}"),
            _ if rng.random_bool(0.5) => format!("tra DH{ORDERS}"),
            _ => format!("chuyen tien {id}"),
        };
        amounts.push(amount);
        let (status, _) = app.transfer(id, &description, json!(amount)).await;
        assert_eq!(status, 200);
    }
    // Admin decisions on transfers chosen at random: links to one order and splits between
    // two (each confirmed from its preview, as the page does), set-asides and undos (of a
    // match, a link, a split or a set-aside); those refused change nothing.
    let (client, csrf) = logged_in(&app).await;
    let order = |rng: &mut StdRng| format!("DH{}", rng.random_range(1..ORDERS));
    for _ in 0..80 {
        let row = rng.random_range(1..=amounts.len());
        let at = format!("/admin/transactions/{row}");
        let mut form = vec![("csrf", csrf.clone())];
        let action = match rng.random_range(0..4) {
            0 => {
                let (status, preview) = get(
                    &client,
                    &app,
                    &format!("{at}/link?code={}", order(&mut rng)),
                )
                .await;
                if status != StatusCode::OK {
                    continue;
                }
                form.push(("code", preview_code(&preview)));
                form.extend(seen_of(&preview).into_iter().map(|s| ("seen", s)));
                "link"
            }
            1 => {
                let amount = amounts[row - 1];
                let share = rng.random_range(1..amount);
                form.extend([
                    ("code", order(&mut rng)),
                    ("amount", share.to_string()),
                    ("code", order(&mut rng)),
                    ("amount", (amount - share).to_string()),
                ]);
                let r = post(&client, &app, &format!("{at}/split/preview"), &pairs(&form)).await;
                if r.status() != StatusCode::OK {
                    continue;
                }
                let preview = r.text().await.unwrap();
                form.extend(seen_of(&preview).into_iter().map(|s| ("seen", s)));
                "split"
            }
            2 => {
                form.push(("resolution", "ignored".to_owned()));
                "set-aside"
            }
            _ => {
                form.push(("confirm", "1".to_owned()));
                "undo"
            }
        };
        let r = post(&client, &app, &format!("{at}/{action}"), &pairs(&form)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{action}");
    }

    let all = app.all_transactions().await;
    let shares = |t: &Value| t["allocations"].as_array().unwrap().len();
    let status = |t: &Value| t["status"].as_str().unwrap().to_owned();
    assert!(
        all.iter().any(|t| shares(t) == 2)
            && all.iter().any(|t| shares(t) == 1)
            && all.iter().any(|t| status(t) == "order_closed")
            && all.iter().any(|t| t["resolution"] == "ignored")
            && all
                .iter()
                .any(|t| status(t) != "matched" && t["order_code"].is_string()),
        "the workload reaches splits, matches, a closed order, set-asides and named transfers \
         that paid nothing"
    );
    for n in 1..=ORDERS {
        let code = format!("DH{n}");
        let (_, order) = app.get_order(&code).await;
        let listed: BTreeSet<String> = order["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed, recount(&all, &code), "{code}");
    }
}
