//! A transfer's share for one order: how much of it that order received. A single match has one
//! allocation; a transfer paying several orders (combined, or split by an admin) has one each.

use super::code::OrderCode;
use super::money::Money;
use super::order::Order;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub order_code: OrderCode,
    pub amount: Money,
}

/// Why an admin's split of a transfer is refused; nothing changes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("a split needs at least two orders")]
    TooFewOrders,
    #[error("order {0} appears twice")]
    SameOrderTwice(OrderCode),
    #[error("the share of order {0} must be more than zero")]
    ShareNotPositive(OrderCode),
    #[error("there is no order {0}")]
    UnknownOrder(OrderCode),
    #[error("order {0} is closed (expired or cancelled)")]
    ClosedOrder(OrderCode),
    #[error("the shares add up to {shares}, not to the transfer's {transfer}")]
    SumDiffers { shares: Money, transfer: Money },
}

/// The exact sum of the shares; `None` when it would not fit in storage.
pub fn total(allocations: &[Allocation]) -> Option<Money> {
    allocations
        .iter()
        .try_fold(Money::ZERO, |sum, a| sum.checked_add(a.amount))
}

/// Checks an admin's split of a transfer of `transfer` across `orders` (the orders found for the
/// shares' codes): two or more different orders, each open or paid (not closed), each share
/// positive, and the shares adding up to exactly the transfer's amount.
pub fn check_split(
    transfer: Money,
    shares: &[Allocation],
    orders: &[Order],
) -> Result<(), SplitError> {
    if shares.len() < 2 {
        return Err(SplitError::TooFewOrders);
    }
    for (i, share) in shares.iter().enumerate() {
        let code = &share.order_code;
        if shares[..i].iter().any(|s| &s.order_code == code) {
            return Err(SplitError::SameOrderTwice(code.clone()));
        }
        if !share.amount.is_positive() {
            return Err(SplitError::ShareNotPositive(code.clone()));
        }
        match orders.iter().find(|o| &o.code == code) {
            None => return Err(SplitError::UnknownOrder(code.clone())),
            Some(order) if order.status.is_closed() => {
                return Err(SplitError::ClosedOrder(code.clone()))
            }
            Some(_) => {}
        }
    }
    match total(shares) {
        Some(sum) if sum == transfer => Ok(()),
        sum => Err(SplitError::SumDiffers {
            // Only sums past 9 × 10^14 overflow: shown as the largest amount storage holds.
            shares: sum.unwrap_or(Money::from_units(i64::MAX)),
            transfer,
        }),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::OrderStatus;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn share(code: &str, amount: &str) -> Allocation {
        Allocation {
            order_code: OrderCode::parse(code).unwrap(),
            amount: money(amount),
        }
    }

    fn order(code: &str, status: OrderStatus) -> Order {
        let code = OrderCode::parse(code).unwrap();
        Order {
            status,
            ..Order::pending(code, money("100"), "VND", Utc::now())
        }
    }

    fn orders() -> Vec<Order> {
        vec![
            order("DH1", OrderStatus::Pending),
            order("DH2", OrderStatus::Paid),
            order("DH3", OrderStatus::Cancelled),
            order("DH4", OrderStatus::Expired),
        ]
    }

    #[test]
    fn a_split_that_adds_up_across_open_or_paid_orders_is_accepted() {
        let shares = [share("DH1", "60"), share("DH2", "40.5")];
        assert_eq!(check_split(money("100.5"), &shares, &orders()), Ok(()));
    }

    #[test]
    fn every_bad_split_is_refused_with_its_reason() {
        let o = orders();
        let code = |c: &str| OrderCode::parse(c).unwrap();
        let cases = [
            (vec![share("DH1", "100")], SplitError::TooFewOrders),
            (
                vec![share("DH1", "50"), share("DH1", "50")],
                SplitError::SameOrderTwice(code("DH1")),
            ),
            (
                vec![share("DH1", "100"), share("DH2", "0")],
                SplitError::ShareNotPositive(code("DH2")),
            ),
            (
                vec![share("DH1", "110"), share("DH2", "-10")],
                SplitError::ShareNotPositive(code("DH2")),
            ),
            (
                vec![share("DH1", "50"), share("DH9", "50")],
                SplitError::UnknownOrder(code("DH9")),
            ),
            (
                vec![share("DH1", "50"), share("DH3", "50")],
                SplitError::ClosedOrder(code("DH3")),
            ),
            (
                vec![share("DH4", "50"), share("DH1", "50")],
                SplitError::ClosedOrder(code("DH4")),
            ),
            (
                vec![share("DH1", "50"), share("DH2", "49.9999")],
                SplitError::SumDiffers {
                    shares: money("99.9999"),
                    transfer: money("100"),
                },
            ),
        ];
        for (shares, want) in cases {
            assert_eq!(
                check_split(money("100"), &shares, &o),
                Err(want),
                "{shares:?}"
            );
        }
    }

    #[test]
    fn an_overflowing_sum_is_refused_not_wrapped() {
        let huge = Money::from_units(i64::MAX);
        let shares = [
            Allocation {
                order_code: OrderCode::parse("DH1").unwrap(),
                amount: huge,
            },
            Allocation {
                order_code: OrderCode::parse("DH2").unwrap(),
                amount: huge,
            },
        ];
        assert_eq!(total(&shares), None);
        assert!(matches!(
            check_split(huge, &shares, &orders()),
            Err(SplitError::SumDiffers { .. })
        ));
    }
}
