//! The crash test: the server is killed (SIGKILL) while webhooks are in flight, restarted on the
//! same database, and Casso's retries are replayed. Every acknowledged transfer must have
//! survived, every transfer must end up stored exactly once, and every order must hold the exact
//! sum of the distinct transfers naming it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::cli::{send_webhook, Server, WebhookOutcome};
use crate::helpers::{count_ids, decimal, num, Backend, TestDatabase};

const TOKEN: &str = "crash-test-secure-token-0451";
const KEY: &str = "crash-test-api-key-0451";

/// Orders DH1..=DH20; DH1..=DH18 receive transfers, DH19 and DH20 stay pending.
const ORDERS: u32 = 20;
const FUNDED: u32 = 18;
const DELIVERIES: usize = 150;
const SENDERS: usize = 6;
/// The kill comes once this many deliveries were acknowledged.
const ACKED_BEFORE_KILL: usize = 40;
const DUPLICATES_RESENT: usize = 5;

#[derive(Clone, Debug)]
struct Transfer {
    id: u64,
    order: Option<u32>,
    /// Hundredths of the currency unit.
    cents: i64,
}

impl Transfer {
    fn element(&self) -> Value {
        let description = match self.order {
            Some(k) => format!("MBVCB.{}.NGUYEN VAN A thanh toan DH{k} cam on", self.id),
            None => format!("MBVCB.{}.NGUYEN VAN A chuyen tien an trua", self.id),
        };
        json!({
            "id": self.id,
            "tid": format!("TF{}", self.id),
            "description": description,
            "amount": num(&money(self.cents)),
            "cusum_balance": 0,
            "when": "2024-10-03 15:06:37",
            "bank_sub_acc_id": "1",
            "subAccId": "1",
        })
    }
}

/// Hundredths as the contract writes an amount: no trailing zeros, no point for whole numbers.
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (whole, fraction) = (cents.abs() / 100, cents.abs() % 100);
    match fraction {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

struct Plan {
    /// Each delivery is one webhook; every fifth carries two transfers.
    deliveries: Vec<Vec<Transfer>>,
    /// Order amounts, in hundredths.
    amounts: BTreeMap<u32, i64>,
    /// The sum of the transfers naming each order, in hundredths.
    totals: BTreeMap<u32, i64>,
    /// How many transfers name each order.
    counts: BTreeMap<u32, usize>,
}

impl Plan {
    fn new() -> Plan {
        let mut deliveries = Vec::new();
        let mut next: u64 = 0;
        for d in 0..DELIVERIES {
            let size = if d % 5 == 4 { 2 } else { 1 };
            let mut delivery = Vec::new();
            for _ in 0..size {
                let j = next;
                next += 1;
                let order =
                    (j % 13 != 12).then(|| u32::try_from(j % u64::from(FUNDED)).unwrap() + 1);
                let cents = 1_000_000
                    + i64::try_from((j * 7919) % 4000).unwrap() * 100
                    + i64::try_from(j % 4).unwrap() * 25;
                delivery.push(Transfer {
                    id: 7_000_000 + j,
                    order,
                    cents,
                });
            }
            deliveries.push(delivery);
        }
        let mut totals = BTreeMap::new();
        let mut counts = BTreeMap::new();
        for transfer in deliveries.iter().flatten() {
            if let Some(k) = transfer.order {
                *totals.entry(k).or_insert(0) += transfer.cents;
                *counts.entry(k).or_insert(0) += 1;
            }
        }
        let amounts = (1..=ORDERS)
            .map(|k| {
                let total = totals.get(&k).copied().unwrap_or(0);
                let amount = match k {
                    _ if k > FUNDED => 15_000_000,
                    _ if k % 3 == 0 => total,              // paid exactly
                    _ if k % 3 == 1 => total + 50_000_000, // partially paid
                    _ => total - 1,                        // overpaid by 0.01
                };
                (k, amount)
            })
            .collect();
        Plan {
            deliveries,
            amounts,
            totals,
            counts,
        }
    }

    fn expected_status(&self, k: u32) -> &'static str {
        let total = self.totals.get(&k).copied().unwrap_or(0);
        let amount = self.amounts[&k];
        if total == 0 {
            "pending"
        } else if total < amount {
            "partially_paid"
        } else if total == amount {
            "paid"
        } else {
            "overpaid"
        }
    }

    fn body(&self, delivery: usize) -> String {
        let data: Vec<Value> = self.deliveries[delivery]
            .iter()
            .map(Transfer::element)
            .collect();
        json!({"error": 0, "data": data}).to_string()
    }

    fn all_ids(&self) -> BTreeSet<String> {
        self.deliveries
            .iter()
            .flatten()
            .map(|t| t.id.to_string())
            .collect()
    }
}

struct Shared {
    queue: Mutex<VecDeque<usize>>,
    outcomes: Mutex<Vec<WebhookOutcome>>,
    acked: AtomicUsize,
    in_flight: AtomicUsize,
    stop: AtomicBool,
}

async fn sender(
    shared: Arc<Shared>,
    bodies: Arc<Vec<String>>,
    client: reqwest::Client,
    url: String,
) {
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Some(index) = shared.queue.lock().unwrap().pop_front() else {
            return;
        };
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        // The kill shows as NoReply: the connection refused or reset.
        let timeout = Some(Duration::from_secs(30));
        let (outcome, _) = send_webhook(&client, &url, TOKEN, &bodies[index], timeout).await;
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        if outcome == WebhookOutcome::Acked {
            shared.acked.fetch_add(1, Ordering::SeqCst);
        }
        shared.outcomes.lock().unwrap()[index] = outcome;
    }
}

/// Every order's `amount_received` equals the sum of the stored transfers matched to it.
async fn assert_orders_consistent(server: &Server, transactions: &[Value]) {
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for t in transactions.iter().filter(|t| t["status"] == "matched") {
        let code = t["order_code"].as_str().unwrap().to_owned();
        *sums.entry(code).or_default() += decimal(&t["amount"]);
    }
    for k in 1..=ORDERS {
        let code = format!("DH{k}");
        let (status, order) = server.get_order(KEY, &code).await;
        assert_eq!(status, 200, "{order}");
        let stored = sums.get(&code).copied().unwrap_or_default();
        assert_eq!(
            decimal(&order["amount_received"]),
            stored,
            "{code}: amount_received differs from its stored transfers\n{order}"
        );
    }
}

async fn survives_sigkill_with_webhooks_in_flight(backend: Backend) {
    let plan = Plan::new();
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", TOKEN),
        ("PAYMATCH_API_KEY", KEY),
        ("PAYMATCH_ADMIN_PASSWORD", "crash-test-admin-password"),
    ];

    let mut server = Server::start(dir.path(), &vars).await;
    for (k, amount) in &plan.amounts {
        let (status, order) = server
            .create_order(KEY, &format!("DH{k}"), &money(*amount))
            .await;
        assert_eq!(status, 201, "{order}\n{}", server.describe());
        assert_eq!(order["amount"], money(*amount), "{order}");
    }

    // The stream: SENDERS tasks take deliveries from one queue.
    let bodies: Arc<Vec<String>> = Arc::new((0..DELIVERIES).map(|d| plan.body(d)).collect());
    let shared = Arc::new(Shared {
        queue: Mutex::new((0..DELIVERIES).collect()),
        outcomes: Mutex::new(vec![WebhookOutcome::NotSent; DELIVERIES]),
        acked: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
    });
    let url = server.url("/webhooks/casso");
    let tasks: Vec<_> = (0..SENDERS)
        .map(|_| {
            tokio::spawn(sender(
                shared.clone(),
                bodies.clone(),
                server.client.clone(),
                url.clone(),
            ))
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(120);
    while shared.acked.load(Ordering::SeqCst) < ACKED_BEFORE_KILL {
        if Instant::now() >= deadline || tasks.iter().all(|t| t.is_finished()) {
            shared.stop.store(true, Ordering::SeqCst);
            panic!(
                "only {} deliveries acknowledged: {:?}\n{}",
                shared.acked.load(Ordering::SeqCst),
                shared.outcomes.lock().unwrap(),
                server.describe()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The senders are parked on their requests while this task runs: those are in flight.
    let in_flight_at_kill = shared.in_flight.load(Ordering::SeqCst);
    server.kill();
    shared.stop.store(true, Ordering::SeqCst);
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("a sender did not finish after the kill")
            .unwrap();
    }
    let crash_logs = server.describe();
    drop(server);
    assert!(
        in_flight_at_kill > 0,
        "no request was in flight at the kill"
    );

    let outcomes = shared.outcomes.lock().unwrap().clone();
    let refused: Vec<_> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o, WebhookOutcome::Answered(..)))
        .collect();
    assert!(
        refused.is_empty(),
        "deliveries answered neither 200 nor cut off: {refused:?}\n{crash_logs}"
    );
    let acked: Vec<usize> = (0..DELIVERIES)
        .filter(|&d| outcomes[d] == WebhookOutcome::Acked)
        .collect();
    let unacked: Vec<usize> = (0..DELIVERIES)
        .filter(|&d| outcomes[d] != WebhookOutcome::Acked)
        .collect();
    assert!(acked.len() >= ACKED_BEFORE_KILL);
    assert!(!unacked.is_empty());

    // Restart on the same database: everything acknowledged is there, once.
    let server = Server::start(dir.path(), &vars).await;
    let stored = server.all_transactions(KEY).await;
    let counts = count_ids::<String>(&stored);
    for (id, n) in &counts {
        assert_eq!(*n, 1, "transaction {id} stored {n} times after the crash");
    }
    for &d in &acked {
        for t in &plan.deliveries[d] {
            assert!(
                counts.contains_key(&t.id.to_string()),
                "acknowledged transaction {} lost in the crash\n{crash_logs}\n{}",
                t.id,
                server.describe()
            );
        }
    }
    // Nothing half-applied: each order holds exactly what its stored transfers sum to.
    assert_orders_consistent(&server, &stored).await;

    // Casso retries what it got no 200 for; some acknowledged ones come again too.
    for &d in &unacked {
        let (status, ack) = server.webhook(TOKEN, &plan.body(d)).await;
        assert_eq!(
            status,
            200,
            "resending delivery {d}: {ack}\n{}",
            server.describe()
        );
        let size = plan.deliveries[d].len();
        assert_eq!(ack["rejected"], 0, "{ack}");
        assert_eq!(
            ack["accepted"].as_u64().unwrap() + ack["duplicates"].as_u64().unwrap(),
            size as u64,
            "{ack}"
        );
    }
    for &d in acked.iter().take(DUPLICATES_RESENT) {
        let (status, ack) = server.webhook(TOKEN, &plan.body(d)).await;
        assert_eq!(status, 200, "{ack}");
        assert_eq!(ack["accepted"], 0, "a duplicate was accepted again: {ack}");
        assert_eq!(ack["duplicates"], plan.deliveries[d].len(), "{ack}");
    }

    // Every transfer sent is stored exactly once, and nothing else.
    let stored = server.all_transactions(KEY).await;
    let counts = count_ids::<String>(&stored);
    let sent = plan.all_ids();
    let stored_ids: BTreeSet<String> = counts.keys().cloned().collect();
    assert_eq!(stored_ids, sent, "the stored ids differ from the ids sent");
    assert_eq!(stored.len(), sent.len(), "a transaction is stored twice");
    let by_id: BTreeMap<String, &Value> = stored
        .iter()
        .map(|t| (t["external_id"].as_str().unwrap().to_owned(), t))
        .collect();
    for t in plan.deliveries.iter().flatten() {
        let row = by_id[&t.id.to_string()];
        assert_eq!(
            decimal(&row["amount"]),
            decimal(&json!(money(t.cents))),
            "{row}"
        );
        match t.order {
            Some(k) => {
                assert_eq!(row["status"], "matched", "{row}");
                assert_eq!(row["order_code"], format!("DH{k}"), "{row}");
            }
            None => {
                assert_eq!(row["status"], "unmatched", "{row}");
                assert!(row["order_code"].is_null(), "{row}");
            }
        }
    }

    // Each order holds the exact sum of the distinct transfers naming it.
    let mut statuses = BTreeSet::new();
    for k in 1..=ORDERS {
        let code = format!("DH{k}");
        let (status, order) = server.get_order(KEY, &code).await;
        assert_eq!(status, 200, "{order}");
        let total = plan.totals.get(&k).copied().unwrap_or(0);
        let amount = plan.amounts[&k];
        assert_eq!(
            decimal(&order["amount_received"]),
            decimal(&json!(money(total))),
            "{code}: amount_received is not the sum of its transfers\n{order}"
        );
        assert_eq!(order["amount_received"], money(total), "{order}");
        assert_eq!(
            order["amount_due"],
            money((amount - total).max(0)),
            "{code}\n{order}"
        );
        let expected = plan.expected_status(k);
        assert_eq!(order["status"], expected, "{code}\n{order}");
        assert_eq!(
            order["paid"],
            matches!(expected, "paid" | "overpaid"),
            "{order}"
        );
        let transactions = order["transactions"].as_array().unwrap();
        assert_eq!(
            transactions.len(),
            plan.counts.get(&k).copied().unwrap_or(0),
            "{code}: its transactions\n{order}"
        );
        statuses.insert(expected);
    }
    // The plan covers every status a transfer can lead to.
    assert_eq!(
        statuses,
        BTreeSet::from(["pending", "partially_paid", "paid", "overpaid"])
    );
}

crate::on_both_backends!(survives_sigkill_with_webhooks_in_flight);
