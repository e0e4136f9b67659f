//! Orders from a spreadsheet: a CSV as Excel saves it (UTF-8 with or without a byte-order mark,
//! comma or semicolon separated) whose header names some of the export's columns. Every row is
//! checked and shown before anything is stored; then all are stored in one transaction, or
//! none.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::{insert, read_amount, Created, Draft, Invalid, NewOrder};
use crate::config::Accounts;
use crate::db::{Store, StoreError};
use crate::domain::{vietnam, Cause, Order, OrderCode};

/// The most rows one file may hold.
pub const MAX_ROWS: usize = 5_000;

/// The columns an import reads; any other (the export's `status`, `amount_received` …) is
/// skipped, so an export can be imported again.
pub const COLUMNS: [&str; 8] = [
    "code",
    "amount",
    "reference",
    "customer_name",
    "customer_phone",
    "customer_email",
    "account",
    "expires_at",
];

/// Why a file as a whole cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("the header has no `amount` column")]
    NoAmountColumn,
    #[error("the header names `{0}` twice")]
    DuplicateColumn(String),
    #[error("the file has more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("line {0} is not valid CSV")]
    BadCsv(usize),
}

/// One row's cells under the columns an import reads (empty when the file has no such
/// column), trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The row's line in the file (the header is line 1), as a spreadsheet numbers it.
    pub line: usize,
    pub cells: BTreeMap<&'static str, String>,
    /// The codes a row without one may get, in order, made from the file and the line: the
    /// same file imported again (or its confirm sent twice) finds its orders already there
    /// instead of making them twice.
    pub derived: Vec<OrderCode>,
}

/// How many codes a row without one may try before the import gives up on it.
const DERIVED_CODES: u64 = 3;

/// `DH` and ten digits, like a generated code, taken from the file's digest, the line and the
/// attempt.
fn derived_codes(file_digest: &[u8], line: usize) -> Vec<OrderCode> {
    use sha2::Digest;
    (0..DERIVED_CODES)
        .filter_map(|attempt| {
            let mut hash = sha2::Sha256::new();
            hash.update(file_digest);
            hash.update(line.to_le_bytes());
            hash.update(attempt.to_le_bytes());
            let bytes: [u8; 8] = hash.finalize()[..8].try_into().ok()?;
            let digits = 1_000_000_000 + u64::from_le_bytes(bytes) % 9_000_000_000;
            OrderCode::parse(&format!("DH{digits}")).ok()
        })
        .collect()
}

impl Row {
    pub fn cell(&self, column: &str) -> &str {
        self.cells.get(column).map_or("", String::as_str)
    }

    fn given(&self, column: &str) -> Option<String> {
        Some(self.cell(column).to_owned()).filter(|c| !c.is_empty())
    }
}

/// What confirming does with a row.
#[derive(Debug, Clone)]
pub enum Verdict {
    New(Box<NewOrder>),
    /// An order with this code and amount exists: nothing is stored for this row.
    AlreadyThere,
    Wrong(Vec<Invalid>),
}

#[derive(Debug, Clone)]
pub struct Planned {
    pub row: Row,
    pub verdict: Verdict,
}

/// A spreadsheet's guard that keeps a cell text (`'0901…`, `'+84…`, `'=…`) is not part of
/// the value.
fn unguard(cell: &str) -> &str {
    let cell = cell.trim();
    match cell.strip_prefix('\'') {
        Some(rest)
            if rest.starts_with(['=', '+', '-', '@'])
                || rest.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            rest
        }
        _ => cell,
    }
}

/// The separator of the header line: `;` as Excel writes it where the decimal mark is a comma,
/// else `,`.
fn separator(header: &str) -> u8 {
    if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// The rows of a file, or why it cannot be read.
pub fn read(bytes: &[u8]) -> Result<Vec<Row>, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|_| FileError::NotUtf8)?;
    let mut text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut first_line = 1;
    // Excel's own hint line, `sep=;`.
    let mut delimiter = None;
    if let Some(rest) = text.strip_prefix("sep=") {
        let (hint, after) = rest.split_once('\n').unwrap_or((rest, ""));
        delimiter = hint.trim_end_matches('\r').bytes().next();
        text = after;
        first_line += 1;
    }
    let header_line = text.lines().next().ok_or(FileError::Empty)?;
    if header_line.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter.unwrap_or_else(|| separator(header_line)))
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|_| FileError::BadCsv(first_line))?
        .clone();
    let mut columns: HashMap<usize, &'static str> = HashMap::new();
    for (at, name) in header.iter().enumerate() {
        let name = name.trim().to_lowercase();
        if let Some(known) = COLUMNS.iter().find(|c| **c == name) {
            if columns.values().any(|c| c == known) {
                return Err(FileError::DuplicateColumn(name));
            }
            columns.insert(at, known);
        }
    }
    if !columns.values().any(|c| *c == "amount") {
        return Err(FileError::NoAmountColumn);
    }
    // The line in the file where a record starts, as a spreadsheet numbers it (after a CRLF
    // the reader places a record on its LF).
    let line_at = |position: Option<&csv::Position>| {
        let byte = position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let before = &text.as_bytes()[..byte.saturating_add(1).min(text.len())];
        first_line + before.iter().filter(|b| **b == b'\n').count()
    };
    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(bytes)
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| FileError::BadCsv(line_at(e.position())))?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        let line = line_at(record.position());
        let cells = columns
            .iter()
            .map(|(at, column)| (*column, unguard(record.get(*at).unwrap_or("")).to_owned()))
            .collect();
        rows.push(Row {
            line,
            cells,
            derived: derived_codes(&digest, line),
        });
    }
    Ok(rows)
}

/// A deadline as a spreadsheet holds it: RFC 3339, or Vietnam time as the export writes it
/// (`2026-12-31 23:59:00`) or as people type it (`31/12/2026 23:59`); a date alone is the
/// end of that day.
fn read_deadline(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        ["%Y-%m-%d", "%d/%m/%Y"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
            .and_then(|d| d.and_hms_opt(23, 59, 59))
    })?;
    vietnam()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The draft a row describes, or what in it cannot be read.
fn draft(row: &Row, accounts: &Accounts) -> Result<Draft, Vec<Invalid>> {
    let mut wrong = Vec::new();
    let account = row.given("account");
    let currency = super::currency_of(accounts, account.as_deref());
    let amount = match row.cell("amount") {
        "" => None,
        text => {
            let amount = read_amount(text, &currency);
            if amount.is_none() {
                wrong.push(Invalid::new(
                    "amount",
                    "invalid_amount",
                    format!("{text:?} is not an amount"),
                ));
            }
            amount
        }
    };
    let expires_at = match row.cell("expires_at") {
        "" => None,
        text => {
            let deadline = read_deadline(text);
            if deadline.is_none() {
                wrong.push(Invalid::new(
                    "expires_at",
                    "invalid_expires_at",
                    format!("{text:?} is not a time such as 2026-12-31 23:59"),
                ));
            }
            deadline
        }
    };
    if !wrong.is_empty() {
        return Err(wrong);
    }
    Ok(Draft {
        code: row.given("code"),
        amount,
        currency: Some(currency),
        reference: row.given("reference"),
        expires_at,
        account,
        customer_name: row.given("customer_name"),
        customer_phone: row.given("customer_phone"),
        customer_email: row.given("customer_email"),
        ..Draft::default()
    })
}

/// What confirming would do with each row, as the database stands now.
pub fn plan<S: Store>(
    store: &mut S,
    rows: Vec<Row>,
    accounts: &Accounts,
    now: DateTime<Utc>,
) -> Result<Vec<Planned>, StoreError> {
    let codes: Vec<OrderCode> = rows
        .iter()
        .flat_map(|r| {
            let given = OrderCode::parse(r.cell("code")).ok();
            given.into_iter().chain(r.derived.iter().cloned())
        })
        .collect();
    let existing: HashMap<OrderCode, Order> = store
        .orders_by_codes(&codes)?
        .into_iter()
        .map(|o| (o.code.clone(), o))
        .collect();
    let mut seen: HashMap<OrderCode, usize> = HashMap::new();
    Ok(rows
        .into_iter()
        .map(|row| {
            let verdict = match draft(&row, accounts).and_then(|d| d.check(now, accounts)) {
                Err(wrong) => Verdict::Wrong(wrong),
                Ok(new) => match new.code.clone() {
                    Some(code) if seen.contains_key(&code) => Verdict::Wrong(vec![Invalid::new(
                        "code",
                        "duplicate_code",
                        format!("{code} is also on line {}", seen[&code]),
                    )]),
                    Some(code) => {
                        seen.insert(code.clone(), row.line);
                        match existing.get(&code) {
                            Some(order) if order.amount == new.amount => Verdict::AlreadyThere,
                            Some(order) => Verdict::Wrong(vec![Invalid::new(
                                "code",
                                "order_exists",
                                format!("order {code} already exists with amount {}", order.amount),
                            )]),
                            None => Verdict::New(Box::new(new)),
                        }
                    }
                    None => derived_verdict(&row, new, &existing),
                },
            };
            Planned { row, verdict }
        })
        .collect())
}

/// A row without a code: the first of its derived codes that is free, or already there as
/// this same order (made by an earlier import of this file).
fn derived_verdict(row: &Row, new: NewOrder, existing: &HashMap<OrderCode, Order>) -> Verdict {
    for code in &row.derived {
        match existing.get(code) {
            None => {
                return Verdict::New(Box::new(NewOrder {
                    code: Some(code.clone()),
                    ..new
                }))
            }
            Some(order)
                if order.amount == new.amount
                    && order.customer == new.customer
                    && order.reference == new.reference =>
            {
                return Verdict::AlreadyThere
            }
            // Another order has it: the next.
            Some(_) => {}
        }
    }
    Verdict::Wrong(vec![Invalid::new(
        "code",
        "code_generation_failed",
        "no free order code was found for this row",
    )])
}

/// How many orders the import stored and how many were already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub new: usize,
    pub already_there: usize,
}

/// The error that undoes an import when a row's code was taken between the check and the
/// insert: the caller plans again to show which.
pub fn is_taken_meanwhile(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Query(diesel::result::Error::RollbackTransaction)
    )
}

/// Checks every row again and stores the new ones in one transaction: all or nothing. `Ok(Err)`
/// is the plan with its wrong rows when nothing was stored.
pub fn confirm<S: Store>(
    store: &mut S,
    rows: &[Row],
    accounts: &Accounts,
    cause: &Cause,
    now: DateTime<Utc>,
) -> Result<Result<Stored, Vec<Planned>>, StoreError> {
    store.write(|store| {
        let plan = plan(store, rows.to_vec(), accounts, now)?;
        if plan.iter().any(|p| matches!(p.verdict, Verdict::Wrong(_))) {
            return Ok(Err(plan));
        }
        let mut stored = Stored {
            new: 0,
            already_there: 0,
        };
        for planned in &plan {
            let Verdict::New(new) = &planned.verdict else {
                stored.already_there += 1;
                continue;
            };
            match insert(store, new, cause, now)? {
                Created::New(_) => stored.new += 1,
                Created::Existing(_) => stored.already_there += 1,
                Created::AmountConflict(_) | Created::NoFreeCode => {
                    return Err(StoreError::Query(
                        diesel::result::Error::RollbackTransaction,
                    ))
                }
            }
        }
        Ok(Ok(stored))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[Row], column: &str) -> Vec<String> {
        rows.iter().map(|r| r.cell(column).to_owned()).collect()
    }

    #[test]
    fn reads_excel_semicolons_with_a_byte_order_mark() {
        let file =
            "\u{feff}code;amount;customer_name\r\nDH1;150.000;Nguyễn Thị Mai\r\nDH2;\"1,5tr\";\r\n";
        let rows = read(file.as_bytes()).unwrap();
        assert_eq!(cells(&rows, "code"), ["DH1", "DH2"]);
        assert_eq!(cells(&rows, "amount"), ["150.000", "1,5tr"]);
        assert_eq!(cells(&rows, "customer_name"), ["Nguyễn Thị Mai", ""]);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn reads_commas_the_export_and_excels_separator_hint() {
        let export = "code,reference,amount,currency,status,customer_phone\nDH9,\"a, b\",79000,VND,paid,'+84 90\n";
        let rows = read(export.as_bytes()).unwrap();
        assert_eq!(cells(&rows, "reference"), ["a, b"]);
        // The export's guard against formulas is not part of the phone number.
        assert_eq!(cells(&rows, "customer_phone"), ["+84 90"]);
        assert!(!rows[0].cells.contains_key("status"));
        let hinted = read(b"sep=;\namount;code\n1000;DH1\n").unwrap();
        assert_eq!(cells(&hinted, "code"), ["DH1"]);
        assert_eq!(hinted[0].line, 3);
    }

    #[test]
    fn blank_lines_are_skipped_and_files_that_cannot_be_read_say_why() {
        assert_eq!(read(b"amount\n\n1000\n,\n").unwrap().len(), 1);
        assert_eq!(read(b""), Err(FileError::Empty));
        assert_eq!(read(b"\xef\xbb\xbf\n"), Err(FileError::Empty));
        assert_eq!(read(b"code\nDH1\n"), Err(FileError::NoAmountColumn));
        assert_eq!(
            read(b"amount,Amount\n1,2\n"),
            Err(FileError::DuplicateColumn("amount".into()))
        );
        assert_eq!(read(b"amount\n\xff\n"), Err(FileError::NotUtf8));
        let mut big = String::from("amount\n");
        big.push_str(&"1000\n".repeat(MAX_ROWS));
        assert_eq!(read(big.as_bytes()).unwrap().len(), MAX_ROWS);
        big.push_str("1000\n");
        assert_eq!(read(big.as_bytes()), Err(FileError::TooManyRows));
    }

    #[test]
    fn deadlines_as_spreadsheets_hold_them() {
        let at = |text| read_deadline(text).map(|t| t.to_rfc3339());
        let end = Some("2026-12-31T16:59:00+00:00".to_owned());
        assert_eq!(at("2026-12-31 23:59:00"), end);
        assert_eq!(at("2026-12-31 23:59"), end);
        assert_eq!(at("31/12/2026 23:59"), end);
        assert_eq!(at("2026-12-31T23:59:00+07:00"), end);
        assert_eq!(
            at("31/12/2026"),
            Some("2026-12-31T16:59:59+00:00".to_owned())
        );
        assert_eq!(at("tomorrow"), None);
    }

    #[test]
    fn rows_are_read_as_their_accounts_currency() {
        let rows =
            read("amount,customer_email,expires_at\n150.000,,\n0,,\nabc,x@,soon\n".as_bytes())
                .unwrap();
        let accounts = Accounts::default();
        let amount = draft(&rows[0], &accounts).unwrap().amount.unwrap();
        assert_eq!(amount.to_string(), "150000");
        let faults: Vec<&str> = draft(&rows[2], &accounts)
            .unwrap_err()
            .iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(faults, ["amount", "expires_at"]);
        // Zero is not an amount to pay.
        assert!(draft(&rows[1], &accounts).is_err());
    }
}
