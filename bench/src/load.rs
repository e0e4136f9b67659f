//! The load: what is sent (no-op `GET /livez`, or distinct Casso webhooks each paying part of
//! a random open order) and how (closed loop at full speed on C connections, or open loop at
//! a fixed rate with latency counted from the scheduled send time).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::StatusCode;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;

use crate::server::{API_KEY, SECURE_TOKEN};

/// Order codes are `DH` + (CODE_BASE + i): ten digits, like paymatch's generated codes.
pub const CODE_BASE: u64 = 1_000_000_000;
/// Each open order is for this much; each webhook pays [`PAYMENT_VND`] of it, so an order
/// stays open (partially paid) for 10,000 payments: every webhook is `matched`.
pub const ORDER_VND: u64 = 100_000_000;
pub const PAYMENT_VND: u64 = 10_000;
/// Most error replies kept as examples per phase.
const ERROR_SAMPLES: usize = 5;

/// What one phase sends.
pub enum Target {
    /// `GET /livez`: no database work, the baseline.
    Livez,
    /// `POST /webhooks/casso` paying a random one of the open orders.
    Webhook(Arc<Traffic>),
    /// A read (API or admin page): a `GET` of a path made for each request, with the header
    /// that authenticates it. Any 200 is a success.
    Get(Read),
}

/// A `GET` whose path is made anew for each request (a random order code, a random cursor…).
pub struct Read {
    pub path: Box<dyn Fn() -> String + Send + Sync>,
    /// `(header name, value)`: `Authorization: Bearer …` or `Cookie: paymatch_session=…`.
    pub auth: (hyper::header::HeaderName, String),
}

/// The stream of webhooks of one run: ids distinct across all its phases.
pub struct Traffic {
    next_id: AtomicU64,
    orders: u64,
    when: String,
    acknowledged: AtomicU64,
}

impl Traffic {
    pub fn new(orders: u64) -> Traffic {
        // Casso's `when` is Vietnam time (UTC+7) without an offset.
        let when = (chrono::Utc::now() + chrono::Duration::hours(7))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        Traffic {
            next_id: AtomicU64::new(1),
            orders,
            when,
            acknowledged: AtomicU64::new(0),
        }
    }

    /// Webhooks sent so far (ids handed out).
    pub fn sent(&self) -> u64 {
        self.next_id.load(Ordering::Relaxed) - 1
    }

    /// Webhooks answered 200 with `accepted: 1`, over every phase of the run.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged.load(Ordering::Relaxed)
    }

    /// The body of the next webhook: one transaction with a new id, naming a random order in
    /// one of the description shapes banks produce.
    pub fn next_body(&self) -> Bytes {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let n = CODE_BASE + fastrand::u64(0..self.orders);
        let description = match id % 4 {
            0 => format!("Thanh toan don hang DH{n}"),
            1 => format!(
                "MBVCB.{}.{id}.DH{n}.CT tu 0011004{:06} NGUYEN VAN A toi 0123456789 CONG TY ABC",
                5_000_000 + id % 1_000_000,
                id % 1_000_000
            ),
            2 => format!("CUSTOMER DH-{n} chuyen tien FT24277{id:08}"),
            _ => format!("/CTR/IBFT DH{n}/MAC/{id}"),
        };
        let body = format!(
            r#"{{"error":0,"data":[{{"id":{id},"tid":"FT{id:012}","description":"{description}","amount":{PAYMENT_VND},"cusum_balance":0,"when":"{when}","bank_sub_acc_id":"1","subAccId":"1"}}]}}"#,
            when = self.when
        );
        Bytes::from(body)
    }
}

fn request(target: &Target, host: &str) -> hyper::Request<Full<Bytes>> {
    let builder = hyper::Request::builder().header(hyper::header::HOST, host);
    let built = match target {
        Target::Livez => builder
            .method("GET")
            .uri("/livez")
            .body(Full::new(Bytes::new())),
        Target::Webhook(traffic) => builder
            .method("POST")
            .uri("/webhooks/casso")
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("Secure-Token", SECURE_TOKEN)
            .body(Full::new(traffic.next_body())),
        Target::Get(read) => builder
            .method("GET")
            .uri((read.path)())
            .header(read.auth.0.clone(), read.auth.1.as_str())
            .body(Full::new(Bytes::new())),
    };
    built.expect("a request built from constant parts")
}

/// Whether a reply is a success: 200, and for a webhook `accepted: 1`.
fn is_success(target: &Target, status: StatusCode, body: &[u8]) -> bool {
    if status != StatusCode::OK {
        return false;
    }
    match target {
        Target::Livez | Target::Get(_) => true,
        Target::Webhook(traffic) => {
            let accepted = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("accepted")?.as_u64())
                == Some(1);
            if accepted {
                traffic.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            accepted
        }
    }
}

fn histogram() -> Histogram<u64> {
    // Microseconds, from 1 µs to 10 minutes, 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Latency {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(h: &Histogram<u64>) -> Latency {
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            count: h.len(),
            mean_ms: h.mean() / 1000.0,
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// What one phase measured on the client side.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Measured {
    /// Wall time from the first send to the last reply, seconds.
    pub elapsed_s: f64,
    /// Successful replies (200; for webhooks also `accepted: 1`).
    pub ok: u64,
    /// Everything else, by kind: an HTTP status, `not_accepted`, `connection`.
    pub errors: BTreeMap<String, u64>,
    pub error_samples: Vec<String>,
    /// Successful replies per second of `elapsed_s`.
    pub rate_per_s: f64,
    /// Every reply, successful or not (connection errors excluded). In the open loop: from the
    /// time the request was scheduled.
    pub latency: Latency,
    /// Open loop only: from the moment the request actually left (after waiting for a free
    /// connection); the difference to `latency` is time spent queued in the client.
    pub service_latency: Option<Latency>,
    /// Open loop only: the rate that was asked for.
    pub target_rate_per_s: Option<f64>,
    /// Per second of the phase (by reply time): replies and the slowest latency.
    pub timeline: Vec<Second>,
    /// TCP connections the client opened (the open loop opens one whenever none is idle, so
    /// this shows how far replies fell behind).
    pub connections_opened: u64,
}

impl Measured {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Replies and the slowest of them per second of a phase: shows stalls and when they came.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Second {
    pub second: usize,
    pub replies: u64,
    pub max_ms: f64,
}

#[derive(Default)]
struct Timeline {
    seconds: Vec<(u64, u64)>,
}

impl Timeline {
    fn record(&mut self, at: Duration, latency_us: u64) {
        let i = at.as_secs() as usize;
        if self.seconds.len() <= i {
            self.seconds.resize(i + 1, (0, 0));
        }
        let s = &mut self.seconds[i];
        s.0 += 1;
        s.1 = s.1.max(latency_us);
    }

    fn merge(&mut self, other: &Timeline) {
        if self.seconds.len() < other.seconds.len() {
            self.seconds.resize(other.seconds.len(), (0, 0));
        }
        for (mine, theirs) in self.seconds.iter_mut().zip(&other.seconds) {
            mine.0 += theirs.0;
            mine.1 = mine.1.max(theirs.1);
        }
    }

    fn seconds(&self) -> Vec<Second> {
        self.seconds
            .iter()
            .enumerate()
            .map(|(second, &(replies, max))| Second {
                second,
                replies,
                max_ms: max as f64 / 1000.0,
            })
            .collect()
    }
}

#[derive(Default)]
struct Tallies {
    ok: u64,
    connections: u64,
    timeline: Timeline,
    errors: BTreeMap<String, u64>,
    samples: Vec<String>,
}

impl Tallies {
    fn error(&mut self, kind: String, sample: impl FnOnce() -> String) {
        *self.errors.entry(kind).or_default() += 1;
        if self.samples.len() < ERROR_SAMPLES {
            self.samples.push(sample());
        }
    }

    fn merge(&mut self, other: Tallies) {
        self.ok += other.ok;
        self.connections += other.connections;
        self.timeline.merge(&other.timeline);
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        for s in other.samples {
            if self.samples.len() < ERROR_SAMPLES {
                self.samples.push(s);
            }
        }
    }

    fn record_reply(&mut self, target: &Target, status: StatusCode, body: &[u8]) {
        if is_success(target, status, body) {
            self.ok += 1;
        } else {
            let kind = if status == StatusCode::OK {
                "not_accepted".to_string()
            } else {
                status.as_u16().to_string()
            };
            self.error(kind, || {
                let text = String::from_utf8_lossy(body);
                format!("{status}: {}", text.chars().take(300).collect::<String>())
            });
        }
    }
}

type Sender = http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends `req` on the connection in `slot`, opening one when there is none or it was closed.
/// A request that never left because the server had closed the idle connection (its
/// keep-alive timeout) is sent again on a new connection: that is no failure of the server.
/// Counts the connections it opens in `opened`.
async fn send(
    addr: SocketAddr,
    slot: &mut Option<Sender>,
    mut req: hyper::Request<Full<Bytes>>,
    opened: &mut u64,
) -> std::result::Result<(StatusCode, Bytes), String> {
    for _ in 0..3 {
        let sender = match slot.take() {
            Some(s) if !s.is_closed() => slot.insert(s),
            _ => {
                let s = connect(addr).await.map_err(|e| format!("connect: {e}"))?;
                *opened += 1;
                slot.insert(s)
            }
        };
        if sender.ready().await.is_err() {
            *slot = None;
            continue;
        }
        match sender.try_send_request(req).await {
            Ok(resp) => {
                let status = resp.status();
                return match resp.into_body().collect().await {
                    Ok(body) => Ok((status, body.to_bytes())),
                    Err(e) => {
                        *slot = None;
                        Err(format!("reading the reply: {e}"))
                    }
                };
            }
            Err(mut e) => {
                *slot = None;
                match e.take_message() {
                    Some(unsent) => req = unsent,
                    None => return Err(format!("request: {}", e.into_error())),
                }
            }
        }
    }
    Err("the connection closed before the request left, three times".into())
}

/// Closed loop: `connections` keep-alive HTTP/1.1 connections, each sending its next request
/// as soon as the previous reply is in, for `duration`.
pub async fn closed_loop(
    addr: SocketAddr,
    target: Arc<Target>,
    connections: usize,
    duration: Duration,
) -> Measured {
    closed_loop_spread(&[addr], target, connections, duration).await
}

/// [`closed_loop`] with the connections spread over several servers in turn.
pub async fn closed_loop_spread(
    addrs: &[SocketAddr],
    target: Arc<Target>,
    connections: usize,
    duration: Duration,
) -> Measured {
    let start = Instant::now();
    let deadline = start + duration;
    let mut workers = tokio::task::JoinSet::new();
    for &addr in addrs.iter().cycle().take(connections) {
        let (target, host) = (target.clone(), addr.to_string());
        workers.spawn(async move {
            let mut hist = histogram();
            let mut tallies = Tallies::default();
            let mut sender: Option<Sender> = None;
            while Instant::now() < deadline {
                let req = request(&target, &host);
                let sent = Instant::now();
                match send(addr, &mut sender, req, &mut tallies.connections).await {
                    Ok((status, body)) => {
                        let latency = micros(sent.elapsed());
                        hist.saturating_record(latency);
                        tallies.timeline.record(start.elapsed(), latency);
                        tallies.record_reply(&target, status, &body);
                    }
                    Err(e) => {
                        tallies.error("connection".into(), || e);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (hist, tallies)
        });
    }
    let mut hist = histogram();
    let mut tallies = Tallies::default();
    while let Some(joined) = workers.join_next().await {
        if let Ok((h, t)) = joined {
            let _ = hist.add(&h);
            tallies.merge(t);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    Measured {
        elapsed_s: elapsed,
        ok: tallies.ok,
        errors: tallies.errors,
        error_samples: tallies.samples,
        rate_per_s: tallies.ok as f64 / elapsed,
        latency: Latency::of(&hist),
        service_latency: None,
        target_rate_per_s: None,
        timeline: tallies.timeline.seconds(),
        connections_opened: tallies.connections,
    }
}

/// Open loop: requests scheduled every 1/rate seconds for `duration`, whatever the replies
/// do; each waits for a free connection (at most `max_connections` open), and its latency
/// counts from its scheduled time, so a stall shows in full (no coordinated omission).
pub async fn open_loop(
    addr: SocketAddr,
    target: Arc<Target>,
    rate: f64,
    duration: Duration,
    max_connections: usize,
) -> Measured {
    let host = addr.to_string();
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    // Idle connections; a request that finds none opens one, up to the cap.
    let idle: Arc<std::sync::Mutex<Vec<Sender>>> = Arc::default();
    let permits = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let opened = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(20);
    let mut tasks = tokio::task::JoinSet::new();
    let mut sink = OpenLoopSink::new();
    for i in 0..total {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled).await;
        let (task_target, host, idle, permits, opened) = (
            target.clone(),
            host.clone(),
            idle.clone(),
            permits.clone(),
            opened.clone(),
        );
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            // The most recently used idle connection that is still open.
            let mut slot = {
                let mut idle = idle.lock().expect("pool lock");
                std::iter::from_fn(|| idle.pop()).find(|s| !s.is_closed())
            };
            let req = request(&task_target, &host);
            let sent = Instant::now();
            let mut new_connections = 0;
            let result = send(addr, &mut slot, req, &mut new_connections).await;
            let done = Instant::now();
            opened.fetch_add(new_connections, Ordering::Relaxed);
            if let Some(s) = slot {
                idle.lock().expect("pool lock").push(s);
            }
            result.map(|(status, body)| (done - scheduled, done - sent, done, status, body))
        });
        // Collect finished tasks as we go so that memory stays flat.
        while let Some(Ok(done)) = tasks.try_join_next() {
            sink.absorb(&target, start, done);
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(done) = joined {
            sink.absorb(&target, start, done);
        }
    }
    let elapsed = (Instant::now() - start).as_secs_f64();
    Measured {
        elapsed_s: elapsed,
        ok: sink.tallies.ok,
        errors: sink.tallies.errors,
        error_samples: sink.tallies.samples,
        rate_per_s: sink.tallies.ok as f64 / elapsed,
        latency: Latency::of(&sink.scheduled),
        service_latency: Some(Latency::of(&sink.service)),
        target_rate_per_s: Some(rate),
        timeline: sink.tallies.timeline.seconds(),
        connections_opened: opened.load(Ordering::Relaxed),
    }
}

type Done = Result<(Duration, Duration, Instant, StatusCode, Bytes), String>;

/// What the open loop gathers: latency from the scheduled time, from the actual send, replies.
struct OpenLoopSink {
    scheduled: Histogram<u64>,
    service: Histogram<u64>,
    tallies: Tallies,
}

impl OpenLoopSink {
    fn new() -> OpenLoopSink {
        OpenLoopSink {
            scheduled: histogram(),
            service: histogram(),
            tallies: Tallies::default(),
        }
    }

    fn absorb(&mut self, target: &Target, start: Instant, done: Done) {
        match done {
            Ok((scheduled, service, done_at, status, body)) => {
                self.scheduled.saturating_record(micros(scheduled));
                self.tallies
                    .timeline
                    .record(done_at.saturating_duration_since(start), micros(scheduled));
                self.service.saturating_record(micros(service));
                self.tallies.record_reply(target, status, &body);
            }
            Err(e) => self.tallies.error("connection".into(), || e),
        }
    }
}

/// Creates `count` orders `DH<CODE_BASE>`… through `POST /api/v1/orders`, `parallel` at a
/// time; returns how long it took.
pub async fn create_orders(addr: SocketAddr, count: u64, parallel: u64) -> Result<Duration> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?;
    let url = format!("http://{addr}/api/v1/orders");
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..parallel {
        let (client, url) = (client.clone(), url.clone());
        workers.spawn(async move {
            let mut i = w;
            while i < count {
                let body = serde_json::json!({
                    "code": format!("DH{}", CODE_BASE + i),
                    "amount": ORDER_VND,
                });
                let resp = client
                    .post(&url)
                    .bearer_auth(API_KEY)
                    .json(&body)
                    .send()
                    .await?;
                let status = resp.status();
                if status != reqwest::StatusCode::CREATED && status != reqwest::StatusCode::OK {
                    let text = resp.text().await.unwrap_or_default();
                    anyhow::bail!("creating order DH{}: {status} {text}", CODE_BASE + i);
                }
                i += parallel;
            }
            Ok(())
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined??;
    }
    Ok(start.elapsed())
}
