//! An order and the rules that move its status as transfers arrive.

use chrono::{DateTime, Utc};

use super::code::OrderCode;
use super::customer::Customer;
use super::money::Money;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    PartiallyPaid,
    Paid,
    Overpaid,
    Expired,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::PartiallyPaid,
        OrderStatus::Paid,
        OrderStatus::Overpaid,
        OrderStatus::Expired,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::PartiallyPaid => "partially_paid",
            OrderStatus::Paid => "paid",
            OrderStatus::Overpaid => "overpaid",
            OrderStatus::Expired => "expired",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Closed orders take no transfer automatically.
    pub fn is_closed(self) -> bool {
        matches!(self, OrderStatus::Expired | OrderStatus::Cancelled)
    }

    pub fn is_paid(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::Overpaid)
    }

    /// Still waiting for money: `pending` or `partially_paid`.
    pub fn is_open(self) -> bool {
        !self.is_closed() && !self.is_paid()
    }

    /// The status of an order that is not closed, from what it has received.
    pub fn from_amounts(amount: Money, received: Money, tolerance: Money) -> OrderStatus {
        if received > amount {
            OrderStatus::Overpaid
        } else if received.is_zero() {
            OrderStatus::Pending
        } else if amount.saturating_sub_to_zero(tolerance) <= received {
            OrderStatus::Paid
        } else {
            OrderStatus::PartiallyPaid
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub code: OrderCode,
    pub reference: Option<String>,
    pub amount: Money,
    pub currency: String,
    pub status: OrderStatus,
    pub amount_received: Money,
    pub notify_url: Option<String>,
    /// The number of the receiving account the order asks to be paid into; `None` for orders
    /// from before accounts were stored, or when none is configured: the default then.
    pub account: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Who the order is for: for the shop's eyes only.
    pub customer: Customer,
    /// Where the payment page sends the customer once paid (signed), and where "choose another
    /// way to pay" leads: the storefront's pages, absolute http(s) URLs.
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("the order's total would exceed the largest amount that can be stored")]
    Overflow,
    #[error("a {0} order cannot be cancelled")]
    CannotCancel(&'static str),
}

impl Order {
    /// A new order of `amount`: nothing received, no deadline, no customer, no URLs, no account
    /// named; whatever else it has is set on top of this.
    pub fn pending(code: OrderCode, amount: Money, currency: &str, now: DateTime<Utc>) -> Order {
        Order {
            code,
            reference: None,
            amount,
            currency: currency.to_owned(),
            status: OrderStatus::Pending,
            amount_received: Money::ZERO,
            notify_url: None,
            account: None,
            created_at: now,
            updated_at: now,
            paid_at: None,
            expires_at: None,
            customer: Customer::default(),
            return_url: None,
            cancel_url: None,
        }
    }

    pub fn amount_due(&self) -> Money {
        self.amount.saturating_sub_to_zero(self.amount_received)
    }

    /// Past `expires_at` while not paid: the order closes. Returns whether it changed.
    pub fn expire_if_due(&mut self, now: DateTime<Utc>) -> bool {
        if self.status.is_open() && self.is_overdue(now) {
            self.status = OrderStatus::Expired;
            self.updated_at = now;
            return true;
        }
        false
    }

    /// Still waiting for money at `now`, as readers see it: open, and not past `expires_at`
    /// (what [`Order::seen_at`] would say, without a copy).
    pub fn is_open_at(&self, now: DateTime<Utc>) -> bool {
        self.status.is_open() && !self.is_overdue(now)
    }

    fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// What a preview shows of the order and a confirm must find unchanged: its status and
    /// what it has received (`partially_paid:50000`).
    pub fn previewed_state(&self) -> String {
        format!("{}:{}", self.status.as_str(), self.amount_received)
    }

    /// The order as a reader sees it at `now`: open and past `expires_at`, it reads as expired
    /// even before the sweep has stored that (the sweep records the change and notifies).
    pub fn seen_at(mut self, now: DateTime<Utc>) -> Order {
        self.expire_if_due(now);
        self
    }

    /// Adds a transfer. The matcher applies none to a closed order; an admin may, and the
    /// status then follows the amounts.
    pub fn apply_transfer(
        &mut self,
        amount: Money,
        tolerance: Money,
        now: DateTime<Utc>,
    ) -> Result<(), OrderError> {
        self.amount_received = self
            .amount_received
            .checked_add(amount)
            .ok_or(OrderError::Overflow)?;
        let by_amounts = OrderStatus::from_amounts(self.amount, self.amount_received, tolerance);
        // An order accepted as paid short of its amount stays paid as more comes in.
        if !(self.status == OrderStatus::Paid && by_amounts == OrderStatus::PartiallyPaid) {
            self.status = by_amounts;
        }
        if self.status.is_paid() && self.paid_at.is_none() {
            self.paid_at = Some(now);
        }
        self.updated_at = now;
        Ok(())
    }

    /// Takes back a transfer an admin had linked by mistake. The status follows the amounts
    /// again, except that an order cancelled or past its expiry stays closed.
    pub fn reverse_transfer(&mut self, amount: Money, tolerance: Money, now: DateTime<Utc>) {
        self.amount_received = self.amount_received.saturating_sub_to_zero(amount);
        let by_amounts = OrderStatus::from_amounts(self.amount, self.amount_received, tolerance);
        self.status = match self.status {
            OrderStatus::Cancelled if !by_amounts.is_paid() => OrderStatus::Cancelled,
            _ => by_amounts,
        };
        if !self.status.is_paid() {
            self.paid_at = None;
        }
        self.updated_at = now;
        self.expire_if_due(now);
    }

    /// Cancelling twice is harmless; a paid order is never cancelled (its money is in).
    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<bool, OrderError> {
        match self.status {
            OrderStatus::Cancelled => Ok(false),
            status if status.is_paid() => Err(OrderError::CannotCancel(status.as_str())),
            _ => {
                self.status = OrderStatus::Cancelled;
                self.updated_at = now;
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn order(amount: &str) -> Order {
        let code = OrderCode::parse("DH1").unwrap();
        Order::pending(code, m(amount), "VND", Utc::now())
    }

    #[test]
    fn status_strings_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("PAID"), None);
    }

    #[test]
    fn status_from_amounts_follows_the_contract() {
        let z = Money::ZERO;
        use OrderStatus::*;
        let cases = [
            ("100", "0", "0", Pending),
            ("100", "0.0001", "0", PartiallyPaid),
            ("100", "99.9999", "0", PartiallyPaid),
            ("100", "100", "0", Paid),
            ("100", "100.0001", "0", Overpaid),
            ("100", "95", "5", Paid),
            ("100", "94.9999", "5", PartiallyPaid),
            ("100", "0", "5", Pending),
            ("3", "2", "5", Paid),
        ];
        for (amount, received, tol, want) in cases {
            assert_eq!(
                OrderStatus::from_amounts(m(amount), m(received), m(tol)),
                want,
                "{amount} {received} {tol}"
            );
        }
        assert_eq!(OrderStatus::from_amounts(m("1"), z, z), Pending);
    }

    #[test]
    fn partial_transfers_add_up_exactly() {
        let mut o = order("0.6");
        let now = Utc::now();
        o.apply_transfer(m("0.1"), Money::ZERO, now).unwrap();
        o.apply_transfer(m("0.2"), Money::ZERO, now).unwrap();
        assert_eq!(o.status, OrderStatus::PartiallyPaid);
        assert_eq!(o.amount_due(), m("0.3"));
        assert_eq!(o.paid_at, None);
        o.apply_transfer(m("0.3"), Money::ZERO, now).unwrap();
        assert_eq!(o.status, OrderStatus::Paid);
        assert_eq!(o.amount_received, m("0.6"));
        assert_eq!(o.amount_due(), Money::ZERO);
        assert_eq!(o.paid_at, Some(now));
        let later = now + chrono::Duration::seconds(5);
        o.apply_transfer(m("1"), Money::ZERO, later).unwrap();
        assert_eq!(o.status, OrderStatus::Overpaid);
        assert_eq!(
            o.paid_at,
            Some(now),
            "paid_at is the first time it was paid"
        );
        assert_eq!(o.amount_due(), Money::ZERO);
    }

    #[test]
    fn overflow_is_refused_without_change() {
        let mut o = order("1");
        let huge = Money::from_units(i64::MAX);
        assert_eq!(o.apply_transfer(huge, Money::ZERO, Utc::now()), Ok(()));
        assert_eq!(
            o.apply_transfer(m("1"), Money::ZERO, Utc::now()),
            Err(OrderError::Overflow)
        );
        assert_eq!(o.amount_received, huge);
    }

    #[test]
    fn expiry_closes_unpaid_orders_only() {
        let now = Utc::now();
        let past = now - chrono::Duration::seconds(1);
        let mut o = order("10");
        o.expires_at = Some(past);
        assert!(o.expire_if_due(now));
        assert_eq!(o.status, OrderStatus::Expired);
        assert!(!o.expire_if_due(now));

        let mut partial = order("10");
        partial.apply_transfer(m("1"), Money::ZERO, now).unwrap();
        partial.expires_at = Some(past);
        assert!(partial.expire_if_due(now));

        let mut paid = order("10");
        paid.apply_transfer(m("10"), Money::ZERO, now).unwrap();
        paid.expires_at = Some(past);
        assert!(!paid.expire_if_due(now));
        assert_eq!(paid.status, OrderStatus::Paid);

        let mut future = order("10");
        future.expires_at = Some(now + chrono::Duration::seconds(60));
        assert!(!future.expire_if_due(now));
    }

    #[test]
    fn an_order_accepted_short_stays_paid_as_more_comes() {
        let mut o = order("10");
        o.apply_transfer(m("4"), Money::ZERO, Utc::now()).unwrap();
        o.status = OrderStatus::Paid;
        o.apply_transfer(m("1"), Money::ZERO, Utc::now()).unwrap();
        assert_eq!(o.status, OrderStatus::Paid);
        o.apply_transfer(m("6"), Money::ZERO, Utc::now()).unwrap();
        assert_eq!(o.status, OrderStatus::Overpaid);
    }

    #[test]
    fn reversing_a_transfer_restores_the_status() {
        let now = Utc::now();
        let mut o = order("10");
        o.apply_transfer(m("4"), Money::ZERO, now).unwrap();
        o.apply_transfer(m("7"), Money::ZERO, now).unwrap();
        assert_eq!(o.status, OrderStatus::Overpaid);
        o.reverse_transfer(m("7"), Money::ZERO, now);
        assert_eq!(
            (o.status, o.amount_received),
            (OrderStatus::PartiallyPaid, m("4"))
        );
        assert_eq!(o.paid_at, None);
        o.reverse_transfer(m("4"), Money::ZERO, now);
        assert_eq!(
            (o.status, o.amount_received),
            (OrderStatus::Pending, Money::ZERO)
        );

        let mut late = order("10");
        late.expires_at = Some(now - chrono::Duration::seconds(5));
        late.apply_transfer(m("10"), Money::ZERO, now).unwrap();
        late.reverse_transfer(m("10"), Money::ZERO, now);
        assert_eq!(late.status, OrderStatus::Expired);

        let mut cancelled = order("10");
        cancelled.cancel(now).unwrap();
        cancelled.apply_transfer(m("3"), Money::ZERO, now).unwrap();
        assert_eq!(
            cancelled.status,
            OrderStatus::PartiallyPaid,
            "an admin's link reopens it"
        );
        cancelled.reverse_transfer(m("3"), Money::ZERO, now);
        assert_eq!(cancelled.status, OrderStatus::Pending);
    }

    #[test]
    fn cancel_rules() {
        let now = Utc::now();
        let mut o = order("10");
        assert_eq!(o.cancel(now), Ok(true));
        assert_eq!(o.cancel(now), Ok(false));
        let mut paid = order("10");
        paid.apply_transfer(m("11"), Money::ZERO, now).unwrap();
        assert_eq!(paid.cancel(now), Err(OrderError::CannotCancel("overpaid")));
        let mut partial = order("10");
        partial.apply_transfer(m("1"), Money::ZERO, now).unwrap();
        assert_eq!(partial.cancel(now), Ok(true));
    }
}
