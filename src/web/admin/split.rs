//! Splitting a waiting transfer across several orders: a form (order code and amount rows), a
//! preview of every order before and after, then the split itself through `ingest::split`.
//! A refused split shows the form again with what was typed and why, and changes nothing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::context::{note_of, render, Nav, PageContext};
use super::error::AdminError;
use super::notice::{Done, Notice};
use super::transactions::{after_resolution, back_with_error, NO_TRANSACTION};
use super::views::{self, OrderView, TxView};
use crate::db::{OrderStore, StoreError, TransactionStore};
use crate::domain::{self, parse_amount_input, Allocation, OrderCode, SplitError};
use crate::ingest::resolve::{Previewed, ResolveError};
use crate::ingest::split::{self, SplitLine};
use crate::state::AppState;
use crate::users::Action;
use crate::web::i18n::Lang;
use crate::{with_store, write_store};

/// The form shows at least this many rows.
const MIN_ROWS: usize = 4;

/// One typed row: order code and amount, as the admin wrote them; on the preview's confirming
/// form also the order's state as previewed, which the split must find unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub code: String,
    pub amount: String,
    pub seen: String,
}

/// Why a split was refused: a message (its English text is the translation key) and the
/// order or amounts it is about.
struct Problem {
    message: &'static str,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin/split.html")]
struct SplitPage {
    lang: Lang,
    nav: Nav,
    tx: TxView,
    rows: Vec<Row>,
    note: String,
    problem: Option<Problem>,
    sum: RunningSum,
}

/// What the typed shares add up to against the transfer; `static/admin.js` keeps it current
/// as the admin types.
struct RunningSum {
    shares: String,
    transfer: String,
    /// The transfer in plain digits, for the script.
    transfer_plain: String,
    /// `even`, `short` or `over`: what is left to place, or placed too much.
    state: &'static str,
    difference: String,
}

impl RunningSum {
    fn of(rows: &[Row], transfer: domain::Money, lang: Lang) -> RunningSum {
        let shares = rows
            .iter()
            .filter_map(|r| parse_amount_input(&r.amount).ok())
            .fold(domain::Money::ZERO, |sum, a| {
                sum.checked_add(a).unwrap_or(sum)
            });
        let (state, difference) = match shares.cmp(&transfer) {
            std::cmp::Ordering::Equal => ("even", domain::Money::ZERO),
            std::cmp::Ordering::Less => ("short", transfer.saturating_sub_to_zero(shares)),
            std::cmp::Ordering::Greater => ("over", shares.saturating_sub_to_zero(transfer)),
        };
        RunningSum {
            shares: views::money(shares, "VND", lang),
            transfer: views::money(transfer, "VND", lang),
            transfer_plain: transfer.to_string(),
            state,
            difference: views::money(difference, "VND", lang),
        }
    }
}

struct LineView {
    before: OrderView,
    after: OrderView,
    share: String,
}

#[derive(Template)]
#[template(path = "admin/split_preview.html")]
struct SplitPreviewPage {
    lang: Lang,
    nav: Nav,
    tx: TxView,
    lines: Vec<LineView>,
    /// The shares again, as plain decimals, for the confirming form.
    rows: Vec<Row>,
    note: String,
    /// The confirm was refused: an order changed since the previous preview.
    message: Option<&'static str>,
}

/// The posted form: `csrf`, `note`, and `code`/`amount` repeated once per row, in order.
struct SplitForm {
    csrf: String,
    note: Option<String>,
    rows: Vec<Row>,
}

impl SplitForm {
    fn read(pairs: Vec<(String, String)>) -> SplitForm {
        let mut form = SplitForm {
            csrf: String::new(),
            note: None,
            rows: Vec::new(),
        };
        let (mut codes, mut amounts, mut seen) = (Vec::new(), Vec::new(), Vec::new());
        for (key, value) in pairs {
            match key.as_str() {
                "csrf" => form.csrf = value,
                "note" => form.note = Some(value),
                "code" => codes.push(value.trim().to_owned()),
                "amount" => amounts.push(value.trim().to_owned()),
                "seen" => seen.push(value),
                _ => {}
            }
        }
        let rows = codes.len().max(amounts.len());
        form.rows = (0..rows)
            .map(|i| Row {
                code: codes.get(i).cloned().unwrap_or_default(),
                amount: amounts.get(i).cloned().unwrap_or_default(),
                seen: seen.get(i).cloned().unwrap_or_default(),
            })
            .filter(|row| !(row.code.is_empty() && row.amount.is_empty()))
            .collect();
        form
    }

    /// The shares, or the first row that cannot be read.
    fn shares(&self) -> Result<Vec<Allocation>, Problem> {
        self.rows
            .iter()
            .map(|row| {
                let order_code = OrderCode::parse(&row.code).map_err(|_| Problem {
                    message: "An order code is 1 to 32 letters and digits.",
                    detail: row.code.clone(),
                })?;
                let amount = parse_amount_input(&row.amount).map_err(|_| Problem {
                    message: "Not an amount: write it as 100000, 100.000 or 100k.",
                    detail: format!("{}: {}", order_code, row.amount),
                })?;
                Ok(Allocation { order_code, amount })
            })
            .collect()
    }

    /// Each order as the preview showed it (a row without one matches no order's state).
    fn previewed(&self, shares: &[Allocation]) -> Vec<Previewed> {
        shares
            .iter()
            .zip(&self.rows)
            .map(|(share, row)| Previewed {
                code: share.order_code.clone(),
                state: row.seen.clone(),
            })
            .collect()
    }
}

impl Problem {
    /// The refusals a split form answers with the form again; `None` for the others.
    fn of(error: &ResolveError, lang: Lang) -> Option<Problem> {
        let (message, detail) = match error {
            ResolveError::Split(e) => match e {
                SplitError::TooFewOrders => ("Split across at least two orders.", String::new()),
                SplitError::SameOrderTwice(c) => ("The same order appears twice:", c.to_string()),
                SplitError::ShareNotPositive(c) => {
                    ("Each share must be more than zero:", c.to_string())
                }
                SplitError::UnknownOrder(c) => ("There is no order with this code:", c.to_string()),
                SplitError::ClosedOrder(c) => (
                    "This order is closed (expired or cancelled):",
                    c.to_string(),
                ),
                SplitError::SumDiffers { shares, transfer } => (
                    "The shares must add up to exactly the transfer's amount:",
                    format!(
                        "{} {}, {} {}",
                        lang.t("they add up to"),
                        views::money(*shares, "VND", lang),
                        lang.t("the transfer is"),
                        views::money(*transfer, "VND", lang)
                    ),
                ),
            },
            ResolveError::Order(_) => (
                "The order's total would exceed the largest amount that can be stored.",
                String::new(),
            ),
            _ => return None,
        };
        Some(Problem { message, detail })
    }
}

async fn load_transaction(
    state: &AppState,
    id: i64,
) -> Result<domain::BankTransaction, AdminError> {
    state
        .db
        .run(move |conn| with_store!(conn, |s| s.bank_transaction(id)))
        .await?
        .ok_or(NO_TRANSACTION)
}

fn form_page(
    ctx: PageContext,
    t: &domain::BankTransaction,
    mut rows: Vec<Row>,
    note: String,
    problem: Option<Problem>,
) -> Result<HttpResponse, AdminError> {
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    if rows.len() < MIN_ROWS {
        rows.resize(MIN_ROWS, Row::default());
    }
    let mut response = render(&SplitPage {
        sum: RunningSum::of(&rows, t.amount, ctx.lang),
        tx: TxView::new(t, ctx.lang),
        rows,
        note,
        problem,
        lang: ctx.lang,
        nav: ctx.nav,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// The form, its rows started with the codes read in the description.
pub async fn split_form(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AdminError> {
    let id = id.into_inner();
    let t = load_transaction(&state, id).await?;
    if !(t.status.is_waiting() && t.amount.is_positive()) {
        return Ok(back_with_error(id, Notice::NotWaiting));
    }
    // Each named order with what it still owes: the usual split is exactly that.
    let codes = t.candidates.clone();
    let orders = state
        .db
        .run(move |conn| with_store!(conn, |s| s.orders_by_codes(&codes)))
        .await?;
    let now = domain::now();
    let rows = t
        .candidates
        .iter()
        .map(|c| Row {
            code: c.to_string(),
            amount: orders
                .iter()
                .find(|o| &o.code == c && o.is_open_at(now))
                .map(|o| views::amount(o.amount_due(), ctx.lang))
                .unwrap_or_default(),
            ..Row::default()
        })
        .collect();
    form_page(ctx, &t, rows, String::new(), None)
}

pub async fn split_preview(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AdminError> {
    let form = SplitForm::read(form.into_inner());
    ctx.check_form(&form.csrf, Action::Work)?;
    let id = id.into_inner();
    let t = load_transaction(&state, id).await?;
    let note = note_of(&form.note).unwrap_or_default();
    let shares = match form.shares() {
        Ok(shares) => shares,
        Err(problem) => return form_page(ctx, &t, form.rows, note, Some(problem)),
    };
    preview_page(ctx, &state, &t, &shares, form.rows, note, None).await
}

/// Every order before and after its share, and the confirming form; or the form again with
/// why the split is refused.
async fn preview_page(
    ctx: PageContext,
    state: &AppState,
    t: &domain::BankTransaction,
    shares: &[Allocation],
    typed: Vec<Row>,
    note: String,
    message: Option<&'static str>,
) -> Result<HttpResponse, AdminError> {
    let codes: Vec<OrderCode> = shares.iter().map(|s| s.order_code.clone()).collect();
    let now = domain::now();
    let orders = state
        .db
        .run(move |conn| with_store!(conn, |s| s.orders_by_codes(&codes)))
        .await?
        .into_iter()
        .map(|o| o.seen_at(now))
        .collect::<Vec<_>>();
    let lines = match split::preview_split(t, shares, &orders, &state.settings.matching, now) {
        Ok(lines) => lines,
        Err(e) => match Problem::of(&e, ctx.lang) {
            Some(problem) => return form_page(ctx, t, typed, note, Some(problem)),
            None => return Ok(back_with_error(t.row_id, Notice::from(&e))),
        },
    };
    let lang = ctx.lang;
    render(&SplitPreviewPage {
        tx: TxView::new(t, lang),
        rows: lines
            .iter()
            .map(|line| Row {
                code: line.share.order_code.to_string(),
                amount: line.share.amount.to_string(),
                seen: line.before.previewed_state(),
            })
            .collect(),
        lines: lines
            .iter()
            .map(
                |SplitLine {
                     before,
                     after,
                     share,
                 }| LineView {
                    before: OrderView::new(before, lang),
                    after: OrderView::new(after, lang),
                    share: views::money(share.amount, &before.currency, lang),
                },
            )
            .collect(),
        note,
        message,
        lang,
        nav: ctx.nav,
    })
}

pub async fn split(
    ctx: PageContext,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AdminError> {
    let form = SplitForm::read(form.into_inner());
    ctx.check_form(&form.csrf, Action::Work)?;
    let id = id.into_inner();
    let note = note_of(&form.note);
    let shares = match form.shares() {
        Ok(shares) => shares,
        Err(problem) => {
            let t = load_transaction(&state, id).await?;
            return form_page(ctx, &t, form.rows, note.unwrap_or_default(), Some(problem));
        }
    };
    let (actor, settings, now) = (ctx.user(), state.settings.clone(), domain::now());
    let (written, previewed, applied) = (note.clone(), form.previewed(&shares), shares.clone());
    let outcome: Result<_, StoreError> = write_store!(state.db, |s| split::split(
        s,
        &settings.matching,
        &settings.public_url,
        id,
        &applied,
        &previewed,
        &actor,
        written.as_deref(),
        now
    ));
    if let Ok(Err(e)) = &outcome {
        let note = note.unwrap_or_default();
        if let ResolveError::ChangedSincePreview(_) = e {
            let t = load_transaction(&state, id).await?;
            let message = Notice::message_for(Some(Notice::ChangedSincePreview.code()), ctx.lang);
            return preview_page(ctx, &state, &t, &shares, form.rows, note, message).await;
        }
        if let Some(problem) = Problem::of(e, ctx.lang) {
            let t = load_transaction(&state, id).await?;
            return form_page(ctx, &t, form.rows, note, Some(problem));
        }
    }
    after_resolution(&state, id, outcome, Done::Split).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn rows_pair_codes_with_amounts_in_order_and_drop_blank_ones() {
        let form = SplitForm::read(pairs(&[
            ("csrf", "t"),
            ("code", "dh1"),
            ("amount", "100.000"),
            ("code", ""),
            ("amount", ""),
            ("code", "DH2"),
            ("amount", "50k"),
            ("note", "gop"),
        ]));
        assert_eq!(form.csrf, "t");
        assert_eq!(form.note.as_deref(), Some("gop"));
        let shares = form.shares().ok().unwrap();
        assert_eq!(shares.len(), 2);
        assert_eq!(shares[0].order_code.as_str(), "DH1");
        assert_eq!(shares[0].amount.to_string(), "100000");
        assert_eq!(shares[1].amount.to_string(), "50000");
    }

    #[test]
    fn an_unreadable_row_names_itself() {
        let form = SplitForm::read(pairs(&[("code", "DH1"), ("amount", "abc")]));
        let problem = form.shares().err().unwrap();
        assert_eq!(problem.detail, "DH1: abc");
        let form = SplitForm::read(pairs(&[("code", "DH-1!"), ("amount", "1")]));
        assert_eq!(form.shares().err().unwrap().detail, "DH-1!");
    }
}
