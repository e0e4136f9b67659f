//! The daily summary: at `PAYMATCH_ALERT_DAILY_AT` (Vietnam time), the day before's money in
//! per account and how many transfers wait.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use super::Alert;
use crate::config::PublicUrl;
use crate::db::{Reports, StoreError, TransferFilter};
use crate::domain::{vietnam, TransactionStatus};

/// The next time it is `at` in Vietnam, after `now`.
pub fn next_run(now: DateTime<Utc>, at: NaiveTime) -> DateTime<Utc> {
    let local = now.with_timezone(&vietnam());
    let today = local.date_naive().and_time(at);
    let next = if today > local.naive_local() {
        today
    } else {
        today + Duration::days(1)
    };
    vietnam()
        .from_local_datetime(&next)
        .single()
        .map_or(now + Duration::days(1), |t| t.with_timezone(&Utc))
}

/// The Vietnam day before the one `now` is in.
pub fn yesterday(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&vietnam()).date_naive() - Duration::days(1)
}

/// Money that came in: every transfer into the account but outgoing ones and providers' tests.
const INCOMING: [TransactionStatus; 6] = [
    TransactionStatus::Matched,
    TransactionStatus::Unmatched,
    TransactionStatus::UnknownOrder,
    TransactionStatus::Ambiguous,
    TransactionStatus::OrderClosed,
    TransactionStatus::Ignored,
];

/// The summary of `day` for each of `accounts` (all transfers as one when none is configured).
pub fn summary<S: Reports>(
    store: &mut S,
    accounts: &[String],
    day: NaiveDate,
    links: &PublicUrl,
) -> Result<Alert, StoreError> {
    let start = |d: NaiveDate| {
        vietnam()
            .from_local_datetime(&d.and_time(NaiveTime::MIN))
            .single()
            .map(|t| t.with_timezone(&Utc))
    };
    let (from, to) = (start(day), start(day + Duration::days(1)));
    let scopes: Vec<Option<String>> = if accounts.is_empty() {
        vec![None]
    } else {
        accounts.iter().cloned().map(Some).collect()
    };
    let mut rows = Vec::new();
    for account in scopes {
        let filter = TransferFilter {
            from,
            to,
            account: account.clone(),
            statuses: INCOMING.to_vec(),
            ..TransferFilter::default()
        };
        let count: i64 = store
            .transfer_counts(&filter, &INCOMING)?
            .iter()
            .map(|(_, n)| n)
            .sum();
        let total = store.transfer_totals(&filter)?.money_in;
        if count > 0 {
            rows.push((account.unwrap_or_else(|| "—".to_owned()), count, total));
        }
    }
    let waiting = store
        .transfer_counts(&TransferFilter::default(), &TransactionStatus::WAITING)?
        .iter()
        .map(|(_, n)| n)
        .sum();
    Ok(Alert::Daily {
        day,
        accounts: rows,
        waiting,
        link: links.link("/admin"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn runs_next_at_the_hour_in_vietnam() {
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        // 07:00 in Vietnam: today at 08:00.
        assert_eq!(
            next_run(at("2026-12-04T00:00:00Z"), eight),
            at("2026-12-04T01:00:00Z")
        );
        // 08:00 exactly, or later: tomorrow; 03:00 the next day: that day's 08:00.
        assert_eq!(
            next_run(at("2026-12-04T01:00:00Z"), eight),
            at("2026-12-05T01:00:00Z")
        );
        assert_eq!(
            next_run(at("2026-12-04T20:00:00Z"), eight),
            at("2026-12-05T01:00:00Z")
        );
        assert_eq!(
            yesterday(at("2026-12-04T18:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
        );
    }
}
