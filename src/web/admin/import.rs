//! Orders from a spreadsheet (`/admin/orders/import`): upload a CSV, see every row as it will
//! be stored with what is wrong in it, then confirm. The confirm form carries the file itself
//! (base64), so nothing is kept between the two steps and every row is checked again.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use askama::Template;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::TryStreamExt;
use serde::Deserialize;

use super::context::{render, Nav, PageContext};
use super::error::AdminError;
use super::new_order::fault_text;
use super::views::{local_time, money};
use crate::domain::{self, Cause};
use crate::orders::import::{self, FileError, Planned, Row, Stored, Verdict};
use crate::state::AppState;
use crate::users::Action;
use crate::web::i18n::Lang;
use crate::{with_store, write_store};

/// The largest file taken: 5,000 rows of the export's columns fit with room to spare.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// The confirm form carries the file as base64 (4/3 of it) and a token.
pub const MAX_CONFIRM_BYTES: usize = MAX_FILE_BYTES / 3 * 4 + 4096;

const SAMPLE: &str =
    "\u{feff}code,amount,customer_name,customer_phone,customer_email,reference,expires_at\r\n\
DH1001,150000,Nguyễn Thị Mai,0901 234 567,mai@example.vn,2 áo thun size M,2030-12-31 23:59\r\n\
,\"1,5tr\",Trần Văn Nam,+84 912 345 678,,Đơn qua Zalo,\r\n\
DH1003,89k,,,,Bán tại quầy,\r\n";

pub struct RowView {
    pub line: usize,
    pub code: String,
    pub amount: String,
    pub customer: String,
    pub reference: String,
    pub account: String,
    pub deadline: String,
    /// `new`, `already` or `wrong`.
    pub verdict: &'static str,
    pub faults: Vec<&'static str>,
}

impl RowView {
    fn new(planned: &Planned, lang: Lang) -> RowView {
        let row = &planned.row;
        let customer = |name: &str, phone: &str, email: &str| {
            [name, phone, email]
                .into_iter()
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let (verdict, faults) = match &planned.verdict {
            Verdict::New(_) => ("new", Vec::new()),
            Verdict::AlreadyThere => ("already", Vec::new()),
            Verdict::Wrong(wrong) => (
                "wrong",
                wrong.iter().map(|w| lang.t(fault_text(w))).collect(),
            ),
        };
        match &planned.verdict {
            // As it will be stored: the amount read, the deadline in Vietnam time.
            Verdict::New(new) => RowView {
                line: row.line,
                code: new
                    .code
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| lang.t("(made when stored)").to_owned()),
                amount: money(new.amount, &new.currency, lang),
                customer: customer(
                    new.customer.name.as_deref().unwrap_or_default(),
                    new.customer.phone.as_deref().unwrap_or_default(),
                    new.customer.email.as_deref().unwrap_or_default(),
                ),
                reference: new.reference.clone().unwrap_or_default(),
                account: new.account.clone().unwrap_or_default(),
                deadline: new.expires_at.map(local_time).unwrap_or_default(),
                verdict,
                faults,
            },
            _ => RowView {
                line: row.line,
                code: row.cell("code").to_owned(),
                amount: row.cell("amount").to_owned(),
                customer: customer(
                    row.cell("customer_name"),
                    row.cell("customer_phone"),
                    row.cell("customer_email"),
                ),
                reference: row.cell("reference").to_owned(),
                account: row.cell("account").to_owned(),
                deadline: row.cell("expires_at").to_owned(),
                verdict,
                faults,
            },
        }
    }
}

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    lang: Lang,
    nav: Nav,
    max_rows: usize,
    /// Why the file as a whole could not be read.
    problem: Option<String>,
    rows: Vec<RowView>,
    new: usize,
    already: usize,
    wrong: usize,
    /// The file, for the confirm form; only when every row is right and one is new.
    data: Option<String>,
    stored: Option<Stored>,
}

impl ImportPage {
    fn new(ctx: PageContext) -> ImportPage {
        ImportPage {
            lang: ctx.lang,
            nav: ctx.nav,
            max_rows: import::MAX_ROWS,
            problem: None,
            rows: Vec::new(),
            new: 0,
            already: 0,
            wrong: 0,
            data: None,
            stored: None,
        }
    }

    fn with_plan(mut self, plan: &[Planned], file: &[u8]) -> ImportPage {
        self.rows = plan.iter().map(|p| RowView::new(p, self.lang)).collect();
        let count = |v: &str| self.rows.iter().filter(|r| r.verdict == v).count();
        (self.new, self.already, self.wrong) = (count("new"), count("already"), count("wrong"));
        if self.wrong == 0 && self.new > 0 {
            self.data = Some(STANDARD.encode(file));
        }
        self
    }

    fn file_problem(mut self, e: &FileError) -> ImportPage {
        let lang = self.lang;
        self.problem = Some(match e {
            FileError::Empty => lang.t("The file is empty.").to_owned(),
            FileError::NotUtf8 => lang
                .t("The file is not UTF-8 text: in Excel, save it as \"CSV UTF-8\".")
                .to_owned(),
            FileError::NoAmountColumn => lang
                .t("The first line must name the columns, one of them amount.")
                .to_owned(),
            FileError::DuplicateColumn(name) => {
                format!("{} {name}", lang.t("A column is named twice:"))
            }
            FileError::TooManyRows => lang
                .t("The file has more than 5,000 rows: split it in parts.")
                .to_owned(),
            FileError::BadCsv(line) => {
                format!("{} {line}", lang.t("The file is not valid CSV at line"))
            }
        });
        self
    }
}

fn status(mut response: HttpResponse, code: actix_web::http::StatusCode) -> HttpResponse {
    *response.status_mut() = code;
    response
}

pub async fn import_form(ctx: PageContext) -> Result<HttpResponse, AdminError> {
    ctx.require(Action::Work)?;
    render(&ImportPage::new(ctx))
}

pub async fn sample_csv() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"paymatch-orders-sample.csv\"",
        ))
        .body(SAMPLE)
}

/// The upload's CSRF token and file (`None` when larger than `MAX_FILE_BYTES`); anything else
/// in the form is skipped.
async fn read_upload(mut form: Multipart) -> Result<(String, Option<Vec<u8>>), AdminError> {
    let (mut csrf, mut file) = (Vec::new(), Some(Vec::new()));
    let broken = |_| AdminError::BadRequest;
    while let Some(mut field) = form.try_next().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        while let Some(chunk) = field.try_next().await.map_err(broken)? {
            match name.as_str() {
                "csrf" if csrf.len() + chunk.len() <= 256 => csrf.extend_from_slice(&chunk),
                "file" => {
                    // Read to the end all the same, so the reply is not cut off mid-upload.
                    file = file.filter(|f| f.len() + chunk.len() <= MAX_FILE_BYTES);
                    if let Some(file) = &mut file {
                        file.extend_from_slice(&chunk);
                    }
                }
                _ => {}
            }
        }
    }
    Ok((String::from_utf8_lossy(&csrf).into_owned(), file))
}

/// Reads the file and shows what confirming would store.
async fn preview(
    ctx: PageContext,
    state: &AppState,
    file: Vec<u8>,
) -> Result<HttpResponse, AdminError> {
    let page = ImportPage::new(ctx);
    let rows = match import::read(&file) {
        Ok(rows) => rows,
        Err(e) => {
            return Ok(status(
                render(&page.file_problem(&e))?,
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    };
    let plan = plan(state, rows).await?;
    let page = page.with_plan(&plan, &file);
    let code = if page.wrong > 0 {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(status(render(&page)?, code))
}

async fn plan(state: &AppState, rows: Vec<Row>) -> Result<Vec<Planned>, AdminError> {
    let accounts = state.settings.accounts.clone();
    let now = domain::now();
    Ok(state
        .db
        .run(move |conn| with_store!(conn, |s| import::plan(s, rows.clone(), &accounts, now)))
        .await?)
}

pub async fn import_preview(
    ctx: PageContext,
    state: web::Data<AppState>,
    form: Multipart,
) -> Result<HttpResponse, AdminError> {
    let (csrf, file) = read_upload(form).await?;
    ctx.check_form(&csrf, Action::Work)?;
    let Some(file) = file else {
        let mut page = ImportPage::new(ctx);
        page.problem = Some(page.lang.t("The file is larger than 4 MB.").to_owned());
        return Ok(status(
            render(&page)?,
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        ));
    };
    preview(ctx, &state, file).await
}

#[derive(Deserialize)]
pub struct ConfirmImport {
    csrf: String,
    data: String,
}

pub async fn import_confirm(
    ctx: PageContext,
    state: web::Data<AppState>,
    form: web::Form<ConfirmImport>,
) -> Result<HttpResponse, AdminError> {
    ctx.check_form(&form.csrf, Action::Work)?;
    let file = STANDARD
        .decode(form.data.trim())
        .map_err(|_| AdminError::BadRequest)?;
    let Ok(rows) = import::read(&file) else {
        // The preview read it; a changed form is shown as a new preview.
        return preview(ctx, &state, file).await;
    };
    let (accounts, cause, now) = (
        state.settings.accounts.clone(),
        Cause::Admin(ctx.user()),
        domain::now(),
    );
    let outcome = write_store!(state.db, |s| import::confirm(
        s, &rows, &accounts, &cause, now
    ));
    match outcome {
        Ok(Ok(stored)) => {
            let mut page = ImportPage::new(ctx);
            page.stored = Some(stored);
            render(&page)
        }
        Ok(Err(_)) => preview(ctx, &state, file).await,
        Err(e) if import::is_taken_meanwhile(&e) => preview(ctx, &state, file).await,
        Err(e) => Err(e.into()),
    }
}
