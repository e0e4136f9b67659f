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
const ADMIN_PASSWORD: &str = "bench-admin-password-0123";
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

/// A database made for one run, removed when dropped.
pub enum Database {
    Sqlite {
        dir: tempfile::TempDir,
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
                Ok(Database::Sqlite { dir, path })
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
            Database::Sqlite { dir, .. } => dir.path().to_path_buf(),
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
        let columns = "code, reference, amount, currency, status, amount_received, notify_url, \
                       created_at, updated_at, paid_at, expires_at";
        let values = format!(
            "'DH' || ({first} - 1 + i), NULL, {amount}, 'VND', '{status}', {received}, NULL, \
             '{now}', '{now}', NULL, NULL"
        );
        let sql = match self.kind() {
            BackendKind::Sqlite => format!(
                "BEGIN;\n\
                 WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count})\n\
                 INSERT INTO orders ({columns}) SELECT {values} FROM s;\n\
                 COMMIT;\n"
            ),
            // ANALYZE: autovacuum would do it shortly after such a load anyway.
            BackendKind::Postgres => format!(
                "INSERT INTO orders ({columns}) SELECT {values} FROM generate_series(1, {count}) AS i;\n\
                 ANALYZE orders;\n"
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
}

fn environment(db: &Database, opts: &ServerOptions) -> Vec<(&'static str, String)> {
    vec![
        ("PAYMATCH_DATABASE_URL", db.url()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", SECURE_TOKEN.into()),
        ("PAYMATCH_API_KEY", API_KEY.into()),
        ("PAYMATCH_ADMIN_PASSWORD", ADMIN_PASSWORD.into()),
        ("PAYMATCH_NOTIFY_SECRET", NOTIFY_SECRET.into()),
        ("PAYMATCH_WORKER", opts.worker.to_string()),
        ("RUST_LOG", opts.log_level.clone()),
    ]
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
