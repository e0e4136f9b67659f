//! Property: any mix of single, combined and split payments, duplicate deliveries and undos
//! keeps every order's amount_received equal to the sum of its allocations, all read back
//! through the API; every applied transfer's allocations add up to its amount.

use std::sync::Arc;

use paymatch::db::TransactionStore;
use paymatch::domain::Money;
use paymatch::with_store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::admin::{logged_in, post, seen_of};
use crate::helpers::*;

#[derive(Debug, Clone)]
enum Op {
    /// A transfer naming one order, in ten-thousandths.
    Single(usize, i64),
    /// A transfer naming these orders: exactly what they owe, or that and `off` more units.
    Combined(Vec<usize>, i64),
    /// A transfer without a code that an admin splits: each order's share, in units.
    Split(Vec<(usize, i64)>),
    /// The n-th delivery (modulo how many there are) again.
    Replay(usize),
    /// An admin undoes the n-th transfer.
    Undo(usize),
}

fn sequences() -> impl Strategy<Value = (Vec<i64>, Vec<Op>)> {
    prop::collection::vec(1i64..=2_000, 2..5).prop_flat_map(|amounts| {
        let n = amounts.len();
        let units = 1i64..=1_500;
        let orders = prop::collection::vec(0..n, 2..=n);
        let op = prop_oneof![
            2 => (0..n, units.clone()).prop_map(|(o, u)| Op::Single(o, u)),
            3 => (orders, prop_oneof![3 => Just(0i64), 1 => -2i64..=2])
                .prop_map(|(o, off)| Op::Combined(o, off)),
            3 => prop::collection::vec((0..n, units), 2..=3).prop_map(Op::Split),
            2 => (0usize..32).prop_map(Op::Replay),
            3 => (0usize..32).prop_map(Op::Undo),
        ];
        (Just(amounts), prop::collection::vec(op, 1..12))
    })
}

fn amount(units: i64) -> String {
    Money::from_units(units).to_string()
}

fn units(value: &Value) -> i64 {
    Money::parse(value.as_str().unwrap_or("0"))
        .unwrap()
        .to_units()
        .unwrap()
}

struct Case<'a> {
    app: &'a TestApp,
    admin: &'a Client,
    csrf: &'a str,
    n: usize,
    /// Every delivery posted: its envelope, and the transfer's row id.
    deliveries: Vec<(Value, i64)>,
}

impl Case<'_> {
    fn code(&self, i: usize) -> String {
        format!("DH{}0{i}", self.n)
    }

    async fn order(&self, i: usize) -> Value {
        let (status, order) = self.app.get_order(&self.code(i)).await;
        assert_eq!(status, 200, "{order}");
        order
    }

    /// Posts a new transfer and remembers its delivery; returns its row id.
    async fn deliver(&mut self, description: String, units: i64) -> i64 {
        let id = (self.n * 1000 + self.deliveries.len()) as u64;
        let body = envelope(vec![element(id, &description, json!(amount(units)))]);
        let (status, reply) = self.app.post_webhook(&body).await;
        assert_eq!((status, reply["accepted"].as_i64()), (200, Some(1)));
        let row = self
            .app
            .db
            .run(|conn| with_store!(conn, |s| s.list_transactions(None, None, 1)))
            .await
            .unwrap()
            .items[0]
            .row_id;
        self.deliveries.push((body, row));
        row
    }

    async fn run(&mut self, op: &Op) {
        match op {
            Op::Single(i, units) => {
                self.deliver(format!("thanh toan {}", self.code(*i)), *units)
                    .await;
            }
            Op::Combined(orders, off) => {
                let mut due = 0;
                let mut codes = Vec::new();
                for i in orders {
                    codes.push(self.code(*i));
                    due += units(&self.order(*i).await["amount_due"]);
                }
                // Nothing owed, or a shortfall as large as the sum: not a payment.
                if due + off > 0 {
                    self.deliver(codes.join(" "), due + off).await;
                }
            }
            Op::Split(shares) => {
                let total = shares.iter().map(|(_, u)| u).sum();
                let row = self.deliver("chuyen tien".into(), total).await;
                let rows: Vec<(String, String)> = shares
                    .iter()
                    .map(|(i, u)| (self.code(*i), amount(*u)))
                    .collect();
                let mut form = vec![("csrf", self.csrf)];
                for (code, amount) in &rows {
                    form.push(("code", code));
                    form.push(("amount", amount));
                }
                // Through the preview, as the admin's browser does.
                let path = format!("/admin/transactions/{row}/split");
                let preview = post(self.admin, self.app, &format!("{path}/preview"), &form).await;
                let seen = seen_of(&preview.text().await.unwrap());
                form.extend(seen.iter().map(|s| ("seen", s.as_str())));
                let r = post(self.admin, self.app, &path, &form).await;
                // Refused (the same order twice) or done: either way, the sums must hold.
                assert!(
                    [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY].contains(&r.status())
                );
            }
            Op::Replay(k) => {
                if let Some((body, _)) = self.deliveries.get(k % self.deliveries.len().max(1)) {
                    let (_, reply) = self.app.post_webhook(body).await;
                    assert_eq!(reply["duplicates"], 1, "{reply}");
                }
            }
            Op::Undo(k) => {
                if let Some((_, row)) = self.deliveries.get(k % self.deliveries.len().max(1)) {
                    let path = format!("/admin/transactions/{row}/undo");
                    let form = [("csrf", self.csrf), ("confirm", "1")];
                    // Refusals (not applied, a later credit) are part of the sequence.
                    let r = post(self.admin, self.app, &path, &form).await;
                    assert_eq!(r.status(), StatusCode::SEE_OTHER);
                }
            }
        }
    }

    /// Every order's amount_received is the sum of its allocations, as the API shows them.
    async fn check(&self, orders: usize) -> Result<(), TestCaseError> {
        for i in 0..orders {
            let order = self.order(i).await;
            let code = self.code(i);
            let mut allocated = 0;
            for tx in order["transactions"].as_array().unwrap() {
                let shares = tx["allocations"].as_array().unwrap();
                let total: i64 = shares.iter().map(|a| units(&a["amount"])).sum();
                if !shares.is_empty() {
                    prop_assert_eq!(total, units(&tx["amount"]), "{}", tx);
                }
                allocated += shares
                    .iter()
                    .filter(|a| a["order_code"] == code.as_str())
                    .map(|a| units(&a["amount"]))
                    .sum::<i64>();
            }
            prop_assert_eq!(units(&order["amount_received"]), allocated, "{}", order);
        }
        Ok(())
    }
}

async fn sums_of_allocations_hold(backend: Backend) {
    let cases = match backend {
        Backend::Sqlite => 40,
        Backend::Postgres => 24,
    };
    let app = Arc::new(TestApp::spawn(backend).await);
    let (admin, csrf) = logged_in(&app).await;
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(Config {
            cases,
            ..Config::default()
        });
        let case = std::sync::atomic::AtomicUsize::new(0);
        runner
            .run(&sequences(), |(amounts, ops)| {
                let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                runtime.block_on(async {
                    let mut case = Case {
                        app: &app,
                        admin: &admin,
                        csrf: &csrf,
                        n,
                        deliveries: Vec::new(),
                    };
                    for (i, units) in amounts.iter().enumerate() {
                        let body = json!({"code": case.code(i), "amount": amount(*units)});
                        let (status, _) = app.api(Method::POST, "/api/v1/orders", Some(body)).await;
                        assert_eq!(status, 201);
                    }
                    for op in &ops {
                        case.run(op).await;
                    }
                    case.check(amounts.len()).await
                })
            })
            .unwrap();
    })
    .await
    .unwrap();
}

crate::on_both_backends!(sums_of_allocations_hold);
