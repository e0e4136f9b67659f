// The kept tallies of waiting transfers (migration `000017_waiting_tallies`: triggers keep one
// row per waiting status as transfers enter and leave it), included once per backend.

use diesel::prelude::*;

use super::Conn;
use crate::db::schema::transfer_tallies;
use crate::db::{StoreError, Totals};
use crate::domain::{Money, TransactionStatus};

/// One waiting status's transfers and their money in and out, in ten-thousandths.
#[derive(Debug, Clone, Copy)]
pub struct Tally {
    pub status: TransactionStatus,
    pub transfers: i64,
    pub units_in: i128,
    pub units_out: i128,
}

/// A sum kept as its high and low 32 bits (neither overflows a BIGINT), put together.
pub fn joined(high: i64, low: i64) -> i128 {
    (i128::from(high) << 32) + i128::from(low)
}

/// The tallies of `statuses` that are kept (the waiting ones); `None` if one of them is not.
pub fn tallies(
    conn: &mut Conn,
    statuses: &[TransactionStatus],
) -> Result<Option<Vec<Tally>>, StoreError> {
    if statuses.is_empty() || !statuses.iter().all(|s| s.is_waiting()) {
        return Ok(None);
    }
    let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let rows = transfer_tallies::table
        .filter(transfer_tallies::status.eq_any(names))
        .select((
            transfer_tallies::status,
            transfer_tallies::transfers,
            transfer_tallies::in_high,
            transfer_tallies::in_low,
            transfer_tallies::out_high,
            transfer_tallies::out_low,
        ))
        .load::<(String, i64, i64, i64, i64, i64)>(conn)?;
    let tallies = rows
        .into_iter()
        .map(|(status, transfers, in_high, in_low, out_high, out_low)| {
            let status = TransactionStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("tally of status {status:?}")))?;
            Ok(Tally {
                status,
                transfers,
                units_in: joined(in_high, in_low),
                units_out: joined(out_high, out_low),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    if tallies.len() != statuses.len() {
        return Err(StoreError::Corrupt(
            "a waiting status has no tally (migration 000017)".into(),
        ));
    }
    Ok(Some(tallies))
}

/// The money of several tallies.
pub fn totals(tallies: &[Tally]) -> Totals {
    Totals {
        money_in: Money::from_total_units(tallies.iter().map(|t| t.units_in).sum()),
        money_out: Money::from_total_units(tallies.iter().map(|t| t.units_out).sum()),
    }
}
