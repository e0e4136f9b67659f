//! The lists of transfers: the queue (those waiting for a decision) and every transaction,
//! with status tabs and their counts, money in and out, numbered pages and CSV downloads.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use askama::Template;

use super::accounts::{choices, AccountChoice};
use super::context::{non_empty, render, Nav, PageContext, COUNT_CAP, PAGE_SIZE};
use super::error::AdminError;
use super::export::{self, CHUNK_ROWS};
use super::filters::{pager, At, FieldErrors, PageLink, Scope, Tab, TransferQuery};
use super::views::{self, TxView};
use super::workbook;
use crate::db::{Count, PageStart, Reports, StoreError, TransferFilter};
use crate::domain::BankTransaction;
use crate::ingest::suggest;
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::with_store;

#[derive(Template)]
#[template(path = "admin/queue.html")]
struct TransferListPage {
    lang: Lang,
    nav: Nav,
    heading: &'static str,
    base: &'static str,
    tabs: Vec<Tab>,
    status: String,
    from: String,
    to: String,
    min: String,
    max: String,
    q: String,
    /// The provider chosen, or empty for all.
    source: String,
    /// The account chosen.
    account: String,
    /// The account filter's choices; empty when the shop has one account and none is chosen.
    accounts: Vec<AccountChoice>,
    errors: FieldErrors,
    /// Money in and out, unless the filter holds more transfers than a page counts.
    money: Option<(String, String)>,
    count_cap: String,
    rows: Vec<TxView>,
    pages: Vec<PageLink>,
    next_url: Option<String>,
    csv_url: String,
    xlsx_url: String,
}

impl Scope {
    fn base(self) -> &'static str {
        match self {
            Scope::Waiting => "/admin/queue",
            Scope::All => "/admin/transactions",
        }
    }
}

pub async fn queue(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<TransferQuery>,
) -> Result<HttpResponse, AdminError> {
    list(ctx, state, query.into_inner(), Scope::Waiting).await
}

pub async fn transactions(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<TransferQuery>,
) -> Result<HttpResponse, AdminError> {
    list(ctx, state, query.into_inner(), Scope::All).await
}

async fn list(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: TransferQuery,
    scope: Scope,
) -> Result<HttpResponse, AdminError> {
    let lang = ctx.lang;
    let (filter, errors) = query.filter(scope, lang);
    let asked = query.clone();
    let (current, (page, best), counts, totals) = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| {
                let filter = s.pin_search(filter)?;
                let counts = s.transfer_tabs(&filter, scope.statuses(), COUNT_CAP)?;
                let rows = Count::sum(
                    counts
                        .iter()
                        .filter(|(status, _)| filter.statuses.contains(status))
                        .map(|(_, n)| *n),
                );
                let (current, start) = asked.start(rows);
                let page = s.transfers(&filter, start, PAGE_SIZE)?;
                // The best order for each waiting transfer of the page: one click to its preview.
                let best = suggest::best_of_rows(s, &page.items)?;
                Ok::<_, StoreError>((
                    current,
                    (page, best),
                    counts,
                    s.transfer_totals_upto(&filter, COUNT_CAP)?,
                ))
            })
        })
        .await?;
    let chosen = query.status(scope);
    let count_of = |statuses: &[_]| {
        Count::sum(
            counts
                .iter()
                .filter(|(s, _)| statuses.contains(s))
                .map(|(_, n)| *n),
        )
    };
    let base = scope.base();
    let mut tabs = vec![Tab::new(
        lang.t("All"),
        count_of(scope.statuses()),
        query.link(base, None, At::Page(1)),
        chosen.is_none(),
        lang,
    )];
    tabs.extend(scope.statuses().iter().map(|&status| {
        Tab::new(
            lang.t(status.as_str()),
            count_of(&[status]),
            query.link(base, Some(status.as_str()), At::Page(1)),
            chosen == Some(status),
            lang,
        )
    }));
    let status = chosen.map(|s| s.as_str());
    let (pages, next_url) = pager(&tabs, current, query.cursor, page.next_cursor, |at| {
        query.link(base, status, at)
    });
    render(&TransferListPage {
        nav: ctx.nav,
        heading: match scope {
            Scope::Waiting => lang.t("Transfers waiting for a decision"),
            Scope::All => lang.t("Transactions"),
        },
        base,
        tabs,
        status: status.unwrap_or_default().to_owned(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        min: query.min.clone().unwrap_or_default(),
        max: query.max.clone().unwrap_or_default(),
        q: query.q.clone().unwrap_or_default(),
        source: query.source().map_or("", |s| s.as_str()).to_owned(),
        account: non_empty(&query.account).unwrap_or_default().to_owned(),
        accounts: choices(&state.settings.accounts, non_empty(&query.account)),
        errors,
        money: totals.map(|totals| {
            (
                views::money(totals.money_in, "VND", lang),
                views::money(totals.money_out, "VND", lang),
            )
        }),
        count_cap: views::count(Count::exactly(COUNT_CAP), lang),
        rows: page
            .items
            .iter()
            .map(|t| {
                let mut row = TxView::new(t, lang);
                match best.iter().find(|(id, _)| *id == t.row_id) {
                    Some((_, suggest::RowBest::One(code, why))) => {
                        row.best = Some((code.to_string(), lang.t(why.label())))
                    }
                    Some((_, suggest::RowBest::Tie)) => row.tie = true,
                    None => {}
                }
                row
            })
            .collect(),
        pages,
        next_url,
        csv_url: query.link(&format!("{base}.csv"), status, At::Page(1)),
        xlsx_url: query.link(&format!("{base}.xlsx"), status, At::Page(1)),
        lang,
    })
}

pub async fn queue_csv(
    _ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<TransferQuery>,
) -> HttpResponse {
    download(&state, &query, Scope::Waiting, "queue")
}

pub async fn transactions_csv(
    _ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<TransferQuery>,
) -> HttpResponse {
    download(&state, &query, Scope::All, "transactions")
}

/// Reads every transfer of the filter, a page at a time; a field that cannot be read is left
/// out, as on the page.
fn fetch(query: &TransferQuery, scope: Scope) -> export::Fetch<BankTransaction> {
    let (filter, _) = query.filter(scope, Lang::En);
    let filter: Arc<TransferFilter> = Arc::new(filter);
    Arc::new(move |conn, after| {
        let start = PageStart { after, skip: 0 };
        with_store!(conn, |s| s.transfers(&filter, start, CHUNK_ROWS))
    })
}

fn download(state: &AppState, query: &TransferQuery, scope: Scope, name: &str) -> HttpResponse {
    export::download(state.db.clone(), name, fetch(query, scope))
}

pub async fn queue_xlsx(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<TransferQuery>,
) -> Result<HttpResponse, AdminError> {
    workbook::download(
        state.db.clone(),
        "queue",
        fetch(&query, Scope::Waiting),
        ctx.lang,
    )
    .await
}

pub async fn transactions_xlsx(
    ctx: PageContext,
    state: web::Data<AppState>,
    query: web::Query<TransferQuery>,
) -> Result<HttpResponse, AdminError> {
    workbook::download(
        state.db.clone(),
        "transactions",
        fetch(&query, Scope::All),
        ctx.lang,
    )
    .await
}
