//! The admin's lists as Excel workbooks (`queue.xlsx`, `transactions.xlsx`, `orders.xlsx`), for
//! accountants: amounts as numbers, times as dates (Vietnam time), account numbers and codes as
//! text (leading zeros kept), headers and statuses in the reader's language.

use actix_web::http::header;
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::error::AdminError;
use super::export::Fetch;
use super::views::status_label;
use crate::db::Database;
use crate::domain::{vietnam, BankTransaction, Money, Order};
use crate::web::i18n::Lang;

/// How a workbook writes one kind of row.
pub trait SheetRow {
    /// The columns' names, in English (the key of their translation).
    const HEADER: &'static [&'static str];
    fn write(&self, out: &mut RowWriter<'_>) -> Result<(), XlsxError>;
}

/// One row of a sheet, written a cell at a time.
pub struct RowWriter<'a> {
    sheet: &'a mut Worksheet,
    row: u32,
    col: u16,
    lang: Lang,
    formats: &'a Formats,
}

pub struct Formats {
    money: Format,
    time: Format,
    text: Format,
}

impl RowWriter<'_> {
    fn next(&mut self) -> u16 {
        self.col += 1;
        self.col - 1
    }

    pub fn text(&mut self, value: &str) -> Result<(), XlsxError> {
        let col = self.next();
        if !value.is_empty() {
            // Written as a string with the text format: `0011…` and `+84…` stay as they are.
            self.sheet
                .write_string_with_format(self.row, col, value, &self.formats.text)?;
        }
        Ok(())
    }

    /// A number Excel adds up. Excel keeps numbers as binary doubles (15 significant digits):
    /// an amount with more is written as its exact text instead of a rounded number.
    pub fn money(&mut self, value: Money) -> Result<(), XlsxError> {
        let exact = value.to_string();
        let digits = exact.chars().filter(char::is_ascii_digit).count();
        match exact.parse::<f64>() {
            Ok(number) if digits <= 15 => {
                let col = self.next();
                self.sheet
                    .write_number_with_format(self.row, col, number, &self.formats.money)?;
                Ok(())
            }
            _ => self.text(&exact),
        }
    }

    pub fn time(&mut self, value: Option<DateTime<Utc>>) -> Result<(), XlsxError> {
        let col = self.next();
        if let Some(t) = value {
            let local = t.with_timezone(&vietnam()).naive_local();
            self.sheet
                .write_datetime_with_format(self.row, col, local, &self.formats.time)?;
        }
        Ok(())
    }

    pub fn status(&mut self, status: &str) -> Result<(), XlsxError> {
        let label = status_label(status, self.lang).unwrap_or(status);
        self.text(label)
    }
}

impl SheetRow for BankTransaction {
    const HEADER: &'static [&'static str] = &[
        "ID",
        "Bank time",
        "Amount",
        "Description",
        "Status",
        "Orders",
        "Account",
        "Bank reference",
        "Received",
        "Payer",
    ];

    fn write(&self, out: &mut RowWriter<'_>) -> Result<(), XlsxError> {
        out.text(&format!("{}:{}", self.source, self.external_id))?;
        out.time(self.when)?;
        out.money(self.amount)?;
        out.text(&self.description)?;
        out.status(self.status.as_str())?;
        let orders: Vec<String> = if self.allocations.is_empty() {
            self.order_code.iter().map(ToString::to_string).collect()
        } else {
            self.allocations
                .iter()
                .map(|a| a.order_code.to_string())
                .collect()
        };
        out.text(&orders.join(" + "))?;
        out.text(self.account.as_deref().unwrap_or_default())?;
        out.text(self.bank_ref.as_deref().unwrap_or_default())?;
        out.time(Some(self.received_at))?;
        out.text(&self.payer.summary())
    }
}

impl SheetRow for Order {
    const HEADER: &'static [&'static str] = &[
        "Order code",
        "Reference",
        "Amount",
        "Currency",
        "Status",
        "Received so far",
        "Still due",
        "Created",
        "Paid at",
        "Expires",
        "Account",
        "Customer's name",
        "Phone",
        "E-mail",
    ];

    fn write(&self, out: &mut RowWriter<'_>) -> Result<(), XlsxError> {
        out.text(self.code.as_str())?;
        out.text(self.reference.as_deref().unwrap_or_default())?;
        out.money(self.amount)?;
        out.text(&self.currency)?;
        out.status(self.status.as_str())?;
        out.money(self.amount_received)?;
        out.money(self.amount_due())?;
        out.time(Some(self.created_at))?;
        out.time(self.paid_at)?;
        out.time(self.expires_at)?;
        out.text(self.account.as_deref().unwrap_or_default())?;
        out.text(self.customer.name.as_deref().unwrap_or_default())?;
        out.text(self.customer.phone.as_deref().unwrap_or_default())?;
        out.text(self.customer.email.as_deref().unwrap_or_default())
    }
}

/// The workbook of `rows`: one sheet, a bold header row kept in view, columns sized to fit.
pub fn workbook<T: SheetRow>(rows: &[T], lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let formats = Formats {
        money: Format::new().set_num_format("#,##0.####"),
        time: Format::new().set_num_format("dd/mm/yyyy hh:mm"),
        text: Format::new().set_num_format("@"),
    };
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    for (col, name) in (0u16..).zip(T::HEADER) {
        sheet.write_string_with_format(0, col, lang.t(name), &bold)?;
    }
    for (row, item) in (1u32..).zip(rows) {
        item.write(&mut RowWriter {
            sheet: &mut *sheet,
            row,
            col: 0,
            lang,
            formats: &formats,
        })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    book.save_to_buffer()
}

/// A download named `{name}-{today}.xlsx` of every row `fetch` pages through.
pub async fn download<T: SheetRow + Send + 'static>(
    db: Database,
    name: &str,
    fetch: Fetch<T>,
    lang: Lang,
) -> Result<HttpResponse, AdminError> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let fetch = fetch.clone();
        let page = db.run(move |conn| fetch(conn, after)).await?;
        rows.extend(page.items);
        match page.next_cursor {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let bytes = tokio::task::spawn_blocking(move || workbook(&rows, lang))
        .await
        .map_err(|_| AdminError::Internal)?
        .map_err(|e| {
            tracing::error!(error = %e, "workbook not written");
            AdminError::Internal
        })?;
    let today = Utc::now().with_timezone(&vietnam()).format("%Y-%m-%d");
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}-{today}.xlsx\""),
        ))
        .body(bytes))
}
