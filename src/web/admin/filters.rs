//! The filters of the admin's transfer lists (queue, transactions) as their query strings
//! carry them, read into a `TransferFilter` with an error per field a person must fix, and the
//! numbered pages under a list.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::context::{non_empty, search_query, vietnam, PAGE_SIZE};
use super::session::url_encode;
use crate::db::{Count, PageStart, TransferFilter};
use crate::domain::{parse_amount_input, AmountInputError, Money, Source, TransactionStatus};
use crate::web::i18n::Lang;

/// What a transfer list's query string may say. The queue names its status `reason`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TransferQuery {
    #[serde(alias = "reason")]
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
    #[serde(default, deserialize_with = "search_query")]
    pub q: Option<String>,
    /// A provider: `casso`, `sepay`.
    pub source: Option<String>,
    /// The account the transfers arrived in.
    pub account: Option<String>,
    pub page: Option<u32>,
    pub cursor: Option<i64>,
}

/// Why a field was not read, in the page's language; `None` where it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub from: Option<&'static str>,
    pub to: Option<&'static str>,
    pub min: Option<&'static str>,
    pub max: Option<&'static str>,
}

impl FieldErrors {
    pub fn any(&self) -> bool {
        self.from.is_some() || self.to.is_some() || self.min.is_some() || self.max.is_some()
    }
}

/// Which statuses a list may show: the queue only those waiting for an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Waiting,
    All,
}

impl Scope {
    pub fn statuses(self) -> &'static [TransactionStatus] {
        match self {
            Scope::Waiting => &TransactionStatus::WAITING,
            Scope::All => &TransactionStatus::ALL,
        }
    }
}

/// The start of a day in Vietnam.
fn day_start(text: &str) -> Option<DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    vietnam()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn amount_error(e: AmountInputError) -> &'static str {
    match e {
        AmountInputError::NotAnAmount => "Not an amount: write 100000, 100.000 or 100k",
        AmountInputError::TooPrecise => "An amount has at most 4 decimal places",
        AmountInputError::TooLarge => "The amount is too large",
    }
}

impl TransferQuery {
    /// The status chosen, if it is one the scope shows.
    pub fn status(&self, scope: Scope) -> Option<TransactionStatus> {
        non_empty(&self.status)
            .and_then(TransactionStatus::parse)
            .filter(|s| scope.statuses().contains(s))
    }

    /// The provider chosen, if it is one.
    pub fn source(&self) -> Option<Source> {
        non_empty(&self.source).and_then(Source::parse)
    }

    /// The filter, leaving out (and naming in the errors) each field that cannot be read.
    pub fn filter(&self, scope: Scope, lang: Lang) -> (TransferFilter, FieldErrors) {
        let mut errors = FieldErrors::default();
        let day = |v: &Option<String>, error: &mut Option<&'static str>| {
            let text = non_empty(v)?;
            let start = day_start(text);
            if start.is_none() {
                *error = Some(lang.t("Write a day as YYYY-MM-DD"));
            }
            start
        };
        let from = day(&self.from, &mut errors.from);
        // The `to` day is included: up to the start of the next day.
        let to = day(&self.to, &mut errors.to).map(|t| t + Duration::days(1));
        let amount = |v: &Option<String>, error: &mut Option<&'static str>| {
            parse_amount_input(non_empty(v)?)
                .map_err(|e| *error = Some(lang.t(amount_error(e))))
                .ok()
        };
        let min_amount = amount(&self.min, &mut errors.min);
        let max_amount = amount(&self.max, &mut errors.max);
        let statuses = match self.status(scope) {
            Some(status) => vec![status],
            None => scope.statuses().to_vec(),
        };
        let filter = TransferFilter {
            statuses,
            from,
            to,
            min_amount,
            max_amount,
            search: self.q.clone(),
            search_amount: search_amount(&self.q),
            source: self.source(),
            account: non_empty(&self.account).map(str::to_owned),
            found: None,
        };
        (filter, errors)
    }

    /// The page asked for, within the pages that `rows` fill (a page past the end would read
    /// every row to skip them), and where it starts: a numbered page, or after a row (`cursor`).
    pub fn start(&self, rows: Count) -> (u32, PageStart) {
        let last = last_page(rows);
        let page = self.page.unwrap_or(1).min(last).max(1);
        let start = PageStart {
            after: self.cursor,
            skip: i64::from(page - 1) * PAGE_SIZE,
        };
        (page, start)
    }

    /// A link to `base` with this filter, another status, and where the page starts, for
    /// tabs, pages and exports.
    pub fn link(&self, base: &str, status: Option<&str>, at: At) -> String {
        link(
            base,
            &[
                ("status", status),
                ("from", non_empty(&self.from)),
                ("to", non_empty(&self.to)),
                ("min", non_empty(&self.min)),
                ("max", non_empty(&self.max)),
                ("q", non_empty(&self.q)),
                ("source", self.source().map(Source::as_str)),
                ("account", non_empty(&self.account)),
            ],
            at,
        )
    }
}

/// A link to `base` with the parameters that have a value and where the page starts.
pub fn link(base: &str, params: &[(&str, Option<&str>)], at: At) -> String {
    let mut parts: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| Some(format!("{name}={}", url_encode((*value)?))))
        .collect();
    match at {
        At::Page(page) if page > 1 => parts.push(format!("page={page}")),
        At::Page(_) => {}
        At::After(id) => parts.push(format!("cursor={id}")),
    }
    if parts.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", parts.join("&"))
    }
}

/// Where a linked page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Page(u32),
    After(i64),
}

/// A status tab over a list, with how many rows of the filter it holds.
pub struct Tab {
    pub label: &'static str,
    pub count: Count,
    /// The count as people read it (`1.234`, `10.000+`).
    pub shown: String,
    pub url: String,
    pub current: bool,
}

impl Tab {
    pub fn new(label: &'static str, count: Count, url: String, current: bool, lang: Lang) -> Tab {
        Tab {
            label,
            count,
            shown: super::views::count(count, lang),
            url,
            current,
        }
    }
}

/// One link of the numbered pages under a list; `None` for a gap (`…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    pub number: Option<u32>,
    pub url: String,
    pub current: bool,
}

/// The links under a list: numbered pages counted from the list's start (the rows of its
/// current tab) and "next"; after a cursor, only "next", which follows the cursor.
pub fn pager(
    tabs: &[Tab],
    current: u32,
    cursor: Option<i64>,
    next_cursor: Option<i64>,
    link: impl Fn(At) -> String,
) -> (Vec<PageLink>, Option<String>) {
    let rows = tabs
        .iter()
        .find(|t| t.current)
        .map_or(Count::exactly(0), |t| t.count);
    match cursor {
        // Past the pages a stopped count numbers, "next" goes on after the last row shown.
        None => (
            page_links(current, rows, |n| link(At::Page(n))),
            next_cursor.map(|last| match current < last_page(rows) {
                true => link(At::Page(current.saturating_add(1))),
                false => link(At::After(last)),
            }),
        ),
        Some(_) => (Vec::new(), next_cursor.map(|last| link(At::After(last)))),
    }
}

/// The last page `rows` fill; when they were counted only up to a point, the last page before
/// that point (later pages are reached by "next", after a row).
fn last_page(rows: Count) -> u32 {
    u32::try_from((rows.rows + PAGE_SIZE - 1) / PAGE_SIZE).unwrap_or(u32::MAX)
}

/// The first and last page, and two on each side of the current one, with gaps between. A
/// count that stopped has no known last page: the links end with a gap.
fn page_links(current: u32, rows: Count, url: impl Fn(u32) -> String) -> Vec<PageLink> {
    let last = last_page(rows);
    if last <= 1 && !rows.more {
        return Vec::new();
    }
    let gap = || PageLink {
        number: None,
        url: String::new(),
        current: false,
    };
    let mut links = Vec::new();
    let mut previous = 0;
    for n in 1..=last {
        let near = n.abs_diff(current) <= 2;
        if n == 1 || (n == last && !rows.more) || near {
            if n > previous + 1 {
                links.push(gap());
            }
            links.push(PageLink {
                number: Some(n),
                url: url(n),
                current: n == current,
            });
            previous = n;
        }
    }
    if rows.more {
        links.push(gap());
    }
    links
}

/// A search that reads as an amount, as a Vietnamese user types one (`279.000`, `279k`,
/// `1,5tr`): lists find that amount beside the text.
pub fn search_amount(q: &Option<String>) -> Option<Money> {
    let q = non_empty(q)?;
    if !q.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    parse_amount_input(q).ok().filter(|m| m.is_positive())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> TransferQuery {
        let text = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        serde_urlencoded_query(&text)
    }

    fn serde_urlencoded_query(text: &str) -> TransferQuery {
        actix_web::web::Query::<TransferQuery>::from_query(text)
            .unwrap()
            .into_inner()
    }

    #[test]
    fn reads_vietnamese_amounts_and_vietnam_days() {
        let (filter, errors) = query(&[
            ("min", "100.000"),
            ("max", "1,5tr"),
            ("from", "2026-11-02"),
            ("to", "2026-11-02"),
        ])
        .filter(Scope::All, Lang::En);
        assert!(!errors.any());
        assert_eq!(filter.min_amount.unwrap().to_string(), "100000");
        assert_eq!(filter.max_amount.unwrap().to_string(), "1500000");
        assert_eq!(
            filter.from.unwrap().to_rfc3339(),
            "2026-11-01T17:00:00+00:00"
        );
        assert_eq!(filter.to.unwrap().to_rfc3339(), "2026-11-02T17:00:00+00:00");
        assert_eq!(filter.statuses, TransactionStatus::ALL.to_vec());
    }

    #[test]
    fn a_field_it_cannot_read_is_named_and_left_out() {
        let (filter, errors) = query(&[("min", "abc"), ("max", "100k"), ("from", "02/11/2026")])
            .filter(Scope::Waiting, Lang::Vi);
        assert_eq!(filter.min_amount, None);
        assert_eq!(filter.max_amount.unwrap().to_string(), "100000");
        assert_eq!(filter.from, None);
        assert!(errors.min.is_some() && errors.from.is_some());
        assert_eq!((errors.max, errors.to), (None, None));
        assert_ne!(
            errors.min,
            Some(amount_error(AmountInputError::NotAnAmount))
        );
    }

    #[test]
    fn the_queue_shows_only_waiting_statuses() {
        let q = serde_urlencoded_query("reason=matched");
        assert_eq!(q.status(Scope::Waiting), None);
        assert_eq!(
            q.status(Scope::All),
            Some(TransactionStatus::Matched),
            "`reason` is the queue's name for the status"
        );
        let (filter, _) = q.filter(Scope::Waiting, Lang::En);
        assert_eq!(filter.statuses, TransactionStatus::WAITING.to_vec());
    }

    #[test]
    fn links_keep_the_filter() {
        let q = query(&[("min", "100.000"), ("q", "a b"), ("page", "3")]);
        assert_eq!(
            q.link("/admin/queue", Some("unmatched"), At::Page(2)),
            "/admin/queue?status=unmatched&min=100.000&q=a%20b&page=2"
        );
        let by_account = query(&[("account", " 0011001234567 ")]);
        assert_eq!(
            by_account.link("/x", None, At::Page(1)),
            "/x?account=0011001234567"
        );
        let (filter, _) = by_account.filter(Scope::All, Lang::En);
        assert_eq!(filter.account.as_deref(), Some("0011001234567"));
        assert_eq!(
            q.link("/x.csv", None, At::Page(1)),
            "/x.csv?min=100.000&q=a%20b"
        );
        assert_eq!(
            q.link("/x", None, At::After(7)),
            "/x?min=100.000&q=a%20b&cursor=7"
        );
        assert_eq!(TransferQuery::default().link("/x", None, At::Page(1)), "/x");
        let rows = Count::exactly;
        assert_eq!(q.start(rows(500)).1.skip, 2 * PAGE_SIZE);
        assert_eq!(q.start(rows(101)), (3, q.start(rows(500)).1));
        assert_eq!(q.start(rows(60)).0, 2, "no page past the last");
        assert_eq!(q.start(rows(0)).0, 1);
    }

    enum Counted {
        Exactly(i64),
        Over(i64),
    }

    #[test]
    fn numbered_pages_around_the_current_one() {
        let numbers = |current, rows| {
            let (rows, more) = match rows {
                Counted::Exactly(rows) => (rows, false),
                Counted::Over(rows) => (rows, true),
            };
            page_links(current, Count { rows, more }, |n| n.to_string())
                .iter()
                .map(|l| l.number.map_or("…".to_owned(), |n| n.to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        use Counted::{Exactly, Over};
        assert_eq!(numbers(1, Exactly(50)), "");
        assert_eq!(numbers(1, Exactly(51)), "1 2");
        assert_eq!(numbers(1, Exactly(500)), "1 2 3 … 10");
        assert_eq!(numbers(6, Exactly(500)), "1 … 4 5 6 7 8 … 10");
        assert_eq!(numbers(10, Exactly(500)), "1 … 8 9 10");
        // A count that stopped: no last page, a gap where it would be.
        assert_eq!(numbers(1, Over(500)), "1 2 3 …");
        assert_eq!(numbers(10, Over(500)), "1 … 8 9 10 …");
        assert_eq!(numbers(1, Over(50)), "1 …");
    }
}
