//! One transfer naming several orders: applied to each only when it is exactly what they owe.

use proptest::prelude::*;

use super::{code, decide_with, order};
use crate::domain::{Allocation, Money, Order, OrderStatus};
use crate::matching::MatchDecision;

fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

/// An order of `amount` that has received `received` already.
fn owing(c: &str, amount: &str, received: &str, status: OrderStatus) -> Order {
    let mut o = order(c, status);
    o.amount = money(amount);
    o.amount_received = money(received);
    o
}

fn share(c: &str, amount: &str) -> Allocation {
    Allocation {
        order_code: code(c),
        amount: money(amount),
    }
}

fn two_open() -> [Order; 2] {
    [
        owing("DH1006", "150000", "0", OrderStatus::Pending),
        owing("DH1008", "99000.5", "0", OrderStatus::Pending),
    ]
}

#[test]
fn the_exact_sum_pays_each_order_its_amount_due() {
    assert_eq!(
        decide_with("DH1006 DH1008 chuyen gop 2 don", "249000.5", &two_open()),
        MatchDecision::Combined(vec![share("DH1006", "150000"), share("DH1008", "99000.5")])
    );
}

#[test]
fn a_combined_match_is_matched_with_no_single_order() {
    let decision = decide_with("DH1006 DH1008", "249000.5", &two_open());
    assert_eq!(decision.status().as_str(), "matched");
    assert_eq!(decision.order_code(), None);
    assert_eq!(decision.allocations(money("249000.5")).len(), 2);
}

#[test]
fn any_other_sum_is_ambiguous() {
    for amount in ["249000.4999", "249000.5001", "150000", "1", "498001"] {
        assert_eq!(
            decide_with("DH1006 DH1008", amount, &two_open()),
            MatchDecision::Ambiguous(vec![code("DH1006"), code("DH1008")]),
            "{amount}"
        );
    }
}

#[test]
fn a_partly_paid_order_contributes_its_amount_due() {
    let orders = [
        owing("DH1", "100000", "40000", OrderStatus::PartiallyPaid),
        owing("DH2", "50000", "0", OrderStatus::Pending),
    ];
    assert_eq!(
        decide_with("DH1 DH2", "110000", &orders),
        MatchDecision::Combined(vec![share("DH1", "60000"), share("DH2", "50000")])
    );
    // Its whole amount does not count.
    assert!(matches!(
        decide_with("DH1 DH2", "150000", &orders),
        MatchDecision::Ambiguous(_)
    ));
}

#[test]
fn a_closed_or_settled_order_makes_it_ambiguous() {
    for (status, received) in [
        (OrderStatus::Cancelled, "0"),
        (OrderStatus::Expired, "0"),
        // Paid: nothing left to receive, so it cannot have a share.
        (OrderStatus::Paid, "100"),
        (OrderStatus::Overpaid, "120"),
    ] {
        let orders = [
            owing("DH1", "100", "0", OrderStatus::Pending),
            owing("DH2", "100", received, status),
        ];
        let sum_of_amounts = decide_with("DH1 DH2", "200", &orders);
        let sum_of_dues = decide_with("DH1 DH2", "100", &orders);
        for decision in [sum_of_amounts, sum_of_dues] {
            assert!(
                matches!(decision, MatchDecision::Ambiguous(_)),
                "{status:?}: {decision:?}"
            );
        }
    }
}

#[test]
fn codes_naming_no_order_do_not_count() {
    assert_eq!(
        decide_with("DH1006 DH404 DH1008", "249000.5", &two_open()),
        MatchDecision::Combined(vec![share("DH1006", "150000"), share("DH1008", "99000.5")])
    );
}

#[test]
fn a_sum_too_large_to_store_is_ambiguous_not_wrapped() {
    let huge = Money::from_units(i64::MAX).to_string();
    let orders = [
        owing("DH1", &huge, "0", OrderStatus::Pending),
        owing("DH2", &huge, "0", OrderStatus::Pending),
    ];
    assert!(matches!(
        decide_with("DH1 DH2", &huge, &orders),
        MatchDecision::Ambiguous(_)
    ));
}

/// Whole or fractional amounts up to a billion.
fn amount() -> impl Strategy<Value = Money> {
    (1i64..10_000_000_000_000).prop_map(Money::from_units)
}

proptest! {
    #[test]
    fn only_the_exact_total_due_is_combined(
        amounts in prop::collection::vec((amount(), 0u8..4), 2..5),
        offset in -1_000_000i64..1_000_000,
        tolerance_sized in any::<bool>(),
    ) {
        let orders: Vec<Order> = amounts
            .iter()
            .enumerate()
            .map(|(i, (amount, paid_quarters))| {
                let mut o = order(&format!("DH{}", i + 1), OrderStatus::Pending);
                o.amount = *amount;
                // Partly paid: a quarter at a time, never all.
                let received = Money::from_units(amount.to_units().unwrap() / 4 * i64::from(*paid_quarters));
                o.amount_received = received;
                if received.is_positive() {
                    o.status = OrderStatus::PartiallyPaid;
                }
                o
            })
            .collect();
        let due: Vec<Money> = orders.iter().map(Order::amount_due).collect();
        let total = due.iter().try_fold(Money::ZERO, |s, d| s.checked_add(*d)).unwrap();
        // A tolerance-sized difference (one unit) does not loosen the match either.
        let offset = if tolerance_sized { offset.signum() } else { offset };
        let paid_units = total.to_units().unwrap() + offset;
        prop_assume!(paid_units > 0);
        let paid = Money::from_units(paid_units);
        // Each code written twice counts once.
        let description = orders
            .iter()
            .map(|o| format!("{} {}", o.code, o.code.as_str().to_lowercase()))
            .collect::<Vec<_>>()
            .join(" ");
        let decision = decide_with(&description, &paid.to_string(), &orders);
        if offset == 0 {
            let want: Vec<Allocation> = orders
                .iter()
                .zip(&due)
                .map(|(o, d)| Allocation { order_code: o.code.clone(), amount: *d })
                .collect();
            prop_assert_eq!(decision, MatchDecision::Combined(want));
        } else {
            prop_assert_eq!(
                decision,
                MatchDecision::Ambiguous(orders.iter().map(|o| o.code.clone()).collect())
            );
        }
    }
}
