//! Making orders. The storefront API, the admin's form and a CSV import check a new order by
//! one set of rules (`Draft::check`) and store it one way (`create`), so an order made by hand
//! behaves exactly like one made through the API.

mod draft;
pub mod import;

use chrono::{DateTime, Utc};

pub use draft::{currency_of, read_amount, Draft, Invalid, NewOrder};

use crate::db::{Store, StoreError};
use crate::domain::{Cause, HistoryEntry, Order, OrderCode};

const GENERATE_ATTEMPTS: usize = 10;

pub enum Created {
    New(Order),
    /// The same code and amount again: a replay, answered with the order as it is.
    Existing(Order),
    AmountConflict(Order),
    NoFreeCode,
}

/// Stores a new order with the start of its history; `false` when the code is taken.
fn insert_new<S: Store>(store: &mut S, order: &Order, cause: &Cause) -> Result<bool, StoreError> {
    if !store.insert_order(order)? {
        return Ok(false);
    }
    store.insert_history(&order.code, &HistoryEntry::created(order, cause))?;
    Ok(true)
}

/// Inserts the order inside the caller's transaction; a code left out is generated.
pub fn insert<S: Store>(
    store: &mut S,
    new: &NewOrder,
    cause: &Cause,
    now: DateTime<Utc>,
) -> Result<Created, StoreError> {
    match &new.code {
        Some(code) => {
            let order = new.into_order(code.clone(), now);
            if insert_new(store, &order, cause)? {
                return Ok(Created::New(order));
            }
            let existing = store
                .order(code)?
                .ok_or_else(|| StoreError::Corrupt(format!("order {code} vanished")))?;
            Ok(if existing.amount == new.amount {
                Created::Existing(existing)
            } else {
                Created::AmountConflict(existing)
            })
        }
        None => {
            let mut rng = rand::rng();
            for _ in 0..GENERATE_ATTEMPTS {
                let order = new.into_order(OrderCode::generate(&mut rng), now);
                if insert_new(store, &order, cause)? {
                    return Ok(Created::New(order));
                }
            }
            Ok(Created::NoFreeCode)
        }
    }
}

/// One new order in a transaction of its own.
pub fn create<S: Store>(
    store: &mut S,
    new: &NewOrder,
    cause: &Cause,
    now: DateTime<Utc>,
) -> Result<Created, StoreError> {
    store.write(|store| insert(store, new, cause, now))
}
