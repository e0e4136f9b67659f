//! Property: any sequence of transfers, links, cancels, expiries and undos leaves every order's
//! status, amount_received and paid_at equal to replaying its history from creation, and its
//! amount_received equal to the sum of the transfers linked to it.

use chrono::{DateTime, Duration, Utc};
use paymatch::config::Settings;
use paymatch::db::Store;
use paymatch::domain::{
    Cause, HistoryEntry, HistoryEvent, IncomingTransfer, Money, OrderCode, OrderState, Source,
    TransactionStatus,
};
use paymatch::ingest::{history, ingest_delivery, read_delivery, resolve};
use paymatch::with_store;
use proptest::prelude::*;

use crate::helpers::*;
use crate::properties::{check_on_database, new_order};

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
        payer: Default::default(),
    }
}

fn run_case<S: Store>(
    s: &mut S,
    settings: &Settings,
    case: usize,
    amounts: &[i64],
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let (matching, links) = (&settings.matching, &settings.public_url);
    let code = |i: usize| OrderCode::parse(&format!("DH{case}0{i}")).unwrap();
    let start = paymatch::domain::now();
    let expiry = |i: usize| start + Duration::hours(i as i64 + 1);
    let mut now: DateTime<Utc> = start;
    for (i, units) in amounts.iter().enumerate() {
        let order = new_order(code(i), *units, now, Some(expiry(i)));
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
                let elements = read_delivery(
                    vec![Ok(transfer(external_id, description, *units))],
                    matching,
                );
                ingest_delivery(
                    s,
                    matching,
                    links,
                    &Default::default(),
                    "casso_v1",
                    "{}",
                    &elements,
                    now,
                )
                .unwrap();
            }
            Op::Link(order, units) => {
                let elements = read_delivery(
                    vec![Ok(transfer(external_id, "chuyen tien".into(), *units))],
                    matching,
                );
                ingest_delivery(
                    s,
                    matching,
                    links,
                    &Default::default(),
                    "casso_v1",
                    "{}",
                    &elements,
                    now,
                )
                .unwrap();
                let row = s.list_transactions(None, None, 1).unwrap().items[0].row_id;
                let linked = resolve::link(
                    s,
                    matching,
                    links,
                    row,
                    &code(*order),
                    None,
                    "admin",
                    None,
                    now,
                );
                prop_assert!(linked.unwrap().is_ok());
            }
            Op::Cancel(order) => {
                resolve::cancel_order(s, links, &code(*order), &Cause::Api, now).unwrap();
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
                    let _ = resolve::undo(s, matching, links, *row, "admin", None, now).unwrap();
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
    let cases = match backend {
        Backend::Sqlite => 96,
        Backend::Postgres => 64,
    };
    check_on_database(
        backend,
        cases,
        sequences(),
        |db, settings, n, (amounts, ops)| {
            let mut conn = db.get().unwrap();
            with_store!(&mut conn, |s| run_case(s, settings, n, &amounts, &ops))
        },
    )
    .await;
}

crate::on_both_backends!(history_replays_to_every_order);
