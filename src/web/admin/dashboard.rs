//! The dashboard: counts by status, the automatic match rate, money received per day.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Duration, TimeZone};

use super::accounts::{money_per_account, AccountMoney};
use super::context::{render, vietnam, Nav, PageContext};
use super::error::AdminError;
use super::views;
use crate::db::{OrderStore, StoreError, TransactionStore};
use crate::domain::{self, Money, OrderStatus, TransactionStatus};
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::with_store;

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    lang: Lang,
    nav: Nav,
    /// (label, count, status as stored: the list it links to).
    order_counts: Vec<(&'static str, i64, &'static str)>,
    transaction_counts: Vec<(&'static str, i64, &'static str)>,
    match_rate: String,
    chart: String,
    /// The chart's figures as a table, newest day first: (day, money).
    chart_rows: Vec<(String, String)>,
    total_30_days: String,
    /// Money received per account, when the shop has several (or money came elsewhere).
    per_account: Vec<AccountMoney>,
}

pub async fn dashboard(
    ctx: PageContext,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let lang = ctx.lang;
    let now = domain::now();
    let today = now.with_timezone(&vietnam()).date_naive();
    let first_day = today - Duration::days(29);
    let since = vietnam()
        .from_local_datetime(&first_day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map_or(now - Duration::days(30), |t| t.with_timezone(&chrono::Utc));
    let (orders, transactions, received) = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| Ok::<_, StoreError>((
                s.order_status_counts()?,
                s.transaction_status_counts()?,
                s.matched_amounts_since(since)?
            )))
        })
        .await?;
    let order_counts = OrderStatus::ALL
        .iter()
        .map(|st| {
            (
                lang.t(st.as_str()),
                orders
                    .iter()
                    .find(|(s, _)| s == st.as_str())
                    .map_or(0, |(_, n)| *n),
                st.as_str(),
            )
        })
        .collect();
    let count = |status: TransactionStatus| {
        transactions
            .iter()
            .filter(|(s, _, _)| s == status.as_str())
            .map(|(_, _, n)| n)
            .sum::<i64>()
    };
    let transaction_counts = TransactionStatus::ALL
        .iter()
        .map(|st| (lang.t(st.as_str()), count(*st), st.as_str()))
        .collect();
    // Automatic: matched without an admin's link, out of every incoming transfer.
    let automatic: i64 = transactions
        .iter()
        .filter(|(s, r, _)| s == "matched" && r.is_none())
        .map(|(_, _, n)| n)
        .sum();
    let incoming: i64 = transactions
        .iter()
        .filter(|(s, _, _)| s != "test" && s != "outgoing")
        .map(|(_, _, n)| n)
        .sum();
    let match_rate = if incoming == 0 {
        "–".to_owned()
    } else {
        views::percent(automatic as f64 * 100.0 / incoming as f64, lang)
    };
    let mut days: Vec<(String, Money)> = (0..30)
        .map(|i| ((first_day + Duration::days(i)).to_string(), Money::ZERO))
        .collect();
    let per_account = money_per_account(&state.settings.accounts, &received, today, lang);
    let mut total = Money::ZERO;
    for crate::db::Received { at, amount, .. } in received {
        let day = at.with_timezone(&vietnam()).date_naive().to_string();
        if let Some((_, sum)) = days.iter_mut().find(|(d, _)| *d == day) {
            *sum = sum.plus(amount);
            total = total.plus(amount);
        }
    }
    render(&DashboardPage {
        nav: ctx.nav,
        order_counts,
        transaction_counts,
        match_rate,
        chart: views::daily_chart(&days, lang),
        chart_rows: days
            .iter()
            .rev()
            .map(|(day, money)| (views::day_month(day), views::money(*money, "VND", lang)))
            .collect(),
        total_30_days: views::money(total, "VND", lang),
        per_account,
        lang,
    })
}
