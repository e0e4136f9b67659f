//! Admin page handlers. Reads go straight to the store; every change goes through
//! `ingest::resolve`, which audits it.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate, TimeZone};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::notice::Notice;
use super::session::{self, AdminSession, CsrfRefused, LoginForm, LoginOutcome};
use super::views::{self, AuditView, OrderView, RejectedView, TxView};
use crate::db::{JobStatus, OrderFilter, QueueFilter, Store, StoreError};
use crate::domain::{self, Money, OrderCode, OrderStatus, Resolution, TransactionStatus};
use crate::ingest::resolve::{self, Audit, ResolveError};
use crate::matching;
use crate::web::error::ApiError;
use crate::web::i18n::Lang;
use crate::web::pages::render;
use crate::web::state::AppState;
use crate::{with_store, write_store};

const PAGE_SIZE: i64 = 50;

/// What every admin page's layout needs.
pub struct Nav {
    pub user: String,
    pub csrf: String,
    pub section: &'static str,
    pub path: String,
}

impl Nav {
    fn new(req: &HttpRequest, session: &AdminSession, section: &'static str) -> Nav {
        Nav {
            user: session.user.clone(),
            csrf: session.csrf_token.clone(),
            section,
            path: req
                .uri()
                .path_and_query()
                .map_or("/admin", |p| p.as_str())
                .to_owned(),
        }
    }
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such page")
}

// ---------- login ----------

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    lang: Lang,
    error: Option<&'static str>,
    csrf: String,
    next: String,
    user: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_form(
    req: &HttpRequest,
    lang: Lang,
    error: Option<&'static str>,
    user: String,
    next: String,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, ApiError> {
    let csrf = session::random_token();
    let page = LoginPage {
        lang,
        error,
        csrf: csrf.clone(),
        next,
        user,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    response
        .add_cookie(&session::cookie(req, session::LOGIN_CSRF_COOKIE, csrf))
        .map_err(|_| ApiError::bad_request("cookie", "cookie could not be set"))?;
    Ok(response)
}

pub async fn login_page(
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, ApiError> {
    let next = session::safe_next(query.next.as_deref());
    login_form(
        &req,
        Lang::of(&req),
        None,
        String::new(),
        next,
        actix_web::http::StatusCode::OK,
    )
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
    let form = form.into_inner();
    let next = session::safe_next(form.next.as_deref());
    let expected = req
        .cookie(session::LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty()
        || !constant_time_eq::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes())
    {
        return login_form(
            &req,
            lang,
            Some("The form has expired. Reload the page and try again."),
            form.user,
            next,
            actix_web::http::StatusCode::FORBIDDEN,
        );
    }
    let address = crate::web::client::address(&req).to_string();
    let outcome = session::log_in(&state, form.user.clone(), form.password, address).await?;
    match outcome {
        LoginOutcome::LoggedIn { token } => {
            let (session_cookie, clear_csrf) = session::login_cookies(&req, token);
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .cookie(session_cookie)
                .cookie(clear_csrf)
                .finish())
        }
        LoginOutcome::WrongCredentials => login_form(
            &req,
            lang,
            Some("Wrong user name or password."),
            form.user,
            next,
            actix_web::http::StatusCode::UNAUTHORIZED,
        ),
        LoginOutcome::TooManyAttempts => login_form(
            &req,
            lang,
            Some("Too many failed attempts. Try again in 15 minutes."),
            form.user,
            next,
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        ),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
    /// "Log out everywhere": every session of this admin (other browsers, a lost laptop).
    everywhere: Option<String>,
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, actix_web::Error> {
    session.check_csrf(&form.csrf)?;
    let ended = if form.everywhere.is_some() {
        session::end_all_sessions(&state, &session).await
    } else {
        session::log_out(&state, &session).await
    };
    ended.map_err(ApiError::from)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .cookie(session::logout_cookie(&req))
        .finish())
}

// ---------- dashboard ----------

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    lang: Lang,
    nav: Nav,
    order_counts: Vec<(&'static str, i64)>,
    transaction_counts: Vec<(&'static str, i64)>,
    match_rate: String,
    chart: String,
    total_30_days: String,
}

pub async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
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
        .map(|st| (lang.t(st.as_str()), count(*st)))
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
        format!("{:.1}%", automatic as f64 * 100.0 / incoming as f64)
    };
    let mut days: Vec<(String, Money)> = (0..30)
        .map(|i| ((first_day + Duration::days(i)).to_string(), Money::ZERO))
        .collect();
    let mut total = Money::ZERO;
    for (at, amount) in received {
        let day = at.with_timezone(&vietnam()).date_naive().to_string();
        if let Some((_, sum)) = days.iter_mut().find(|(d, _)| *d == day) {
            *sum = sum.checked_add(amount).unwrap_or(*sum);
            total = total.checked_add(amount).unwrap_or(total);
        }
    }
    render(&DashboardPage {
        nav: Nav::new(&req, &session, "dashboard"),
        order_counts,
        transaction_counts,
        match_rate,
        chart: views::daily_chart(&days, lang),
        total_30_days: views::amount(total, lang),
        lang,
    })
}

fn vietnam() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).expect("a valid offset")
}

// ---------- queue ----------

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    reason: Option<String>,
    from: Option<String>,
    to: Option<String>,
    min: Option<String>,
    max: Option<String>,
    q: Option<String>,
    cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/queue.html")]
struct QueuePage {
    lang: Lang,
    nav: Nav,
    reasons: Vec<(&'static str, &'static str)>,
    reason: String,
    from: String,
    to: String,
    min: String,
    max: String,
    q: String,
    rows: Vec<TxView>,
    next_url: Option<String>,
    error: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn day_start(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    vietnam()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}

impl QueueQuery {
    fn filter(&self) -> Result<QueueFilter, String> {
        let date = |v: &Option<String>, name: &str| {
            non_empty(v)
                .map(|d| day_start(d).ok_or(format!("{name}: expected YYYY-MM-DD")))
                .transpose()
        };
        let money = |v: &Option<String>, name: &str| {
            non_empty(v)
                .map(|m| Money::parse(m).map_err(|e| format!("{name}: {e}")))
                .transpose()
        };
        Ok(QueueFilter {
            reason: non_empty(&self.reason)
                .and_then(TransactionStatus::parse)
                .filter(|s| s.is_waiting()),
            received_from: date(&self.from, "from")?,
            // The `to` day is included: up to the start of the next day.
            received_to: date(&self.to, "to")?.map(|t| t + Duration::days(1)),
            min_amount: money(&self.min, "min")?,
            max_amount: money(&self.max, "max")?,
            search: non_empty(&self.q).map(|q| q.chars().take(100).collect()),
        })
    }

    fn url_with_cursor(&self, base: &str, cursor: i64) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("reason", &self.reason),
            ("from", &self.from),
            ("to", &self.to),
            ("min", &self.min),
            ("max", &self.max),
            ("q", &self.q),
        ] {
            if let Some(v) = non_empty(value) {
                parts.push(format!("{name}={}", session::url_encode(v)));
            }
        }
        parts.push(format!("cursor={cursor}"));
        format!("{base}?{}", parts.join("&"))
    }
}

pub async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
    let (filter, error) = match query.filter() {
        Ok(f) => (f, None),
        Err(e) => (QueueFilter::default(), Some(e)),
    };
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.queue(&filter, cursor, PAGE_SIZE)))
        .await?;
    render(&QueuePage {
        nav: Nav::new(&req, &session, "queue"),
        reasons: TransactionStatus::WAITING
            .iter()
            .map(|s| (s.as_str(), lang.t(s.as_str())))
            .collect(),
        reason: query.reason.clone().unwrap_or_default(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        min: query.min.clone().unwrap_or_default(),
        max: query.max.clone().unwrap_or_default(),
        q: query.q.clone().unwrap_or_default(),
        rows: page.items.iter().map(|t| TxView::new(t, lang)).collect(),
        next_url: page
            .next_cursor
            .map(|c| query.url_with_cursor("/admin/queue", c)),
        error,
        lang,
    })
}

// ---------- rejected elements ----------

#[derive(Deserialize)]
pub struct CursorQuery {
    cursor: Option<i64>,
    all: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/rejected.html")]
struct RejectedPage {
    lang: Lang,
    nav: Nav,
    rows: Vec<RejectedView>,
    next_url: Option<String>,
    show_all: bool,
}

pub async fn rejected(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    query: web::Query<CursorQuery>,
) -> Result<HttpResponse, ApiError> {
    let show_all = query.all.is_some();
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.rejected_page(!show_all, cursor, PAGE_SIZE)))
        .await?;
    let all = if show_all { "all=1&" } else { "" };
    render(&RejectedPage {
        lang: Lang::of(&req),
        nav: Nav::new(&req, &session, "rejected"),
        rows: page.items.iter().map(RejectedView::new).collect(),
        next_url: page
            .next_cursor
            .map(|c| format!("/admin/rejected?{all}cursor={c}")),
        show_all,
    })
}

#[derive(Deserialize)]
pub struct NoteForm {
    csrf: String,
    note: Option<String>,
}

fn note_of(note: &Option<String>) -> Option<String> {
    non_empty(note).map(|n| n.chars().take(1000).collect())
}

pub async fn dismiss_rejected(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<i64>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, actix_web::Error> {
    session.check_csrf(&form.csrf)?;
    let id = id.into_inner();
    let note = note_of(&form.note).unwrap_or_default();
    let actor = session.user.clone();
    let now = domain::now();
    let found = write_store!(state.db, |s| s.write(|s| {
        let Some(item) = s.rejected_item(id)? else {
            return Ok(false);
        };
        if s.resolve_rejected_item(id, &note, &actor, now)? {
            let subject = format!("rejected:{}:{}", item.delivery_id, item.position);
            resolve::audit(
                s,
                &Audit {
                    actor: &actor,
                    action: "rejected.dismiss",
                    subject: &subject,
                    before: Some(&item.reason),
                    after: None,
                    note: Some(&note),
                },
                now,
            )?;
        }
        Ok(true)
    }))
    .map_err(ApiError::from)?;
    if !found {
        return Err(not_found().into());
    }
    Ok(redirect("/admin/rejected"))
}

// ---------- one transaction ----------

#[derive(Template)]
#[template(path = "admin/transaction.html")]
struct TransactionPage {
    lang: Lang,
    nav: Nav,
    tx: TxView,
    waiting: bool,
    can_undo: bool,
    near_codes: Vec<OrderView>,
    same_amount: Vec<OrderView>,
    history: Vec<AuditView>,
    message: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct MessageQuery {
    error: Option<String>,
}

pub async fn transaction(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<i64>,
    query: web::Query<MessageQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
    let id = id.into_inner();
    let loaded = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| {
                let Some(t) = s.bank_transaction(id)? else {
                    return Ok::<_, StoreError>(None);
                };
                let suggestions = if t.status.is_waiting() {
                    Some(resolve::suggestions(s, &t)?)
                } else {
                    None
                };
                let history = s.audit_page(Some(&resolve::transaction_subject(&t)), None, 100)?;
                Ok(Some((t, suggestions, history)))
            })
        })
        .await?;
    let Some((t, suggestions, history)) = loaded else {
        return Err(not_found());
    };
    let (near_codes, same_amount) = suggestions.map_or((Vec::new(), Vec::new()), |s| {
        (
            s.near_codes
                .iter()
                .map(|o| OrderView::new(o, lang))
                .collect(),
            s.same_amount
                .iter()
                .map(|o| OrderView::new(o, lang))
                .collect(),
        )
    });
    render(&TransactionPage {
        nav: Nav::new(&req, &session, "queue"),
        waiting: t.status.is_waiting() && t.amount.is_positive(),
        can_undo: matches!(
            t.status,
            TransactionStatus::Matched | TransactionStatus::Ignored
        ) && !(t.status == TransactionStatus::Ignored && t.resolution.is_none()),
        tx: TxView::new(&t, lang),
        near_codes,
        same_amount,
        history: history.items.iter().map(AuditView::new).collect(),
        message: Notice::message_for(query.error.as_deref(), lang),
        lang,
    })
}

#[derive(Deserialize)]
pub struct LinkQuery {
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/link.html")]
struct LinkPreviewPage {
    lang: Lang,
    nav: Nav,
    tx: TxView,
    before: OrderView,
    after: OrderView,
}

fn back_with_error(id: i64, notice: Notice) -> HttpResponse {
    redirect(&format!("/admin/transactions/{id}?error={}", notice.code()))
}

pub async fn link_preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<i64>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
    let id = id.into_inner();
    let Some(code) = non_empty(&query.code).and_then(|c| OrderCode::parse(c).ok()) else {
        return Ok(back_with_error(id, Notice::BadOrderCode));
    };
    let wanted = code.clone();
    let (t, order) = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| Ok::<_, StoreError>((
                s.bank_transaction(id)?,
                s.order(&wanted)?
            )))
        })
        .await?;
    let Some(t) = t else { return Err(not_found()) };
    let Some(order) = order else {
        return Ok(back_with_error(id, Notice::NoSuchOrder));
    };
    if !t.status.is_waiting() {
        return Ok(back_with_error(id, Notice::NotWaiting));
    }
    let after = match resolve::preview_link(&order, &t, &state.settings.matching) {
        Ok(after) => after,
        Err(e) => return Ok(back_with_error(id, Notice::from(&e))),
    };
    render(&LinkPreviewPage {
        nav: Nav::new(&req, &session, "queue"),
        tx: TxView::new(&t, lang),
        before: OrderView::new(&order, lang),
        after: OrderView::new(&after, lang),
        lang,
    })
}

#[derive(Deserialize)]
pub struct LinkForm {
    csrf: String,
    code: String,
    note: Option<String>,
}

async fn after_resolution(
    state: &AppState,
    id: i64,
    outcome: Result<resolve::Resolved, StoreError>,
) -> Result<HttpResponse, actix_web::Error> {
    match outcome.map_err(ApiError::from)? {
        Ok(changed) => {
            state.order_events.publish(changed);
            Ok(redirect(&format!("/admin/transactions/{id}")))
        }
        Err(ResolveError::TransactionNotFound) => Err(not_found().into()),
        Err(e) => Ok(back_with_error(id, Notice::from(&e))),
    }
}

pub async fn link(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<i64>,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, actix_web::Error> {
    session.check_csrf(&form.csrf)?;
    let id = id.into_inner();
    let Ok(code) = OrderCode::parse(form.code.trim()) else {
        return Ok(back_with_error(id, Notice::BadOrderCode));
    };
    let note = note_of(&form.note);
    let (actor, matching, now) = (
        session.user.clone(),
        state.settings.matching.clone(),
        domain::now(),
    );
    let outcome = write_store!(state.db, |s| resolve::link(
        s,
        &matching,
        id,
        &code,
        &actor,
        note.as_deref(),
        now
    ));
    after_resolution(&state, id, outcome).await
}

#[derive(Deserialize)]
pub struct SetAsideForm {
    csrf: String,
    resolution: String,
    note: Option<String>,
}

pub async fn set_aside(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<i64>,
    form: web::Form<SetAsideForm>,
) -> Result<HttpResponse, actix_web::Error> {
    session.check_csrf(&form.csrf)?;
    let id = id.into_inner();
    let resolution = match Resolution::parse(&form.resolution) {
        Some(r @ (Resolution::Ignored | Resolution::Refunded)) => r,
        _ => return Ok(back_with_error(id, Notice::ChooseResolution)),
    };
    let note = note_of(&form.note);
    let (actor, now) = (session.user.clone(), domain::now());
    let outcome = write_store!(state.db, |s| resolve::set_aside(
        s,
        id,
        resolution,
        &actor,
        note.as_deref(),
        now
    ));
    after_resolution(&state, id, outcome).await
}

pub async fn undo(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<i64>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, actix_web::Error> {
    session.check_csrf(&form.csrf)?;
    let id = id.into_inner();
    let note = note_of(&form.note);
    let (actor, matching, now) = (
        session.user.clone(),
        state.settings.matching.clone(),
        domain::now(),
    );
    let outcome = write_store!(state.db, |s| resolve::undo(
        s,
        &matching,
        id,
        &actor,
        note.as_deref(),
        now
    ));
    after_resolution(&state, id, outcome).await
}

// ---------- orders ----------

#[derive(Deserialize)]
pub struct OrdersQuery {
    q: Option<String>,
    status: Option<String>,
    cursor: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/orders.html")]
struct OrdersPage {
    lang: Lang,
    nav: Nav,
    statuses: Vec<(&'static str, &'static str)>,
    q: String,
    status: String,
    rows: Vec<OrderView>,
    next_url: Option<String>,
}

pub async fn orders(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
    let filter = OrderFilter {
        status: non_empty(&query.status).and_then(OrderStatus::parse),
        search: non_empty(&query.q).map(|q| q.chars().take(100).collect()),
    };
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.list_orders(&filter, cursor, PAGE_SIZE)))
        .await?;
    let q = query.q.clone().unwrap_or_default();
    let status = query.status.clone().unwrap_or_default();
    render(&OrdersPage {
        nav: Nav::new(&req, &session, "orders"),
        statuses: OrderStatus::ALL
            .iter()
            .map(|s| (s.as_str(), lang.t(s.as_str())))
            .collect(),
        rows: page.items.iter().map(|o| OrderView::new(o, lang)).collect(),
        next_url: page.next_cursor.map(|c| {
            format!(
                "/admin/orders?q={}&status={}&cursor={c}",
                session::url_encode(&q),
                session::url_encode(&status)
            )
        }),
        q,
        status,
        lang,
    })
}

#[derive(Template)]
#[template(path = "admin/order.html")]
struct OrderPage {
    lang: Lang,
    nav: Nav,
    order: OrderView,
    transactions: Vec<TxView>,
    history: Vec<AuditView>,
    can_cancel: bool,
    message: Option<&'static str>,
}

pub async fn order(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    code: web::Path<String>,
    query: web::Query<MessageQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(&req);
    let code = OrderCode::parse(&code).map_err(|_| not_found())?;
    let loaded = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| {
                let Some(order) = s.order(&code)? else {
                    return Ok::<_, StoreError>(None);
                };
                let transactions = s.transactions_of(std::slice::from_ref(&code))?;
                let history = s.audit_page(Some(&resolve::order_subject(&code)), None, 100)?;
                Ok(Some((order, transactions, history)))
            })
        })
        .await?;
    let Some((order, transactions, history)) = loaded else {
        return Err(not_found());
    };
    // Past `expires_at` it reads as expired before the sweep stores it, as everywhere.
    let order = order.seen_at(domain::now());
    render(&OrderPage {
        nav: Nav::new(&req, &session, "orders"),
        can_cancel: !order.status.is_paid() && order.status != OrderStatus::Cancelled,
        order: OrderView::new(&order, lang),
        transactions: transactions.iter().map(|t| TxView::new(t, lang)).collect(),
        history: history.items.iter().map(AuditView::new).collect(),
        message: Notice::message_for(query.error.as_deref(), lang),
        lang,
    })
}

pub async fn cancel_order(
    state: web::Data<AppState>,
    session: AdminSession,
    code: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, actix_web::Error> {
    session.check_csrf(&form.csrf)?;
    let code = OrderCode::parse(&code).map_err(|_| not_found())?;
    let (wanted, actor, now) = (code.clone(), session.user.clone(), domain::now());
    let outcome = write_store!(state.db, |s| resolve::cancel_order(s, &wanted, &actor, now))
        .map_err(ApiError::from)?;
    let page = format!("/admin/orders/{code}");
    match outcome {
        None => Err(not_found().into()),
        Some(Err(e)) => Ok(redirect(&format!(
            "{page}?error={}",
            Notice::from(&e).code()
        ))),
        Some(Ok((order, changed))) => {
            if changed {
                state.order_events.publish([order.code]);
            }
            Ok(redirect(&page))
        }
    }
}

// ---------- audit log ----------

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    lang: Lang,
    nav: Nav,
    rows: Vec<AuditView>,
    next_url: Option<String>,
}

pub async fn audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    query: web::Query<CursorQuery>,
) -> Result<HttpResponse, ApiError> {
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.audit_page(None, cursor, PAGE_SIZE)))
        .await?;
    render(&AuditPage {
        lang: Lang::of(&req),
        nav: Nav::new(&req, &session, "audit"),
        rows: page.items.iter().map(AuditView::new).collect(),
        next_url: page.next_cursor.map(|c| format!("/admin/audit?cursor={c}")),
    })
}

// ---------- settings ----------

#[derive(Deserialize)]
pub struct SettingsQuery {
    description: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    lang: Lang,
    nav: Nav,
    webhook_url: String,
    secrets: Vec<SecretRow>,
    patterns: Vec<String>,
    description: String,
    normalised: String,
    found: Vec<(String, String)>,
    tested: bool,
}

async fn settings_page(
    req: &HttpRequest,
    state: &AppState,
    session: &AdminSession,
    description: Option<String>,
    revealed: Option<(Secret, String)>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::of(req);
    let webhook_url = format!("{}/webhooks/casso", crate::web::client::site_url(req));
    let description = description.unwrap_or_default();
    let tested = !description.is_empty();
    let normalised = matching::normalise(&description);
    let candidates = state.settings.matching.patterns.candidates(&normalised);
    let lookup = candidates.clone();
    let orders = state
        .db
        .run(move |conn| with_store!(conn, |s| s.orders_by_codes(&lookup)))
        .await?;
    let found = candidates
        .iter()
        .map(|c| {
            let status = orders
                .iter()
                .find(|o| &o.code == c)
                .map_or("–", |o| lang.t(o.status.as_str()));
            (c.to_string(), status.to_owned())
        })
        .collect();
    render(&SettingsPage {
        nav: Nav::new(req, session, "settings"),
        webhook_url,
        secrets: [Secret::CassoSecureToken, Secret::MetricsToken]
            .into_iter()
            .map(|secret| SecretRow {
                name: secret.name(),
                key: secret.key(),
                value: revealed
                    .as_ref()
                    .filter(|(shown, _)| *shown == secret)
                    .map(|(_, value)| value.clone()),
            })
            .collect(),
        patterns: state.settings.matching.pattern_sources.clone(),
        description,
        normalised,
        found,
        tested,
        lang,
    })
}

pub async fn settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    query: web::Query<SettingsQuery>,
) -> Result<HttpResponse, ApiError> {
    let description = query
        .into_inner()
        .description
        .map(|d| d.chars().take(2000).collect());
    settings_page(&req, &state, &session, description, None).await
}

/// The secrets an admin may see again (the others are kept as digests, or are the admin's own).
#[derive(Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Secret {
    CassoSecureToken,
    MetricsToken,
}

impl Secret {
    fn key(self) -> &'static str {
        match self {
            Secret::CassoSecureToken => "casso_secure_token",
            Secret::MetricsToken => "metrics_token",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Secret::CassoSecureToken => "Secure token",
            Secret::MetricsToken => "Metrics token",
        }
    }
}

/// A secret on the settings page: hidden behind a reveal button, or shown.
pub struct SecretRow {
    name: &'static str,
    key: &'static str,
    value: Option<String>,
}

#[derive(Deserialize)]
pub struct RevealForm {
    csrf: String,
    /// The Casso token when not named (the form of earlier versions).
    secret: Option<Secret>,
}

/// Shows one secret, on a POST (so it never sits in a URL or a cache), audited.
pub async fn reveal_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    form: web::Form<RevealForm>,
) -> Result<HttpResponse, actix_web::Error> {
    session
        .check_csrf(&form.csrf)
        .map_err(|e: CsrfRefused| actix_web::Error::from(e))?;
    let secret = form.secret.unwrap_or(Secret::CassoSecureToken);
    let (actor, now) = (session.user.clone(), domain::now());
    let subject = format!("settings:{}", secret.key());
    write_store!(state.db, |s| resolve::audit(
        s,
        &Audit {
            actor: &actor,
            action: "settings.reveal_token",
            subject: &subject,
            before: None,
            after: None,
            note: None
        },
        now
    ))
    .map_err(ApiError::from)?;
    let value = match secret {
        Secret::CassoSecureToken => &state.secrets.casso_secure_token,
        Secret::MetricsToken => &state.secrets.metrics_token,
    };
    let revealed = Some((secret, value.expose_secret().to_owned()));
    Ok(settings_page(&req, &state, &session, None, revealed).await?)
}

// ---------- notifications and reconciliation ----------

pub struct NotificationView {
    pub id: i64,
    pub created: String,
    pub order_code: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_run: String,
    pub last_error: String,
    pub failed: bool,
}

impl NotificationView {
    fn new(job: &crate::db::JobRow) -> NotificationView {
        let notification: Option<crate::notify::outbox::Notification> =
            serde_json::from_str(&job.payload).ok();
        let time = |t| views::local_time(crate::db::models::from_db_time(t));
        NotificationView {
            id: job.id,
            created: time(job.created_at),
            order_code: notification
                .as_ref()
                .map(|n| n.order_code.clone())
                .unwrap_or_default(),
            event_type: notification.map(|n| n.event_type).unwrap_or_default(),
            status: job.status.clone(),
            attempts: job.attempts,
            next_run: if job.status == JobStatus::Queued.as_str() {
                time(job.run_at)
            } else {
                String::new()
            },
            last_error: job.last_error.clone().unwrap_or_default(),
            failed: job.status == JobStatus::Failed.as_str(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/notifications.html")]
struct NotificationsPage {
    lang: Lang,
    nav: Nav,
    rows: Vec<NotificationView>,
    next_url: Option<String>,
    show_all: bool,
}

pub async fn notifications(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    query: web::Query<CursorQuery>,
) -> Result<HttpResponse, ApiError> {
    let show_all = query.all.is_some();
    let status = (!show_all).then_some(JobStatus::Failed);
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| {
            with_store!(conn, |s| s.jobs_page(
                crate::notify::outbox::KIND,
                status,
                cursor,
                PAGE_SIZE
            ))
        })
        .await?;
    let all = if show_all { "all=1&" } else { "" };
    render(&NotificationsPage {
        lang: Lang::of(&req),
        nav: Nav::new(&req, &session, "notifications"),
        rows: page.items.iter().map(NotificationView::new).collect(),
        next_url: page
            .next_cursor
            .map(|c| format!("/admin/notifications?{all}cursor={c}")),
        show_all,
    })
}

/// A failed notification is sent again, from its first attempt, with the same event id.
pub async fn replay_notification(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, actix_web::Error> {
    session.check_csrf(&form.csrf)?;
    let id = id.into_inner();
    let (actor, now) = (session.user.clone(), domain::now());
    write_store!(state.db, |s| s.write(|s| {
        if s.replay_job(id, now)? {
            let subject = format!("notification:{id}");
            resolve::audit(
                s,
                &Audit {
                    actor: &actor,
                    action: "notification.replay",
                    subject: &subject,
                    before: Some("failed"),
                    after: Some("queued"),
                    note: None,
                },
                now,
            )?;
        }
        Ok(())
    }))
    .map_err(ApiError::from)?;
    Ok(redirect("/admin/notifications?all=1"))
}

pub struct RunView {
    pub started: String,
    pub trigger: String,
    pub window: String,
    pub pages: i32,
    pub records: i32,
    pub new: i32,
    pub known: i32,
    pub matched: i32,
    pub rejected: i32,
    pub error: String,
    pub finished: bool,
}

#[derive(Template)]
#[template(path = "admin/reconcile.html")]
struct ReconcilePage {
    lang: Lang,
    nav: Nav,
    rows: Vec<RunView>,
    next_url: Option<String>,
    configured: bool,
}

pub async fn reconcile_runs(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: AdminSession,
    query: web::Query<CursorQuery>,
) -> Result<HttpResponse, ApiError> {
    let cursor = query.cursor;
    let page = state
        .db
        .run(move |conn| with_store!(conn, |s| s.reconcile_runs_page(cursor, PAGE_SIZE)))
        .await?;
    let time = |t| views::local_time(crate::db::models::from_db_time(t));
    render(&ReconcilePage {
        lang: Lang::of(&req),
        nav: Nav::new(&req, &session, "reconcile"),
        rows: page
            .items
            .iter()
            .map(|r| RunView {
                started: time(r.started_at),
                trigger: r.trigger_source.clone(),
                window: format!("{} – {}", r.from_date, r.to_date),
                pages: r.pages,
                records: r.records,
                new: r.new_transactions,
                known: r.already_known,
                matched: r.matched,
                rejected: r.rejected,
                error: r.error.clone().unwrap_or_default(),
                finished: r.finished_at.is_some(),
            })
            .collect(),
        next_url: page
            .next_cursor
            .map(|c| format!("/admin/reconcile?cursor={c}")),
        configured: state.settings.casso_api_key.is_some(),
    })
}
