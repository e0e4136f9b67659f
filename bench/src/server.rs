//! The system under test: building `paymatch`, a fresh database (SQLite file in a temporary
//! directory, or a PostgreSQL database made for the run and dropped after it), seeding orders
//! with SQL, and a `paymatch serve` child process that is stopped when dropped.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tokio::io::AsyncWriteExt;

pub const SECURE_TOKEN: &str = "bench-secure-token-0123456789abcdef";
pub const API_KEY: &str = "bench-api-key-0123456789abcdef";
/// The admin account that `PAYMATCH_ADMIN_PASSWORD` creates (`admin`).
pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "bench-admin-password-0123";
/// `whsec_` and the base64 of 32 fixed bytes.
const NOTIFY_SECRET: &str = "whsec_YmVuY2gtbm90aWZ5LXNlY3JldC0wMTIzNDU2Nzg5YWI=";

const READY_TIMEOUT: Duration = Duration::from_secs(120);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }
}

/// `cargo build --release` of the main crate; returns the binary.
///
/// It builds into a target directory of its own (under the bench crate's), so that it never
/// waits for, nor holds, the lock of the main crate's `target/` that test runs use.
pub async fn build_paymatch(main_dir: &Path, target_dir: &Path) -> Result<PathBuf> {
    eprintln!(
        "building paymatch (release) into {} …",
        target_dir.display()
    );
    let status = tokio::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["build", "--release", "--bin", "paymatch"])
        .current_dir(main_dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .kill_on_drop(true)
        .status()
        .await
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release of paymatch failed ({status})");
    }
    Ok(target_dir.join("release").join("paymatch"))
}

/// A database made for one run, removed when dropped (kept, and named on stderr, when
/// `PM_BENCH_KEEP_DATABASE` is set: to look at a seeded million-row database by hand).
pub enum Database {
    Sqlite {
        dir: Option<tempfile::TempDir>,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        url: String,
        name: String,
    },
}

impl Database {
    pub async fn create(kind: BackendKind, postgres_admin_url: &str) -> Result<Database> {
        match kind {
            BackendKind::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("paymatch-bench-")
                    .tempdir()
                    .context("creating a temporary directory")?;
                let path = dir.path().join("paymatch.db");
                Ok(Database::Sqlite {
                    dir: Some(dir),
                    path,
                })
            }
            BackendKind::Postgres => {
                let name = format!(
                    "paymatch_bench_{}_{}",
                    std::process::id(),
                    fastrand::u32(..)
                );
                let mut url = reqwest::Url::parse(postgres_admin_url)
                    .with_context(|| format!("bad PostgreSQL URL {postgres_admin_url}"))?;
                psql(postgres_admin_url, &format!("CREATE DATABASE {name}"))
                    .await
                    .context("creating the benchmark database (is PostgreSQL running?)")?;
                url.set_path(&format!("/{name}"));
                Ok(Database::Postgres {
                    admin_url: postgres_admin_url.to_string(),
                    url: url.to_string(),
                    name,
                })
            }
        }
    }

    pub fn kind(&self) -> BackendKind {
        match self {
            Database::Sqlite { .. } => BackendKind::Sqlite,
            Database::Postgres { .. } => BackendKind::Postgres,
        }
    }

    /// SQLite's write-ahead log, beside the database file.
    pub fn wal_file(&self) -> Option<PathBuf> {
        match self {
            Database::Sqlite { path, .. } => Some(PathBuf::from(format!("{}-wal", path.display()))),
            Database::Postgres { .. } => None,
        }
    }

    /// The `PAYMATCH_DATABASE_URL` of this database.
    pub fn url(&self) -> String {
        match self {
            Database::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Database::Postgres { url, .. } => url.clone(),
        }
    }

    /// A directory to run the server in (no stray `paymatch.toml` is read there).
    pub fn work_dir(&self) -> PathBuf {
        match self {
            Database::Sqlite { path, .. } => {
                path.parent().map(Path::to_path_buf).unwrap_or_default()
            }
            Database::Postgres { .. } => std::env::temp_dir(),
        }
    }

    /// Runs SQL with the database's own command-line client (`sqlite3` or `psql`); returns its
    /// output (unaligned, tuples only).
    pub async fn sql(&self, sql: &str) -> Result<String> {
        match self {
            Database::Sqlite { path, .. } => sqlite3(path, sql).await,
            Database::Postgres { url, .. } => psql(url, sql).await,
        }
    }

    /// Inserts `count` open orders `DH<first>`, `DH<first + 1>` … of `amount_vnd` each, straight
    /// into the table (the API would take minutes for a million): `pending`, or
    /// `partially_paid` with `received_vnd` already received.
    pub async fn seed_orders(
        &self,
        first: u64,
        count: u64,
        amount_vnd: u64,
        status: SeedStatus,
        received_vnd: u64,
    ) -> Result<()> {
        // Amounts are BIGINT ten-thousandths; times are naive UTC, as the server writes them.
        let amount = amount_vnd * 10_000;
        let (status, received) = match status {
            SeedStatus::Pending => ("pending", 0),
            SeedStatus::PartiallyPaid => ("partially_paid", received_vnd * 10_000),
        };
        let now = chrono::Utc::now()
            .naive_utc()
            .format("%Y-%m-%d %H:%M:%S%.6f")
            .to_string();
        // `search_text` as paymatch writes it (`db/search.rs`): the code, already normalised.
        let columns = "code, reference, amount, currency, status, amount_received, notify_url, \
                       created_at, updated_at, paid_at, expires_at, search_text";
        let values = format!(
            "'DH' || ({first} - 1 + i), NULL, {amount}, 'VND', '{status}', {received}, NULL, \
             '{now}', '{now}', NULL, NULL, 'DH' || ({first} - 1 + i)"
        );
        let sql = match self.kind() {
            BackendKind::Sqlite => format!(
                "BEGIN;\n\
                 WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count})\n\
                 INSERT INTO orders ({columns}) SELECT {values} FROM s;\n\
                 COMMIT;\n"
            ),
            // VACUUM ANALYZE: autovacuum does both within a minute of such a load (PostgreSQL
            // 13 and later vacuum after inserts too). Without the vacuum the visibility map is
            // empty, and no index-only scan (the admin lists' counts and totals) skips the heap.
            BackendKind::Postgres => format!(
                "INSERT INTO orders ({columns}) SELECT {values} FROM generate_series(1, {count}) AS i;\n\
                 VACUUM ANALYZE orders;\n"
            ),
        };
        self.sql(&sql).await.map(|_| ())
    }

    /// The lowest and highest `id` of a table (0, 0 when it is empty).
    pub async fn id_range(&self, table: &str) -> Result<(i64, i64)> {
        let out = self
            .sql(&format!(
                "SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM {table};"
            ))
            .await?;
        let (low, high) = out
            .trim()
            .split_once('|')
            .with_context(|| format!("unexpected answer {out:?}"))?;
        Ok((low.trim().parse()?, high.trim().parse()?))
    }

    /// Inserts `seed.count` bank transactions straight into the table, shaped as the server
    /// writes them (see [`TransactionSeed`]). The orders must be in already: matched
    /// transactions point at the orders with ids `orders.0 ..= orders.1`.
    pub async fn seed_transactions(&self, seed: &TransactionSeed) -> Result<()> {
        let TransactionSeed {
            count,
            waiting_percent,
            order_ids: (first_order, last_order),
            code_base,
            payment_vnd,
            ..
        } = *seed;
        let orders = last_order - first_order + 1;
        anyhow::ensure!(orders > 0, "transactions need orders to point at");
        let now = chrono::Utc::now().naive_utc();
        // The i-th transaction came in (count - i) × interval before now: ids follow time, as
        // with the server, and a day holds the same number of transactions at any size.
        let time = match self.kind() {
            BackendKind::Sqlite => format!(
                "strftime('%Y-%m-%d %H:%M:%S', {epoch} - ({count} - i) * {step}, 'unixepoch')",
                epoch = now.and_utc().timestamp(),
                step = seed.interval_s,
            ),
            BackendKind::Postgres => format!(
                "TIMESTAMP '{now}' - ({count} - i) * INTERVAL '{step} seconds'",
                now = now.format("%Y-%m-%d %H:%M:%S"),
                step = seed.interval_s,
            ),
        };
        // Amounts are BIGINT ten-thousandths. Waiting transfers are of 10,000 to 4,990,000 VND
        // (499 values, spread evenly); matched ones pay `payment_vnd` to their order, as the
        // webhooks of the load do.
        let unit = 10_000;
        let paid = payment_vnd * unit;
        let step = 10_000 * unit;
        let code = format!("'DH' || ({code_base} + o)");
        let other = format!("'DH' || ({code_base} + (o + 1) % {orders})");
        let description = format!(
            "CASE st WHEN 'matched' THEN 'Thanh toan don hang ' || {code}\n\
                     WHEN 'unknown_order' THEN 'Thanh toan don hang DH' || ({unknown} + i)\n\
                     WHEN 'unmatched' THEN 'CHUYEN TIEN NGUYEN VAN A MA GD ' || ({unmatched} + i)\n\
                     ELSE {code} || ' ' || {other} || ' chuyen tien' END",
            unknown = TransactionSeed::UNKNOWN_CODE_BASE,
            unmatched = TransactionSeed::UNMATCHED_REF_BASE,
        );
        let bank_ref_of = format!("'FT' || ({} + i)", TransactionSeed::BANK_REF_BASE);
        let select = format!(
            "SELECT 'casso', CAST({ext} + i AS TEXT), {bank_ref_of},\n\
             {description},\n\
             CASE st WHEN 'matched' THEN {paid} ELSE (1 + (i * 7919) % 499) * {step} END,\n\
             0, t, '1', st,\n\
             CASE st WHEN 'matched' THEN {first_order} + o END,\n\
             CASE st WHEN 'matched' THEN {code}\n\
                     WHEN 'unknown_order' THEN 'DH' || ({unknown} + i)\n\
                     WHEN 'unmatched' THEN ''\n\
                     ELSE {code} || ' ' || {other} END,\n\
             NULL, t, t,\n\
             upper({description} || '\n' || {bank_ref_of})\n\
             FROM (SELECT i, (i - 1) % {orders} AS o, {time} AS t,\n\
                   CASE WHEN (i * {waiting_percent}) % 100 >= {waiting_percent} THEN 'matched'\n\
                        WHEN i % 3 = 0 THEN 'unknown_order'\n\
                        WHEN i % 3 = 1 THEN 'unmatched'\n\
                        ELSE 'ambiguous' END AS st\n\
                   FROM s) AS seed",
            ext = TransactionSeed::EXTERNAL_ID_BASE,
            unknown = TransactionSeed::UNKNOWN_CODE_BASE,
        );
        let columns = "source, external_id, bank_ref, description, amount, running_balance, \
                       occurred_at, account, status, order_id, candidates, delivery_id, \
                       received_at, updated_at, search_text";
        let sql = match self.kind() {
            BackendKind::Sqlite => format!(
                "BEGIN;\n\
                 WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count})\n\
                 INSERT INTO bank_transactions ({columns})\n\
                 {select};\n\
                 INSERT INTO bank_transactions_search (rowid, search_text)\n\
                 SELECT id, search_text FROM bank_transactions WHERE search_text IS NOT NULL;\n\
                 UPDATE bank_transactions_indexed SET through = (SELECT MAX(id) FROM bank_transactions);\n\
                 COMMIT;\n"
            ),
            // `bigint` series: `i * 7919` passes 2^31 at a million.
            BackendKind::Postgres => format!(
                "WITH s(i) AS (SELECT generate_series(1::bigint, {count}::bigint))\n\
                 INSERT INTO bank_transactions ({columns})\n\
                 {select};\n\
                 VACUUM ANALYZE bank_transactions;\n"
            ),
        };
        self.sql(&sql).await.map(|_| ())
    }

    /// Transactions stored per status, webhook deliveries stored, and the sum of
    /// `amount_received` over all orders (in VND).
    pub async fn tally(&self) -> Result<Tally> {
        let statuses = self
            .sql("SELECT status, count(*) FROM bank_transactions GROUP BY status ORDER BY status;")
            .await?;
        let by_status = statuses
            .lines()
            .filter_map(|l| {
                let (s, n) = l.split_once('|')?;
                Some((s.to_string(), n.trim().parse().ok()?))
            })
            .collect();
        let deliveries = self
            .sql("SELECT count(*) FROM webhook_deliveries;")
            .await?
            .trim()
            .parse()
            .unwrap_or(0);
        let received = self
            .sql("SELECT CAST(COALESCE(SUM(amount_received), 0) / 10000 AS BIGINT) FROM orders;")
            .await?
            .trim()
            .parse()
            .unwrap_or(0);
        Ok(Tally {
            transactions_by_status: by_status,
            deliveries,
            amount_received_vnd: received,
        })
    }
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Tally {
    pub transactions_by_status: std::collections::BTreeMap<String, u64>,
    pub deliveries: u64,
    pub amount_received_vnd: u64,
}

impl Drop for Database {
    fn drop(&mut self) {
        if std::env::var_os("PM_BENCH_KEEP_DATABASE").is_some() {
            if let Database::Sqlite { dir, .. } = self {
                let _ = dir.take().map(tempfile::TempDir::keep);
            }
            eprintln!("kept the benchmark database {}", self.url());
            return;
        }
        if let Database::Postgres {
            admin_url, name, ..
        } = self
        {
            // Synchronous: this also runs while unwinding from an error.
            let result = Command::new("psql")
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_url, "-c"])
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .stdout(Stdio::null())
                .status();
            if !matches!(result, Ok(s) if s.success()) {
                eprintln!("warning: could not drop the benchmark database {name}");
            }
        }
        // The SQLite directory goes with its TempDir.
    }
}

async fn run_client(mut cmd: tokio::process::Command, input: &str, what: &str) -> Result<String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {what} (is it installed?)"))?;
    let mut stdin = child.stdin.take().context("stdin")?;
    stdin.write_all(input.as_bytes()).await?;
    drop(stdin);
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn psql(url: &str, sql: &str) -> Result<String> {
    let mut cmd = tokio::process::Command::new("psql");
    cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url]);
    run_client(cmd, sql, "psql").await
}

async fn sqlite3(path: &Path, sql: &str) -> Result<String> {
    let mut cmd = tokio::process::Command::new("sqlite3");
    cmd.args(["-bail", "-batch", "-cmd", ".timeout 10000"])
        .arg(path);
    run_client(cmd, sql, "sqlite3").await
}

/// The bank transactions that the scale point inserts beside its orders.
///
/// Transaction `i` (1-based) is waiting for an admin when `(i × waiting_percent) mod 100 <
/// waiting_percent`, which spreads the backlog evenly over the ids; the waiting ones take
/// turns (by `i mod 3`) as `unknown_order` (names a code no order has), `unmatched` (names no
/// code) and `ambiguous` (names two open orders). The others are `matched` and each points at
/// one order, in turn. Every column is filled as the server fills it for a Casso webhook,
/// except `delivery_id`, which stays NULL as for transactions that a reconciliation imported.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct TransactionSeed {
    pub count: u64,
    pub waiting_percent: u64,
    /// Ids of the seeded orders, and the code number of the first (`DH<code_base>`).
    pub order_ids: (i64, i64),
    /// Ids of the inserted transactions (known once they are in).
    pub transaction_ids: (i64, i64),
    pub code_base: u64,
    pub payment_vnd: u64,
    /// Seconds between two transactions' `received_at`.
    pub interval_s: u64,
}

impl TransactionSeed {
    /// Casso ids of seeded transactions start above this (the load's webhooks count from 1).
    pub const EXTERNAL_ID_BASE: u64 = 9_000_000_000;
    pub const BANK_REF_BASE: u64 = 8_000_000_000;
    /// `unknown_order` transactions name `DH<UNKNOWN_CODE_BASE + i>`, which no order has.
    pub const UNKNOWN_CODE_BASE: u64 = 5_000_000_000;
    /// `unmatched` descriptions end in `MA GD <UNMATCHED_REF_BASE + i>`, unique to each.
    pub const UNMATCHED_REF_BASE: u64 = 7_000_000_000;

    /// Whether transaction `i` waits in the queue, and as what.
    pub fn status_of(&self, i: u64) -> &'static str {
        if (i * self.waiting_percent) % 100 >= self.waiting_percent {
            "matched"
        } else {
            match i % 3 {
                0 => "unknown_order",
                1 => "unmatched",
                _ => "ambiguous",
            }
        }
    }

    /// An `unmatched` transaction near the middle of the table, and the text that only its
    /// description holds: what an admin searching for one transfer types.
    pub fn needle(&self) -> (u64, String) {
        let i = (self.count / 2..=self.count)
            .chain(1..self.count / 2)
            .find(|&i| self.status_of(i) == "unmatched")
            .unwrap_or(1);
        (i, (Self::UNMATCHED_REF_BASE + i).to_string())
    }
}

/// The status of the orders that the scale point inserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedStatus {
    Pending,
    PartiallyPaid,
}

/// How the server is configured for a run.
#[derive(Clone)]
pub struct ServerOptions {
    pub bin: PathBuf,
    pub worker: bool,
    pub log_level: String,
    /// `PAYMATCH_SQLITE_WAL_LIMIT` (unset: the server's default).
    pub sqlite_wal_limit: Option<String>,
}

fn environment(db: &Database, opts: &ServerOptions) -> Vec<(&'static str, String)> {
    let wal_limit = opts.sqlite_wal_limit.clone();
    let mut vars = vec![
        ("PAYMATCH_DATABASE_URL", db.url()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", SECURE_TOKEN.into()),
        ("PAYMATCH_API_KEY", API_KEY.into()),
        ("PAYMATCH_ADMIN_PASSWORD", ADMIN_PASSWORD.into()),
        ("PAYMATCH_NOTIFY_SECRET", NOTIFY_SECRET.into()),
        ("PAYMATCH_WORKER", opts.worker.to_string()),
        ("RUST_LOG", opts.log_level.clone()),
    ];
    vars.extend(wal_limit.map(|limit| ("PAYMATCH_SQLITE_WAL_LIMIT", limit)));
    vars
}

fn command(db: &Database, opts: &ServerOptions, args: &[&str]) -> Command {
    let mut cmd = Command::new(&opts.bin);
    cmd.args(args).env_clear().current_dir(db.work_dir());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.envs(environment(db, opts));
    cmd
}

/// `paymatch migrate`: creates the schema before orders are inserted with SQL.
pub async fn migrate(db: &Database, opts: &ServerOptions) -> Result<()> {
    let cmd = tokio::process::Command::from(command(db, opts, &["migrate"]));
    run_client(cmd, "", "paymatch migrate").await.map(|_| ())
}

/// A running `paymatch serve`; SIGTERM (then SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    stderr_path: PathBuf,
    _logs: tempfile::TempDir,
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// Starts `paymatch serve` on a free loopback port and waits for `/healthz`.
    pub async fn start(db: &Database, opts: &ServerOptions) -> Result<Server> {
        let mut last_error = None;
        // The port may be taken between the probe and the bind: then try another.
        for _ in 0..3 {
            match Server::start_once(db, opts).await {
                Ok(server) => return Ok(server),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("server did not start")))
    }

    async fn start_once(db: &Database, opts: &ServerOptions) -> Result<Server> {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let logs = tempfile::Builder::new()
            .prefix("paymatch-bench-logs-")
            .tempdir()?;
        let stderr_path = logs.path().join("stderr");
        let child = command(db, opts, &["serve"])
            .env("PAYMATCH_BIND", addr.to_string())
            .stdin(Stdio::null())
            .stdout(File::create(logs.path().join("stdout"))?)
            .stderr(File::create(&stderr_path)?)
            .spawn()
            .with_context(|| format!("starting {}", opts.bin.display()))?;
        let mut server = Server {
            pid: child.id(),
            child,
            addr,
            stderr_path,
            _logs: logs,
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()?;
        let url = format!("http://{addr}/healthz");
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "paymatch serve exited at start ({status}):\n{}",
                    server.log_tail(20)
                );
            }
            if let Ok(resp) = client.get(&url).send().await {
                if resp.status().is_success() {
                    return Ok(server);
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "paymatch serve not ready after {READY_TIMEOUT:?}:\n{}",
                    server.log_tail(20)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.stderr_path).unwrap_or_default()).into_owned()
    }

    pub fn log_tail(&self, n: usize) -> String {
        let logs = self.logs();
        let lines: Vec<&str> = logs.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// SIGTERM, then waits for the exit (SIGKILL after [`STOP_TIMEOUT`]).
    pub fn stop(&mut self) -> Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        let _ = kill(Pid::from_raw(self.pid as i32), Signal::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let status = self.child.wait()?;
                bail!(
                    "paymatch did not stop within {STOP_TIMEOUT:?} of SIGTERM; killed ({status})"
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
