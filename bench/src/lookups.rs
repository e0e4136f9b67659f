//! The scale lookups: reads of the storefront API and of the admin queue, measured on the
//! scale point's seeded database (orders and bank transactions) at both sizes, one request at
//! a time and on a few connections at once, so that large ÷ small shows whether they grow
//! with the tables.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use chrono::{NaiveDate, NaiveDateTime};
use reqwest::cookie::CookieStore;
use serde::Serialize;

use crate::explain::{Access, Plan};
use crate::load::{self, Read, Target};
use crate::procfs::MemorySampler;
use crate::server::{Server, ADMIN_PASSWORD, ADMIN_USER, API_KEY};
use crate::Phase;

/// What the lookups need to know of the seeded database.
#[derive(Clone, Debug)]
pub struct Context {
    pub orders: u64,
    pub order_ids: (i64, i64),
    pub transaction_ids: (i64, i64),
    /// Share of the transactions waiting in the queue, in %.
    pub waiting_percent: u64,
    /// Order `k` (0-based) is `DH<code_base + k>`.
    pub code_base: u64,
    pub seed_status: &'static str,
    /// Text that only one transaction's description holds, near the middle of the table.
    pub needle: String,
    /// The admin queue's amount filter, VND.
    pub amount_range_vnd: (u64, u64),
    /// Today in Vietnam (the admin's day filter is in Vietnam time).
    pub vn_today: NaiveDate,
}

/// Ids among the oldest tenth of a table, where a client that paged far back would be, and
/// high enough that a full page (50 rows, one row in `1 / share` matching) is below them.
fn deep_range((low, high): (i64, i64), share: f64) -> RangeInclusive<i64> {
    let start = low + (51.0 / share).ceil() as i64;
    let end = (low + (high - low + 1) / 10).max(start);
    start..=end
}

impl Context {
    pub fn deep_order_range(&self) -> RangeInclusive<i64> {
        deep_range(self.order_ids, 1.0)
    }

    pub fn deep_transaction_range(&self) -> RangeInclusive<i64> {
        deep_range(self.transaction_ids, self.waiting_percent as f64 / 100.0)
    }

    pub fn deep_order_cursor(&self) -> i64 {
        let r = self.deep_order_range();
        (r.start() + r.end()) / 2
    }

    pub fn deep_transaction_cursor(&self) -> i64 {
        let r = self.deep_transaction_range();
        (r.start() + r.end()) / 2
    }

    /// The day filter `from = yesterday, to = today` (Vietnam), as the server turns it into
    /// UTC times: from yesterday's start up to the start of tomorrow.
    pub fn received_range(&self) -> (NaiveDateTime, NaiveDateTime) {
        let start = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0).expect("midnight exists") - chrono::Duration::hours(7)
        };
        (
            start(self.vn_today - chrono::Duration::days(1)),
            start(self.vn_today + chrono::Duration::days(1)),
        )
    }
}

/// One measured read.
pub struct Query {
    pub name: &'static str,
    pub what: String,
    pub admin: bool,
    /// Whether an index should keep its time flat whatever the tables' size.
    pub expect_indexed: bool,
    path: Arc<dyn Fn() -> String + Send + Sync>,
}

/// The reads measured at each scale point.
pub fn queries(ctx: &Context) -> Vec<Query> {
    let q =
        |name, what: String, admin, expect_indexed, path: Arc<dyn Fn() -> String + Send + Sync>| {
            Query {
                name,
                what,
                admin,
                expect_indexed,
                path,
            }
        };
    let fixed =
        |p: String| -> Arc<dyn Fn() -> String + Send + Sync> { Arc::new(move || p.clone()) };
    let (orders, code_base) = (ctx.orders, ctx.code_base);
    let deep_orders = ctx.deep_order_range();
    let deep_transactions = ctx.deep_transaction_range();
    let (min, max) = ctx.amount_range_vnd;
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let (yesterday, today) = (
        day(ctx.vn_today - chrono::Duration::days(1)),
        day(ctx.vn_today),
    );
    vec![
        q(
            "order_get",
            "GET /api/v1/orders/{code}, a random order (by code, with its transactions)".into(),
            false,
            true,
            Arc::new(move || format!("/api/v1/orders/DH{}", code_base + fastrand::u64(0..orders))),
        ),
        q(
            "orders_first",
            "GET /api/v1/orders?limit=50 (newest orders, with their transactions)".into(),
            false,
            true,
            fixed("/api/v1/orders?limit=50".into()),
        ),
        q(
            "orders_deep",
            format!(
                "GET /api/v1/orders?limit=50&cursor=C, C random in {}..={} (the oldest tenth)",
                deep_orders.start(),
                deep_orders.end()
            ),
            false,
            true,
            Arc::new(move || {
                format!(
                    "/api/v1/orders?limit=50&cursor={}",
                    fastrand::i64(deep_orders.clone())
                )
            }),
        ),
        q(
            "orders_status",
            format!(
                "GET /api/v1/orders?limit=50&status={} (every order has it)",
                ctx.seed_status
            ),
            false,
            true,
            fixed(format!(
                "/api/v1/orders?limit=50&status={}",
                ctx.seed_status
            )),
        ),
        q(
            "orders_status_none",
            "GET /api/v1/orders?limit=50&status=paid (no order has it)".into(),
            false,
            true,
            fixed("/api/v1/orders?limit=50&status=paid".into()),
        ),
        q(
            "transactions_unknown",
            "GET /api/v1/transactions?status=unknown_order (first page of 50)".into(),
            false,
            true,
            fixed("/api/v1/transactions?status=unknown_order".into()),
        ),
        q(
            "queue_first",
            "GET /admin/queue (first page of 50 waiting)".into(),
            true,
            true,
            fixed("/admin/queue".into()),
        ),
        q(
            "queue_reason",
            "GET /admin/queue?reason=ambiguous".into(),
            true,
            true,
            fixed("/admin/queue?reason=ambiguous".into()),
        ),
        q(
            "queue_amount",
            format!("GET /admin/queue?min={min}&max={max} (amount range; no index on amount)"),
            true,
            false,
            fixed(format!("/admin/queue?min={min}&max={max}")),
        ),
        q(
            "queue_days",
            format!("GET /admin/queue?from={yesterday}&to={today} (day range)"),
            true,
            true,
            fixed(format!("/admin/queue?from={yesterday}&to={today}")),
        ),
        q(
            "queue_deep",
            format!(
                "GET /admin/queue?cursor=C, C random in {}..={} (the oldest tenth)",
                deep_transactions.start(),
                deep_transactions.end()
            ),
            true,
            true,
            Arc::new(move || {
                format!(
                    "/admin/queue?cursor={}",
                    fastrand::i64(deep_transactions.clone())
                )
            }),
        ),
        q(
            "queue_search",
            format!(
                "GET /admin/queue?q={} (text in one description; trigram index)",
                ctx.needle
            ),
            true,
            false,
            fixed(format!("/admin/queue?q={}", ctx.needle)),
        ),
        q(
            "queue_search_common",
            "GET /admin/queue?q=1006 (digits in about one transfer in a hundred, most of them matched)"
                .into(),
            true,
            false,
            fixed("/admin/queue?q=1006".into()),
        ),
        q(
            "transactions_first",
            "GET /admin/transactions (first page of every status, with its tabs and totals)".into(),
            true,
            true,
            fixed("/admin/transactions".into()),
        ),
    ]
}

/// Logs in to the admin UI as a browser does (login page, CSRF token from its form, post),
/// and returns the `Cookie` header value that carries the session.
pub async fn admin_login(addr: SocketAddr) -> Result<String> {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let base: reqwest::Url = format!("http://{addr}/").parse()?;
    let login = base.join("admin/login")?;
    let page = client
        .get(login.clone())
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let marker = r#"name="csrf" value=""#;
    let start = page
        .find(marker)
        .context("no CSRF token in the login form")?
        + marker.len();
    let csrf = page[start..]
        .split('"')
        .next()
        .context("unterminated CSRF token")?
        .to_string();
    let reply = client
        .post(login)
        .form(&[
            ("user", ADMIN_USER),
            ("password", ADMIN_PASSWORD),
            ("csrf", csrf.as_str()),
            ("next", "/admin/queue"),
        ])
        .send()
        .await?;
    if reply.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("admin login answered {}", reply.status());
    }
    let cookies = jar
        .cookies(&base)
        .context("no cookie after the login")?
        .to_str()?
        .to_string();
    if !cookies.contains("paymatch_session=") {
        bail!("no session cookie after the login: {cookies}");
    }
    // The session works: the queue answers 200 (not a redirect to the login page).
    let queue = client.get(base.join("admin/queue")?).send().await?;
    if queue.status() != reqwest::StatusCode::OK {
        bail!("/admin/queue answered {} after the login", queue.status());
    }
    Ok(cookies)
}

/// How long and on how many connections each read is measured.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Settings {
    pub connections: usize,
    pub duration_s: f64,
    pub warmup_s: f64,
}

/// One read at one scale point.
#[derive(Serialize, Debug)]
pub struct Run {
    pub query: &'static str,
    pub what: String,
    /// A path as sent, and how many rows its page held (the API's `data`, the queue's rows).
    pub example: String,
    pub items: usize,
    /// `settings.connections` at once, full speed.
    pub concurrent: Phase,
    /// One connection, one request at a time.
    pub serial: Phase,
}

/// Sends each read once (a check that it works, and how many rows it shows), then measures it:
/// warm-up, `connections` at once, then one at a time.
pub async fn run(
    server: &Server,
    sampler: &MemorySampler,
    ctx: &Context,
    settings: Settings,
) -> Result<Vec<Run>> {
    let addr = server.addr;
    let cookie = admin_login(addr).await.context("admin login")?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()?;
    let duration = Duration::from_secs_f64(settings.duration_s);
    let warmup = Duration::from_secs_f64(settings.warmup_s);
    let mut runs = Vec::new();
    for query in queries(ctx) {
        let auth = if query.admin {
            (hyper::header::COOKIE, cookie.clone())
        } else {
            (hyper::header::AUTHORIZATION, format!("Bearer {API_KEY}"))
        };
        let example = (query.path)();
        let reply = client
            .get(format!("http://{addr}{example}"))
            .header(auth.0.as_str(), auth.1.as_str())
            .send()
            .await?;
        let status = reply.status();
        let body = reply.text().await?;
        if status != reqwest::StatusCode::OK {
            bail!(
                "{} answered {status}: {}",
                example,
                body.chars().take(300).collect::<String>()
            );
        }
        let items = if query.admin {
            body.matches("href=\"/admin/transactions/").count()
        } else {
            serde_json::from_str::<serde_json::Value>(&body)?
                .get("data")
                .and_then(|d| d.as_array())
                .map_or(1, Vec::len)
        };
        let target = Arc::new(Target::Get(Read {
            path: {
                let path = query.path.clone();
                Box::new(move || path())
            },
            auth,
        }));
        let c = settings.connections;
        load::closed_loop(addr, target.clone(), c, warmup).await;
        let concurrent = crate::measure(
            "lookup_concurrent",
            format!("{}: {c} connections", query.name),
            server,
            sampler,
            load::closed_loop(addr, target.clone(), c, duration),
        )
        .await;
        let serial = crate::measure(
            "lookup_serial",
            format!("{}: 1 connection", query.name),
            server,
            sampler,
            load::closed_loop(addr, target, 1, duration),
        )
        .await;
        runs.push(Run {
            query: query.name,
            what: query.what,
            example,
            items,
            concurrent,
            serial,
        });
    }
    Ok(runs)
}

/// One read's figures at one size.
#[derive(Serialize, Debug, Clone)]
pub struct Figures {
    pub items: usize,
    pub serial_p50_ms: f64,
    pub serial_p99_ms: f64,
    pub concurrent_p50_ms: f64,
    pub concurrent_p99_ms: f64,
    pub concurrent_per_s: f64,
    pub errors: u64,
}

impl Figures {
    fn of(run: &Run) -> Figures {
        let (s, c) = (&run.serial.measured, &run.concurrent.measured);
        Figures {
            items: run.items,
            serial_p50_ms: s.latency.p50_ms,
            serial_p99_ms: s.latency.p99_ms,
            concurrent_p50_ms: c.latency.p50_ms,
            concurrent_p99_ms: c.latency.p99_ms,
            concurrent_per_s: c.rate_per_s,
            errors: s.error_count() + c.error_count(),
        }
    }
}

/// Above this large ÷ small ratio a read counts as growing with the tables (the bound the
/// issue sets for webhooks)…
pub const GROWTH_LIMIT: f64 = 1.5;
/// … when it is also this much slower, ms: below that, a sub-millisecond median moves with
/// the noise of a shared 2-core machine (the plan's work ratio tells those cases apart).
pub const GROWTH_MIN_MS: f64 = 0.5;

/// One read, small against large, with the plans of its statements at the large size.
#[derive(Serialize, Debug, Clone)]
pub struct Comparison {
    pub query: &'static str,
    pub what: String,
    pub expect_indexed: bool,
    pub small: Figures,
    pub large: Figures,
    /// Large ÷ small median latency, one request at a time.
    pub serial_p50_ratio: f64,
    pub serial_p99_ratio: f64,
    /// Large ÷ small time per request at `connections` at once (small req/s ÷ large req/s).
    pub concurrent_time_ratio: f64,
    /// `serial_p50_ratio` above [`GROWTH_LIMIT`] and the median [`GROWTH_MIN_MS`] slower (the
    /// concurrent ratio is noisier on a shared machine; it is reported beside it).
    pub grows: bool,
    /// The largest large ÷ small work of its statements (SQLite VM steps, PostgreSQL buffers,
    /// from the plans' runs): the same comparison without timing noise.
    pub work_ratio: Option<f64>,
    /// The worst access among its statements' plans on the large database.
    pub access: Option<Access>,
    /// One of its statements is flagged (see `explain::Plan::flagged`).
    pub flagged: bool,
    /// Per statement: `name: access, work large ÷ small`.
    pub plans: Vec<String>,
}

pub fn compare(
    small: &[Run],
    large: &[Run],
    ctx: &Context,
    large_plans: &[Plan],
) -> Vec<Comparison> {
    let expect: std::collections::HashMap<&str, bool> = queries(ctx)
        .into_iter()
        .map(|q| (q.name, q.expect_indexed))
        .collect();
    large
        .iter()
        .filter_map(|l| {
            let s = small.iter().find(|s| s.query == l.query)?;
            let (fs, fl) = (Figures::of(s), Figures::of(l));
            let ratio = |a: f64, b: f64| if a > 0.0 { b / a } else { f64::NAN };
            let serial_p50_ratio = ratio(fs.serial_p50_ms, fl.serial_p50_ms);
            let serial_p99_ratio = ratio(fs.serial_p99_ms, fl.serial_p99_ms);
            let concurrent_time_ratio = ratio(fl.concurrent_per_s, fs.concurrent_per_s);
            let mine: Vec<&Plan> = large_plans
                .iter()
                .filter(|p| p.used_by.contains(&l.query))
                .collect();
            let plans = mine
                .iter()
                .map(|p| match p.work_ratio {
                    Some(r) => format!("{}: {:?}, work ×{r:.1}", p.statement, p.access),
                    None => format!("{}: {:?}", p.statement, p.access),
                })
                .collect();
            let work_ratio = mine
                .iter()
                .filter_map(|p| p.work_ratio)
                .max_by(f64::total_cmp);
            Some(Comparison {
                query: l.query,
                what: l.what.clone(),
                expect_indexed: expect.get(l.query).copied().unwrap_or(true),
                grows: serial_p50_ratio > GROWTH_LIMIT
                    && fl.serial_p50_ms - fs.serial_p50_ms >= GROWTH_MIN_MS,
                work_ratio,
                serial_p50_ratio,
                serial_p99_ratio,
                concurrent_time_ratio,
                access: mine.iter().map(|p| p.access).max(),
                flagged: mine.iter().any(|p| p.flagged),
                plans,
                small: fs,
                large: fl,
            })
        })
        .collect()
}
