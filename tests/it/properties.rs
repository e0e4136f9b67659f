//! Property: for any sequence of transfers, duplicates and replays, in any order and grouping,
//! every order's `amount_received` is the exact sum of the distinct transfers applied to it,
//! and its status follows from the amounts. Runs the real pipeline on a real database.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use paymatch::config::Settings;
use paymatch::db::{Database, OrderStore, PoolPurpose};
use paymatch::domain::{IncomingTransfer, Money, Order, OrderCode, OrderStatus, Source};
use paymatch::ingest::{ingest_delivery, read_delivery};
use paymatch::with_store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::helpers::*;

#[derive(Debug, Clone)]
struct Transfer {
    /// Small range: the same id comes back as a duplicate, possibly with other content.
    id: u8,
    /// Which order the description names (None: noise only).
    order: Option<usize>,
    /// Ten-thousandths.
    units: i64,
}

fn transfers() -> impl Strategy<Value = (Vec<i64>, Vec<Vec<Transfer>>)> {
    let orders = prop::collection::vec(1i64..=5_000_000_000, 1..5);
    orders.prop_flat_map(|amounts| {
        let n = amounts.len();
        let transfer = (
            0u8..24,
            prop::option::weighted(0.85, 0..n),
            1i64..=2_000_000_000,
        )
            .prop_map(|(id, order, units)| Transfer { id, order, units });
        let deliveries = prop::collection::vec(prop::collection::vec(transfer, 1..4), 1..12);
        (Just(amounts), deliveries)
    })
}

fn run_case(
    db: &Database,
    case: usize,
    amounts: &[i64],
    deliveries: &[Vec<Transfer>],
) -> Result<(), TestCaseError> {
    let code = |i: usize| OrderCode::parse(&format!("DH{case}0{i}")).unwrap();
    let mut conn = db.get().unwrap();
    let settings = settings_for("sqlite://unused", &[]);
    let now = paymatch::domain::now();
    with_store!(&mut conn, |s| {
        for (i, units) in amounts.iter().enumerate() {
            let order = new_order(code(i), *units, now, None);
            assert!(s.insert_order(&order).unwrap());
        }
        // The model: the first delivery of an id counts, later ones change nothing.
        let mut seen: HashMap<u8, ()> = HashMap::new();
        let mut expected = vec![0i64; amounts.len()];
        for delivery in deliveries {
            let elements: Vec<_> = delivery
                .iter()
                .map(|t| {
                    Ok(IncomingTransfer {
                        source: Source::Casso,
                        external_id: format!("{case}-{}", t.id),
                        bank_ref: None,
                        description: match t.order {
                            Some(i) => format!("thanh toan {} FT{}", code(i), t.units),
                            None => format!("chuyen tien {}", t.units),
                        },
                        amount: Money::from_units(t.units),
                        running_balance: None,
                        when: None,
                        account: None,
                        provider_test: false,
                        payer: Default::default(),
                    })
                })
                .collect();
            let elements = read_delivery(elements, &settings.matching);
            ingest_delivery(
                s,
                &settings.matching,
                &settings.public_url,
                &settings.alerts,
                "property",
                "{}",
                &elements,
                now,
            )
            .unwrap();
            for t in delivery {
                if seen.insert(t.id, ()).is_none() {
                    if let Some(i) = t.order {
                        expected[i] += t.units;
                    }
                }
            }
            // A replay of the whole delivery changes nothing.
            let report = ingest_delivery(
                s,
                &settings.matching,
                &settings.public_url,
                &settings.alerts,
                "property",
                "{}",
                &elements,
                now,
            )
            .unwrap();
            prop_assert_eq!(report.counts.accepted, 0);
        }
        let codes: Vec<OrderCode> = (0..amounts.len()).map(code).collect();
        let orders = s.orders_by_codes(&codes).unwrap();
        for (i, want) in expected.iter().enumerate() {
            let order = orders.iter().find(|o| o.code == code(i)).unwrap();
            prop_assert_eq!(
                order.amount_received,
                Money::from_units(*want),
                "order {}",
                i
            );
            let status =
                OrderStatus::from_amounts(order.amount, order.amount_received, Money::ZERO);
            prop_assert_eq!(order.status, status);
        }
        Ok(())
    })
}

/// A new order of `units` ten-thousandths, created `now`.
pub(crate) fn new_order(
    code: OrderCode,
    units: i64,
    now: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Order {
    Order {
        expires_at,
        ..Order::pending(code, Money::from_units(units), "VND", now)
    }
}

async fn sums_hold_for_any_sequence(backend: Backend) {
    let cases = match backend {
        Backend::Sqlite => 48,
        Backend::Postgres => 24,
    };
    check_on_database(
        backend,
        cases,
        transfers(),
        |db, _, n, (amounts, deliveries)| run_case(db, n, &amounts, &deliveries),
    )
    .await;
}

/// Runs `property` on `cases` generated values, on a fresh migrated database of `backend`.
/// Each case (and each shrinking step) gets its own number, for its own order codes and ids.
pub(crate) async fn check_on_database<S>(
    backend: Backend,
    cases: u32,
    strategy: S,
    property: impl Fn(&Database, &Settings, usize, S::Value) -> Result<(), TestCaseError>
        + Send
        + 'static,
) where
    S: Strategy + Send + 'static,
{
    let database = TestDatabase::new(backend);
    let settings = settings_for(&database.url, &[]);
    let db = paymatch::startup::connect_and_migrate(&settings, PoolPurpose::Command)
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(Config {
            cases,
            ..Config::default()
        });
        let case = std::sync::atomic::AtomicUsize::new(0);
        runner
            .run(&strategy, |value| {
                let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                property(&db, &settings, n, value)
            })
            .unwrap();
    })
    .await
    .unwrap();
}

crate::on_both_backends!(sums_hold_for_any_sequence);
