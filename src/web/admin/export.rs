//! CSV downloads of the admin's lists: every matching row, read page by page from the database
//! while the response streams, UTF-8 with a byte-order mark (so that Excel shows Vietnamese), a
//! header row, amounts as plain decimals, times in Vietnam time, and no cell that a spreadsheet
//! would run as a formula.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};

use super::context::vietnam;
use crate::db::{Database, DbConn, Page, StoreError};
use crate::domain::{BankTransaction, Order};

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";
/// Rows read from the database per chunk of the response.
pub const CHUNK_ROWS: i64 = 500;

/// A row of an export.
pub trait CsvRow {
    const HEADER: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

/// A text cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return before one) is kept as text by a leading `'`.
fn text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn optional_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_default()
}

impl CsvRow for BankTransaction {
    const HEADER: &'static [&'static str] = &[
        "id",
        "when",
        "amount",
        "description",
        "status",
        "order_code",
        "account",
        "bank_ref",
        "received_at",
        "running_balance",
        "resolution",
        "resolution_note",
        "source",
        "payer_name",
        "payer_account",
        "payer_bank",
        "matched_by",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            text(&format!("{}:{}", self.source, self.external_id)),
            optional_time(self.when),
            self.amount.to_string(),
            text(&self.description),
            self.status.as_str().to_owned(),
            self.order_code
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            text(self.account.as_deref().unwrap_or_default()),
            text(self.bank_ref.as_deref().unwrap_or_default()),
            time(self.received_at),
            self.running_balance
                .map(|m| m.to_string())
                .unwrap_or_default(),
            self.resolution
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            text(self.resolution_note.as_deref().unwrap_or_default()),
            self.source.clone(),
            text(self.payer.name.as_deref().unwrap_or_default()),
            text(self.payer.account.as_deref().unwrap_or_default()),
            text(self.payer.bank.as_deref().unwrap_or_default()),
            self.matched_by()
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default(),
        ]
    }
}

impl CsvRow for Order {
    const HEADER: &'static [&'static str] = &[
        "code",
        "reference",
        "amount",
        "currency",
        "status",
        "amount_received",
        "amount_due",
        "created_at",
        "paid_at",
        "expires_at",
        "account",
        "customer_name",
        "customer_phone",
        "customer_email",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.code.to_string(),
            text(self.reference.as_deref().unwrap_or_default()),
            self.amount.to_string(),
            text(&self.currency),
            self.status.as_str().to_owned(),
            self.amount_received.to_string(),
            self.amount_due().to_string(),
            time(self.created_at),
            optional_time(self.paid_at),
            optional_time(self.expires_at),
            text(self.account.as_deref().unwrap_or_default()),
            text(self.customer.name.as_deref().unwrap_or_default()),
            text(self.customer.phone.as_deref().unwrap_or_default()),
            text(self.customer.email.as_deref().unwrap_or_default()),
        ]
    }
}

/// Writes rows as CSV; the header (after the byte-order mark) when `first`.
pub fn csv_chunk<T: CsvRow>(rows: &[T], first: bool) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    if first {
        out.extend_from_slice(BYTE_ORDER_MARK);
    }
    let mut writer = csv::Writer::from_writer(out);
    if first {
        writer.write_record(T::HEADER)?;
    }
    for row in rows {
        writer.write_record(row.cells())?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// Reads the page of rows after a row id (`None`: the first page).
pub type Fetch<T> =
    Arc<dyn Fn(&mut DbConn, Option<i64>) -> Result<Page<T>, StoreError> + Send + Sync>;

struct Progress {
    after: Option<i64>,
    first: bool,
    done: bool,
}

/// A download named `{name}-{today}.csv` of every row `fetch` pages through.
pub fn download<T: CsvRow + Send + 'static>(
    db: Database,
    name: &str,
    fetch: Fetch<T>,
) -> HttpResponse {
    let start = Progress {
        after: None,
        first: true,
        done: false,
    };
    let chunks = futures_util::stream::unfold(start, move |progress| {
        let (db, fetch) = (db.clone(), fetch.clone());
        async move {
            if progress.done {
                return None;
            }
            let after = progress.after;
            let page = db.run(move |conn| fetch(conn, after)).await;
            let chunk = page
                .map_err(actix_web::error::ErrorServiceUnavailable)
                .and_then(|page| {
                    let bytes = csv_chunk(&page.items, progress.first)
                        .map_err(actix_web::error::ErrorInternalServerError)?;
                    Ok((bytes, page.next_cursor))
                });
            Some(match chunk {
                Ok((bytes, next)) => (
                    Ok(Bytes::from(bytes)),
                    Progress {
                        after: next,
                        first: false,
                        done: next.is_none(),
                    },
                ),
                // The rows so far are sent; the broken end tells the client it is incomplete.
                Err(e) => (
                    Err(e),
                    Progress {
                        done: true,
                        ..progress
                    },
                ),
            })
        }
    });
    let today = Utc::now().with_timezone(&vietnam()).format("%Y-%m-%d");
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}-{today}.csv\""),
        ))
        .streaming(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, OrderCode, TransactionStatus};

    fn transfer(description: &str, amount: &str) -> BankTransaction {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        BankTransaction {
            row_id: 1,
            source: "casso".into(),
            external_id: "6785".into(),
            bank_ref: Some("=HYPERLINK(\"x\")".into()),
            description: description.into(),
            amount: Money::parse(amount).unwrap(),
            running_balance: None,
            when: Some(at("2026-11-29T17:30:00Z")),
            account: Some("0123".into()),
            status: TransactionStatus::Matched,
            order_code: Some(OrderCode::parse("DH1").unwrap()),
            candidates: vec![OrderCode::parse("DH1").unwrap()],
            allocations: Vec::new(),
            received_at: at("2026-11-30T01:00:00Z"),
            waiting_reason: None,
            resolution: None,
            resolution_note: None,
            resolved_by: None,
            resolved_at: None,
            payer: crate::domain::Payer {
                name: Some("=NGUYEN VAN A".into()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn header_once_after_the_byte_order_mark_then_rows() {
        let first = csv_chunk(&[transfer("Thanh toán đơn DH1", "150000")], true).unwrap();
        assert!(first.starts_with(BYTE_ORDER_MARK));
        let text = String::from_utf8(first[3..].to_vec()).unwrap();
        let mut lines = text.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("id,when,amount,description,status"));
        assert_eq!(
            lines.next().unwrap(),
            "casso:6785,2026-11-30 00:30:00,150000,Thanh toán đơn DH1,matched,DH1,0123,\
             \"'=HYPERLINK(\"\"x\"\")\",2026-11-30 08:00:00,,,,casso,'=NGUYEN VAN A,,,code"
        );
        let next = csv_chunk(&[transfer("a", "-1.5")], false).unwrap();
        assert!(String::from_utf8(next).unwrap().starts_with("casso:6785,"));
    }

    #[test]
    fn formulas_stay_text_and_amounts_stay_numbers() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(text(formula), format!("'{formula}"));
        }
        assert_eq!(text("DH1 =1"), "DH1 =1");
        let cells = transfer("-2+3", "-50000").cells();
        assert_eq!(cells[2], "-50000");
        assert_eq!(cells[3], "'-2+3");
    }
}
