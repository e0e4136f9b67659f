//! `load`: the load harness of paymatch (issue 5).
//!
//! For each backend asked for (SQLite, PostgreSQL), on a fresh database and a `paymatch serve`
//! of its own on a loopback port: creates open orders through the API, then measures
//! (a) the no-op baseline `GET /livez` at full speed, (b) distinct Casso webhooks that each pay
//! part of a random open order at full speed, (c) the same at a fixed rate, open loop,
//! (d) the server's peak resident memory all along and, with `--scale`, (e) with 1,000 and
//! with 1,000,000 open orders and bank transactions: the webhooks' per-request time, the
//! storefront API's and the admin queue's reads, and the plans of those reads' statements
//! (`results/explain-<backend>.txt`). Prints a table per backend and writes the figures to
//! `results/<backend>.json`. See README.md beside this file.

mod explain;
mod load;
mod lookups;
mod procfs;
mod server;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use serde::Serialize;

use load::{Measured, Target, Traffic};
use procfs::{CpuSnapshot, CpuUse, MemorySampler};
use server::{BackendKind, Database, SeedStatus, Server, ServerOptions, TransactionSeed};

/// Load harness for paymatch: no-op baseline, webhook throughput and latency, memory, scale.
#[derive(Parser, Debug)]
#[command(name = "load", version)]
struct Args {
    /// Backends to measure, in order (repeat the flag for several).
    #[arg(long = "backend", value_enum, default_values_t = [BackendKind::Sqlite, BackendKind::Postgres])]
    backends: Vec<BackendKind>,
    /// A paymatch binary to use instead of building one (`cargo build --release`).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Open orders created through the API before the load.
    #[arg(long, default_value_t = 2000)]
    orders: u64,
    /// Concurrent connections in the full-speed phases.
    #[arg(long, short = 'c', default_value_t = 64)]
    connections: usize,
    /// Seconds each measured phase lasts.
    #[arg(long, short = 'd', default_value_t = 10)]
    duration: u64,
    /// Seconds of unmeasured load before each full-speed phase.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Webhooks per second in the fixed-rate (open-loop) phase.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Most connections the open-loop phase may open.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Also measure the scale point: per-request time with `--scale-small` and with
    /// `--scale-large` open orders (inserted with SQL; takes a minute or more per backend).
    #[arg(long)]
    scale: bool,
    #[arg(long, default_value_t = 1_000)]
    scale_small: u64,
    #[arg(long, default_value_t = 1_000_000)]
    scale_large: u64,
    /// Status of the orders inserted for the scale point. `partially-paid` (the default): every
    /// webhook of both points finds an order that is already partially paid, so both do the
    /// same writes and only the number of open orders differs. `pending`: with many orders
    /// nearly every webhook is an order's first payment (its status changes, and with it its
    /// index entries), with few orders almost none is.
    #[arg(long, value_enum, default_value_t = SeedStatus::PartiallyPaid)]
    scale_seed_status: SeedStatus,
    /// Share of the scale point's bank transactions (as many as orders) that wait in the
    /// admin queue, in %.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
    scale_waiting_percent: u64,
    /// Only the scale point (seeding, webhooks, lookups, plans): no baseline, no webhook
    /// phases of the main run. Writes `<backend>-scale.json`.
    #[arg(long)]
    scale_only: bool,
    /// Only the scale point's lookups and plans (no webhooks at all). Writes
    /// `<backend>-scale.json`.
    #[arg(long)]
    lookups_only: bool,
    /// Connections of the scale lookups' concurrent measurement.
    #[arg(long, default_value_t = 8)]
    lookup_connections: usize,
    /// Seconds each scale lookup is measured, concurrently and then serially.
    #[arg(long, default_value_t = 3.0)]
    lookup_duration: f64,
    /// Unmeasured seconds of each lookup before its measurement.
    #[arg(long, default_value_t = 1.0)]
    lookup_warmup: f64,
    /// A PostgreSQL database to connect to for `CREATE DATABASE` / `DROP DATABASE` of the
    /// run's own database.
    #[arg(
        long,
        env = "PM_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// Run the server with its background worker (`PAYMATCH_WORKER`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    worker: bool,
    /// `PAYMATCH_SQLITE_WAL_LIMIT` of the SQLite server; repeat it to run SQLite once per
    /// value in the same run (e.g. `64MiB` and `1TiB`, which leaves the WAL unbounded).
    #[arg(long)]
    sqlite_wal_limit: Vec<String>,
    /// Threads of the load client's runtime (it shares the machine with the server).
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Where the JSON results go (default: `results/` beside this crate's Cargo.toml).
    #[arg(long)]
    results_dir: Option<PathBuf>,
}

impl Args {
    fn duration(&self) -> Duration {
        Duration::from_secs(self.duration)
    }
    fn warmup(&self) -> Duration {
        Duration::from_secs(self.warmup)
    }
    /// Only the scale point, without the main run.
    fn scale_alone(&self) -> bool {
        self.scale_only || self.lookups_only
    }
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcome = runtime.block_on(async {
        let terminate = async {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut s) => s.recv().await,
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            r = run(&args) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
            _ = terminate => Err(anyhow::anyhow!("terminated")),
        }
    });
    // The run's future is dropped by now: servers stopped, databases removed.
    if let Err(e) = outcome {
        eprintln!("load: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: &Args) -> Result<()> {
    let bench_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let main_dir = bench_dir
        .parent()
        .context("the bench crate lives in the main crate")?;
    let bin = match &args.bin {
        // The server runs in another directory: a relative path must be made absolute.
        Some(bin) => std::fs::canonicalize(bin)
            .with_context(|| format!("no paymatch binary at {}", bin.display()))?,
        None => {
            server::build_paymatch(main_dir, &bench_dir.join("target").join("paymatch")).await?
        }
    };
    let commit = if args.bin.is_some() {
        format!("binary {}", bin.display())
    } else {
        git_commit(main_dir)
    };
    let results_dir = args
        .results_dir
        .clone()
        .unwrap_or_else(|| bench_dir.join("results"));
    std::fs::create_dir_all(&results_dir)?;
    let opts = ServerOptions {
        bin,
        worker: args.worker,
        log_level: "warn".into(),
        sqlite_wal_limit: None,
    };
    if args.scale_alone() {
        let mut summary = Vec::new();
        for &kind in &args.backends {
            eprintln!("{}:", kind.name());
            let report = ScaleReport {
                backend: kind,
                date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
                machine: procfs::machine_description(),
                paymatch: commit.clone(),
                load_average_start: procfs::load_average(),
                scale: run_scale(args, kind, &opts, &results_dir).await?,
                load_average_end: procfs::load_average(),
            };
            println!(
                "\n== {} == scale point only; {}; paymatch {}; load average {:.2} at start, {:.2} at end",
                kind.name(),
                report.date,
                report.paymatch,
                report.load_average_start,
                report.load_average_end
            );
            print_scale(&report.scale);
            let path = results_dir.join(format!("{}-scale.json", kind.name()));
            std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
            println!("  written to {}\n", path.display());
            summary.push((kind, report.scale));
        }
        println!("== summary ==");
        for (kind, scale) in &summary {
            print_lookup_summary(*kind, scale);
        }
        return Ok(());
    }
    let mut summary = Vec::new();
    for &kind in &args.backends {
        let wal_limits = match kind {
            BackendKind::Sqlite if !args.sqlite_wal_limit.is_empty() => {
                args.sqlite_wal_limit.iter().cloned().map(Some).collect()
            }
            _ => vec![None],
        };
        for wal_limit in wal_limits {
            let opts = ServerOptions {
                sqlite_wal_limit: wal_limit.clone(),
                ..opts.clone()
            };
            let report = run_backend(args, kind, &opts, &commit, &results_dir).await?;
            print_report(args, &report);
            let suffix = wal_limit.map_or(String::new(), |l| format!("-wal-{l}"));
            let path = results_dir.join(format!("{}{suffix}.json", kind.name()));
            std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
            println!("  written to {}\n", path.display());
            summary.push(report);
        }
    }
    print_summary(args, &summary);
    Ok(())
}

fn print_summary(args: &Args, reports: &[BackendReport]) {
    println!("== summary: webhooks, full speed, side by side ==");
    // The ratio is to SQLite's rate in this run, so it holds when the machine is busy.
    let sqlite_rate = reports
        .iter()
        .find(|r| r.backend == BackendKind::Sqlite)
        .map(|r| r.phases[1].measured.rate_per_s);
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    println!(
        "  {:<16} {:>11} {:>7} {:>7} {:>8} {:>12} {:>12} {:>9} {:>9} {:>9} {:>7} {:>7}",
        "backend",
        "webhooks/s",
        "p50 ms",
        "p99 ms",
        "×SQLite",
        format!("p99 @{}/s", args.rate),
        "2 procs /s",
        "peak RSS",
        "WAL peak",
        "WAL exit",
        "errors",
        "scale"
    );
    for r in reports {
        let hooks = &r.phases[1].measured;
        let errors: u64 = r.phases.iter().map(|p| p.measured.error_count()).sum();
        let two = r.phases.iter().find(|p| p.name == "webhooks_two_processes");
        println!(
            "  {:<16} {:>11.0} {:>7.2} {:>7.2} {:>8} {:>9.1} ms {:>12} {:>5.1} MiB {:>9} {:>9} {:>7} {:>7}",
            r.label(),
            hooks.rate_per_s,
            hooks.latency.p50_ms,
            hooks.latency.p99_ms,
            or_dash(sqlite_rate.map(|s| format!("{:.2}", hooks.rate_per_s / s))),
            r.phases[2].measured.latency.p99_ms,
            or_dash(two.map(|p| format!("{:.0}", p.measured.rate_per_s))),
            r.peak_rss_mib,
            or_dash(r.wal.as_ref().map(|w| format!("{:.1} MiB", w.peak_mib))),
            or_dash(r.wal.as_ref().map(|w| format!("{:.1} MiB", w.after_exit_mib))),
            errors,
            r.scale
                .as_ref()
                .and_then(|s| s.per_request_ratio)
                .map_or("-".to_string(), |r| format!("{r:.2}×")),
        );
    }
    for r in reports {
        if let Some(scale) = &r.scale {
            print_lookup_summary(r.backend, scale);
        }
    }
}

/// One line per backend: which scale lookups stay flat and which grow.
fn print_lookup_summary(kind: BackendKind, scale: &Scale) {
    let (flat, growing): (Vec<&lookups::Comparison>, Vec<&lookups::Comparison>) =
        scale.lookups.iter().partition(|c| !c.grows);
    println!(
        "  {:<9} scale reads {} ÷ {}: {} of {} stay flat (serial p50 within {}×, or less than {} \
         ms slower; the time per request at {} connections is beside it){}{}",
        kind.name(),
        scale.large.orders,
        scale.small.orders,
        flat.len(),
        scale.lookups.len(),
        lookups::GROWTH_LIMIT,
        lookups::GROWTH_MIN_MS,
        scale.lookup_settings.connections,
        if growing.is_empty() { "" } else { "; grow: " },
        growing
            .iter()
            .map(|c| format!(
                "{} ×{:.1} (p50 {:.2} → {:.2} ms; at {} conn. ×{:.1})",
                c.query,
                c.serial_p50_ratio,
                c.small.serial_p50_ms,
                c.large.serial_p50_ms,
                scale.lookup_settings.connections,
                c.concurrent_time_ratio
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let flagged: Vec<&str> = scale
        .lookups
        .iter()
        .filter(|c| c.flagged)
        .map(|c| c.query)
        .collect();
    if !flagged.is_empty() {
        println!(
            "  {:<9} FLAG (a full scan, or work ×{} or more, where an index was expected): {}",
            "",
            explain::WORK_GROWTH_FLAG,
            flagged.join(", ")
        );
    }
}

fn git_commit(dir: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&[
        "status",
        "--porcelain",
        "--",
        "src",
        "migrations",
        "templates",
        "static",
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
    ])
    .is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head} with uncommitted changes")
    } else {
        head
    }
}

/// One measured phase: what the client saw and what the server used meanwhile.
#[derive(Serialize, Debug, Clone)]
struct Phase {
    name: &'static str,
    what: String,
    #[serde(flatten)]
    measured: Measured,
    cpu: CpuUse,
    /// Server CPU time per successful request, µs (for PostgreSQL, without the database's own
    /// processes).
    server_cpu_us_per_request: f64,
    /// KiB the server wrote per successful request (SQLite: WAL and checkpoints; PostgreSQL:
    /// nothing of the database's own).
    server_kib_written_per_request: f64,
    /// Highest resident memory of the server during the phase, MiB (sampled every 50 ms).
    peak_rss_mib: f64,
    /// 1-minute load average at the end of the phase (other work on the machine shows here).
    load_average: f64,
}

async fn measure(
    name: &'static str,
    what: String,
    server: &Server,
    sampler: &MemorySampler,
    load: impl Future<Output = Measured>,
) -> Phase {
    eprintln!("  {name}: {what} …");
    sampler.take_phase_peak();
    let before = CpuSnapshot::take(server.pid);
    let start = Instant::now();
    let measured = load.await;
    let cpu = CpuSnapshot::take(server.pid).since(&before, start.elapsed().as_secs_f64());
    let peak = sampler.take_phase_peak();
    Phase {
        name,
        what,
        server_cpu_us_per_request: cpu.server_seconds * 1e6 / measured.ok.max(1) as f64,
        server_kib_written_per_request: cpu.server_written_bytes as f64
            / 1024.0
            / measured.ok.max(1) as f64,
        cpu,
        peak_rss_mib: mib(peak),
        load_average: procfs::load_average(),
        measured,
    }
}

fn mib(kib: u64) -> f64 {
    (kib as f64 / 1024.0 * 10.0).round() / 10.0
}

#[derive(Serialize, Debug)]
struct Settings {
    orders: u64,
    connections: usize,
    duration_s: u64,
    warmup_s: u64,
    rate_per_s: u32,
    worker: bool,
    client_threads: usize,
}

#[derive(Serialize, Debug)]
struct Ratios {
    /// Webhooks per second at full speed ÷ baseline requests per second.
    webhooks_per_s_over_baseline: f64,
    /// Webhook p50 ÷ baseline p50, both at full speed on the same connections.
    webhook_p50_over_baseline_p50: f64,
    webhook_p99_over_baseline_p99: f64,
    /// Fixed-rate p99 ÷ baseline p50 at full speed.
    rate_p99_over_baseline_p50: f64,
}

#[derive(Serialize, Debug)]
struct Check {
    /// Webhooks sent over the whole run (warm-ups included) and answered 200 accepted:1.
    webhooks_sent: u64,
    webhooks_acknowledged: u64,
    stored: server::Tally,
    /// acknowledged × payment: what the orders must have received if every acknowledged
    /// webhook was matched and applied exactly once.
    expected_amount_received_vnd: u64,
    consistent: bool,
}

#[derive(Serialize, Debug)]
struct ServerEnd {
    exit: String,
    warn_lines: usize,
    error_lines: usize,
    log_samples: Vec<String>,
}

#[derive(Serialize, Debug)]
struct ScalePoint {
    orders: u64,
    seeded_status: SeedStatus,
    seed_seconds: f64,
    /// The bank transactions inserted beside the orders, and how long that took.
    transactions: TransactionSeed,
    transactions_seed_seconds: f64,
    /// Full speed on `connections` connections (none with `--lookups-only`).
    full_speed: Option<Phase>,
    /// One connection, one request at a time: per-request time without queueing.
    serial: Option<Phase>,
    /// 1000 ÷ webhooks per second at full speed, ms: the server's time per webhook.
    per_request_ms: Option<f64>,
    /// The reads of the API and the admin queue (measured before the webhooks).
    lookups: Vec<lookups::Run>,
    /// The plans of their statements on this database, after the reads.
    plans: Vec<explain::Plan>,
}

#[derive(Serialize, Debug)]
struct Scale {
    small: ScalePoint,
    large: ScalePoint,
    /// large ÷ small per-request time at full speed (target ≤ 1.5).
    per_request_ratio: Option<f64>,
    /// large ÷ small mean latency of the serial phase.
    serial_mean_ratio: Option<f64>,
    lookup_settings: lookups::Settings,
    /// Each read, large against small, with its plan's verdict.
    lookups: Vec<lookups::Comparison>,
    /// Where the plans were written.
    explain_file: String,
}

/// What `--scale-only` and `--lookups-only` write: the scale point alone.
#[derive(Serialize, Debug)]
struct ScaleReport {
    backend: BackendKind,
    date: String,
    machine: serde_json::Value,
    paymatch: String,
    load_average_start: f64,
    load_average_end: f64,
    scale: Scale,
}

#[derive(Serialize, Debug)]
struct TargetCheck {
    target: String,
    measured: String,
    met: bool,
}

/// SQLite's `-wal` file, sampled with the memory.
#[derive(Serialize, Debug)]
struct Wal {
    /// `PAYMATCH_SQLITE_WAL_LIMIT` (none: the server's default, 64 MiB).
    limit: Option<String>,
    peak_mib: f64,
    /// After the server's clean stop (SIGTERM).
    after_exit_mib: f64,
}

#[derive(Serialize, Debug)]
struct BackendReport {
    backend: BackendKind,
    date: String,
    machine: serde_json::Value,
    paymatch: String,
    settings: Settings,
    load_average_start: f64,
    load_average_end: f64,
    /// CPU that neither the server nor the load client used during the baseline phase, % of one
    /// core: nothing else of the benchmark runs then, so this is other work on the machine.
    other_cpu_percent_during_baseline: f64,
    orders_created_through_api_per_s: f64,
    phases: Vec<Phase>,
    ratios: Ratios,
    peak_rss_mib: f64,
    /// The kernel's high-water mark of resident memory since the process started (so including
    /// its start-up), at the end of the run and right after it was ready.
    vm_hwm_mib: f64,
    vm_hwm_at_start_mib: f64,
    rss_at_start_mib: f64,
    check: Check,
    server: ServerEnd,
    scale: Option<Scale>,
    targets: Vec<TargetCheck>,
    /// SQLite only.
    wal: Option<Wal>,
}

impl BackendReport {
    /// The backend, and the WAL limit when the run sets one.
    fn label(&self) -> String {
        match self.wal.as_ref().and_then(|w| w.limit.as_ref()) {
            Some(limit) => format!("{} wal {limit}", self.backend.name()),
            None => self.backend.name().to_string(),
        }
    }
}

async fn run_backend(
    args: &Args,
    kind: BackendKind,
    opts: &ServerOptions,
    commit: &str,
    results_dir: &Path,
) -> Result<BackendReport> {
    eprintln!("{}:", kind.name());
    let load_average_start = procfs::load_average();
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    // Dropped in reverse order: the server stops before its database goes.
    let db = Database::create(kind, &args.postgres_url).await?;
    let mut server = Server::start(&db, opts).await?;
    let sampler = MemorySampler::start(server.pid);
    let wal_kib = |file: &Path| std::fs::metadata(file).map_or(0, |m| m.len() / 1024);
    let wal_sampler = db
        .wal_file()
        .map(|file| MemorySampler::watch(move || Some(wal_kib(&file))));
    let addr = server.addr;
    let vm_hwm_at_start = procfs::status_kib(server.pid, "VmHWM").unwrap_or(0);
    let rss_at_start = procfs::status_kib(server.pid, "VmRSS").unwrap_or(0);

    eprintln!("  creating {} orders through the API …", args.orders);
    let took = load::create_orders(addr, args.orders, 16).await?;
    let orders_per_s = args.orders as f64 / took.as_secs_f64();

    let livez = Arc::new(Target::Livez);
    let traffic = Arc::new(Traffic::new(args.orders));
    let webhooks = Arc::new(Target::Webhook(traffic.clone()));
    let c = args.connections;
    let mut phases = Vec::new();

    load::closed_loop(addr, livez.clone(), c, args.warmup()).await;
    phases.push(
        measure(
            "baseline",
            format!("GET /livez, {c} connections, full speed"),
            &server,
            &sampler,
            load::closed_loop(addr, livez, c, args.duration()),
        )
        .await,
    );
    load::closed_loop(addr, webhooks.clone(), c, args.warmup()).await;
    phases.push(
        measure(
            "webhooks",
            format!("POST /webhooks/casso, {c} connections, full speed"),
            &server,
            &sampler,
            load::closed_loop(addr, webhooks.clone(), c, args.duration()),
        )
        .await,
    );
    // Let the server drain whatever the full-speed phase left (queues, checkpoints).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rate = f64::from(args.rate);
    phases.push(
        measure(
            "webhooks_fixed_rate",
            format!("POST /webhooks/casso, {} per second, open loop", args.rate),
            &server,
            &sampler,
            load::open_loop(
                addr,
                webhooks.clone(),
                rate,
                args.duration(),
                args.max_connections,
            ),
        )
        .await,
    );

    if kind == BackendKind::Postgres {
        // Several `paymatch serve` behind a load balancer: a second process on the same
        // database, the connections spread over both.
        let mut second = Server::start(&db, opts).await?;
        let both = [addr, second.addr];
        load::closed_loop_spread(&both, webhooks.clone(), c, args.warmup()).await;
        phases.push(
            measure(
                "webhooks_two_processes",
                format!("POST /webhooks/casso to two servers on one database, {c} connections"),
                &server,
                &sampler,
                load::closed_loop_spread(&both, webhooks.clone(), c, args.duration()),
            )
            .await,
        );
        second.stop()?;
    }

    let vm_hwm = procfs::status_kib(server.pid, "VmHWM").unwrap_or(0);
    let peak_rss = sampler.run_peak();
    drop(sampler);
    let exit = match server.stop() {
        Ok(status) => status.to_string(),
        Err(e) => format!("{e:#}"),
    };
    let wal = db.wal_file().zip(wal_sampler).map(|(file, sampler)| Wal {
        limit: opts.sqlite_wal_limit.clone(),
        peak_mib: mib(sampler.run_peak()),
        after_exit_mib: mib(wal_kib(&file)),
    });
    let logs = server.logs();
    let count = |level: &str| logs.lines().filter(|l| l.contains(level)).count();
    let server_end = ServerEnd {
        exit,
        warn_lines: count(" WARN "),
        error_lines: count(" ERROR "),
        log_samples: distinct_log_lines(&logs),
    };
    drop(server);

    let stored = db.tally().await?;
    let expected = traffic.acknowledged() * load::PAYMENT_VND;
    let matched = stored
        .transactions_by_status
        .get("matched")
        .copied()
        .unwrap_or(0);
    let check = Check {
        webhooks_sent: traffic.sent(),
        webhooks_acknowledged: traffic.acknowledged(),
        consistent: matched == traffic.acknowledged()
            && stored.amount_received_vnd == expected
            && stored.transactions_by_status.len() == 1,
        expected_amount_received_vnd: expected,
        stored,
    };
    drop(db);

    let scale = if args.scale {
        Some(run_scale(args, kind, opts, results_dir).await?)
    } else {
        None
    };

    let (base, hooks, fixed) = (
        &phases[0].measured,
        &phases[1].measured,
        &phases[2].measured,
    );
    let ratios = Ratios {
        webhooks_per_s_over_baseline: hooks.rate_per_s / base.rate_per_s,
        webhook_p50_over_baseline_p50: hooks.latency.p50_ms / base.latency.p50_ms,
        webhook_p99_over_baseline_p99: hooks.latency.p99_ms / base.latency.p99_ms,
        rate_p99_over_baseline_p50: fixed.latency.p99_ms / base.latency.p50_ms,
    };
    let mut report = BackendReport {
        backend: kind,
        date,
        machine: procfs::machine_description(),
        paymatch: commit.to_string(),
        settings: Settings {
            orders: args.orders,
            connections: args.connections,
            duration_s: args.duration,
            warmup_s: args.warmup,
            rate_per_s: args.rate,
            worker: args.worker,
            client_threads: args.client_threads,
        },
        load_average_start,
        load_average_end: procfs::load_average(),
        other_cpu_percent_during_baseline: {
            let cpu = &phases[0].cpu;
            (cpu.machine_percent - cpu.server_percent - cpu.client_percent).max(0.0)
        },
        orders_created_through_api_per_s: orders_per_s,
        phases,
        ratios,
        peak_rss_mib: mib(peak_rss),
        vm_hwm_mib: mib(vm_hwm),
        vm_hwm_at_start_mib: mib(vm_hwm_at_start),
        rss_at_start_mib: mib(rss_at_start),
        check,
        server: server_end,
        scale,
        targets: Vec::new(),
        wal,
    };
    report.targets = targets(args, &report);
    Ok(report)
}

/// Warnings and errors of the server's log, the same message counted once (timestamps cut):
/// `"N × message"`, most frequent first.
fn distinct_log_lines(logs: &str) -> Vec<String> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for line in logs
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
    {
        let message = line.split_once(' ').map_or(line, |(_, rest)| rest).trim();
        let message: String = message.chars().take(300).collect();
        *counts.entry(message).or_default() += 1;
    }
    let mut lines: Vec<(usize, String)> = counts.into_iter().map(|(m, n)| (n, m)).collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.0));
    lines
        .into_iter()
        .take(8)
        .map(|(n, m)| format!("{n} × {m}"))
        .collect()
}

/// The scale point: the same webhooks and reads with few and with many open orders (and as
/// many bank transactions), each on a fresh database whose rows are inserted with SQL.
async fn run_scale(
    args: &Args,
    kind: BackendKind,
    opts: &ServerOptions,
    results_dir: &Path,
) -> Result<Scale> {
    let mut small = scale_point(args, kind, opts, args.scale_small).await?;
    let mut large = scale_point(args, kind, opts, args.scale_large).await?;
    explain::compare(&mut small.plans, &mut large.plans);
    let ratio = |f: fn(&ScalePoint) -> Option<f64>| Some(f(&large)? / f(&small)?);
    let explain_file = results_dir.join(format!("explain-{}.txt", kind.name()));
    explain::write_file(
        &explain_file,
        kind,
        &format!(
            "{}, paymatch {}",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
            if args.bin.is_some() {
                "binary given with --bin"
            } else {
                "built from this tree"
            }
        ),
        &[
            (large.orders, large.plans.as_slice()),
            (small.orders, small.plans.as_slice()),
        ],
    )?;
    let ctx_large = scale_context(args, &large);
    Ok(Scale {
        per_request_ratio: ratio(|p| p.per_request_ms),
        serial_mean_ratio: ratio(|p| Some(p.serial.as_ref()?.measured.latency.mean_ms)),
        lookup_settings: lookup_settings(args),
        lookups: lookups::compare(&small.lookups, &large.lookups, &ctx_large, &large.plans),
        // Relative to the bench crate when it is inside it (the default `results/`).
        explain_file: explain_file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&explain_file)
            .display()
            .to_string(),
        small,
        large,
    })
}

fn lookup_settings(args: &Args) -> lookups::Settings {
    lookups::Settings {
        connections: args.lookup_connections,
        duration_s: args.lookup_duration,
        warmup_s: args.lookup_warmup,
    }
}

/// What the reads need to know of a seeded database.
fn scale_context(args: &Args, point: &ScalePoint) -> lookups::Context {
    let seed = &point.transactions;
    lookups::Context {
        orders: point.orders,
        order_ids: seed.order_ids,
        transaction_ids: seed.transaction_ids,
        waiting_percent: seed.waiting_percent,
        code_base: seed.code_base,
        seed_status: match args.scale_seed_status {
            SeedStatus::Pending => "pending",
            SeedStatus::PartiallyPaid => "partially_paid",
        },
        needle: seed.needle().1,
        amount_range_vnd: (100_000, 200_000),
        vn_today: (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive(),
    }
}

async fn scale_point(
    args: &Args,
    kind: BackendKind,
    opts: &ServerOptions,
    orders: u64,
) -> Result<ScalePoint> {
    eprintln!("  scale point: {orders} open orders and {orders} bank transactions");
    let db = Database::create(kind, &args.postgres_url).await?;
    server::migrate(&db, opts).await?;
    let start = Instant::now();
    db.seed_orders(
        load::CODE_BASE,
        orders,
        load::ORDER_VND,
        args.scale_seed_status,
        load::PAYMENT_VND,
    )
    .await
    .context("inserting orders")?;
    let seed_seconds = start.elapsed().as_secs_f64();
    eprintln!("    {orders} orders inserted in {seed_seconds:.1} s");
    let mut seed = TransactionSeed {
        count: orders,
        waiting_percent: args.scale_waiting_percent,
        order_ids: db.id_range("orders").await?,
        transaction_ids: (0, 0),
        code_base: load::CODE_BASE,
        payment_vnd: load::PAYMENT_VND,
        interval_s: 30,
    };
    let start = Instant::now();
    db.seed_transactions(&seed)
        .await
        .context("inserting bank transactions")?;
    let transactions_seed_seconds = start.elapsed().as_secs_f64();
    seed.transaction_ids = db.id_range("bank_transactions").await?;
    eprintln!("    {orders} bank transactions inserted in {transactions_seed_seconds:.1} s");
    let mut point = ScalePoint {
        orders,
        seeded_status: args.scale_seed_status,
        seed_seconds,
        transactions: seed,
        transactions_seed_seconds,
        full_speed: None,
        serial: None,
        per_request_ms: None,
        lookups: Vec::new(),
        plans: Vec::new(),
    };
    let ctx = scale_context(args, &point);
    let server = Server::start(&db, opts).await?;
    let sampler = MemorySampler::start(server.pid);
    // Reads first, on the database as seeded; then their plans; then the webhooks.
    point.lookups = lookups::run(&server, &sampler, &ctx, lookup_settings(args)).await?;
    eprintln!("    plans of the lookups …");
    point.plans = explain::explain(&db, &ctx).await?;
    if args.lookups_only {
        return Ok(point);
    }
    let traffic = Arc::new(Traffic::new(orders));
    let webhooks = Arc::new(Target::Webhook(traffic.clone()));
    let (addr, c) = (server.addr, args.connections);
    load::closed_loop(addr, webhooks.clone(), c, args.warmup()).await;
    let full_speed = measure(
        "scale_full_speed",
        format!("{orders} open orders: webhooks, {c} connections, full speed"),
        &server,
        &sampler,
        load::closed_loop(addr, webhooks.clone(), c, args.duration()),
    )
    .await;
    let serial = measure(
        "scale_serial",
        format!("{orders} open orders: webhooks, 1 connection"),
        &server,
        &sampler,
        load::closed_loop(addr, webhooks, 1, args.duration().div_f64(2.0)),
    )
    .await;
    point.per_request_ms = Some(1000.0 / full_speed.measured.rate_per_s.max(1e-9));
    point.full_speed = Some(full_speed);
    point.serial = Some(serial);
    Ok(point)
}

fn targets(args: &Args, r: &BackendReport) -> Vec<TargetCheck> {
    let mut out = Vec::new();
    let hooks = &r.phases[1].measured;
    let fixed = &r.phases[2].measured;
    if r.backend == BackendKind::Sqlite {
        out.push(TargetCheck {
            target: "≥ 3,500 durable webhooks/s (SQLite, 2-core machine)".into(),
            measured: format!("{:.0}/s", hooks.rate_per_s),
            met: hooks.rate_per_s >= 3500.0,
        });
    }
    if args.rate == 1000 {
        out.push(TargetCheck {
            target: "p99 < 20 ms at 1,000 webhooks/s".into(),
            measured: format!(
                "{:.1} ms ({:.0}/s achieved)",
                fixed.latency.p99_ms, fixed.rate_per_s
            ),
            met: fixed.latency.p99_ms < 20.0 && fixed.error_count() == 0,
        });
    }
    out.push(TargetCheck {
        target: "resident memory < 100 MiB under load".into(),
        measured: format!("{:.1} MiB peak", r.peak_rss_mib),
        met: r.peak_rss_mib < 100.0,
    });
    if let Some((s, ratio)) = r
        .scale
        .as_ref()
        .and_then(|s| Some((s, s.per_request_ratio?)))
    {
        out.push(TargetCheck {
            target: format!(
                "per-request time with {} open orders ≤ 1.5 × with {}",
                s.large.orders, s.small.orders
            ),
            measured: format!("{ratio:.3}×"),
            met: ratio <= 1.5,
        });
    }
    out.push(TargetCheck {
        target: "no error under load".into(),
        measured: format!(
            "{} errors",
            r.phases
                .iter()
                .map(|p| p.measured.error_count())
                .sum::<u64>()
        ),
        met: r.phases.iter().all(|p| p.measured.error_count() == 0),
    });
    out
}

fn print_phase_row(label: &str, p: &Phase) {
    let m = &p.measured;
    println!(
        "  {label:<28} {:>8} {:>7} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>6.0}% {:>6.0}% {:>6.0}% {:>8.0}",
        m.ok,
        m.error_count(),
        m.rate_per_s,
        m.latency.p50_ms,
        m.latency.p99_ms,
        m.latency.max_ms,
        p.cpu.server_percent,
        p.cpu.client_percent,
        p.cpu.machine_percent,
        p.server_cpu_us_per_request,
    );
}

fn print_report(args: &Args, r: &BackendReport) {
    println!();
    println!(
        "== {} == {} open orders, {} connections, {} s per phase, {} client thread(s); {}; paymatch {}",
        r.label(),
        args.orders,
        args.connections,
        args.duration,
        args.client_threads,
        r.date,
        r.paymatch
    );
    println!(
        "  machine: {} cores, {}; load average {:.2} at start, {:.2} at end; CPU columns in % \
         of one core (the machine's includes the database and anything else running)",
        r.machine["cores"], r.machine["cpu_model"], r.load_average_start, r.load_average_end
    );
    println!(
        "  {:<28} {:>8} {:>7} {:>9} {:>8} {:>8} {:>8} {:>7} {:>7} {:>7} {:>8}",
        "phase",
        "ok",
        "errors",
        "per s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "server",
        "client",
        "machine",
        "srv µs/req"
    );
    if r.other_cpu_percent_during_baseline > 20.0 {
        println!(
            "  CAVEAT: other work used {:.0}% of a core during the baseline: the machine was \
             not quiet, figures are low and noisy",
            r.other_cpu_percent_during_baseline
        );
    }
    let labels = [
        "baseline GET /livez".to_string(),
        "webhooks, full speed".to_string(),
        format!("webhooks @{}/s, open loop", args.rate),
        "webhooks, two processes".to_string(),
    ];
    for (label, phase) in labels.iter().zip(&r.phases) {
        print_phase_row(label, phase);
    }
    if let Some(service) = &r.phases[2].measured.service_latency {
        println!(
            "  (open loop: latency from the actual send p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
             {} connections opened)",
            service.p50_ms, service.p99_ms, service.max_ms, r.phases[2].measured.connections_opened
        );
    }
    println!(
        "  ratios: webhooks/s ÷ baseline req/s = {:.3}; webhook p50 ÷ baseline p50 = {:.1}; \
         p99 @{}/s ÷ baseline p50 = {:.1}",
        r.ratios.webhooks_per_s_over_baseline,
        r.ratios.webhook_p50_over_baseline_p50,
        args.rate,
        r.ratios.rate_p99_over_baseline_p50
    );
    println!(
        "  memory: peak RSS {:.1} MiB under load (sampled every 50 ms; {:.1} MiB when ready); \
         VmHWM {:.1} MiB ({:.1} MiB when ready); orders created through the API at {:.0}/s",
        r.peak_rss_mib,
        r.rss_at_start_mib,
        r.vm_hwm_mib,
        r.vm_hwm_at_start_mib,
        r.orders_created_through_api_per_s
    );
    if let Some(w) = &r.wal {
        println!(
            "  WAL: peak {:.1} MiB under load (sampled every 50 ms; limit {}), {:.1} MiB after \
             the clean stop",
            w.peak_mib,
            w.limit.as_deref().unwrap_or("default"),
            w.after_exit_mib
        );
    }
    let worst: Vec<String> = r
        .phases
        .iter()
        .filter_map(|p| {
            let w = p
                .measured
                .timeline
                .iter()
                .max_by(|a, b| a.max_ms.total_cmp(&b.max_ms))?;
            // The last, partial second (replies after the deadline) aside.
            let full = args.duration as usize;
            let fewest = p
                .measured
                .timeline
                .iter()
                .take(full)
                .map(|s| s.replies)
                .min()?;
            Some(format!(
                "{} second {} ({:.0} ms; fewest replies in a second: {fewest})",
                p.name, w.second, w.max_ms
            ))
        })
        .collect();
    println!("  slowest reply by second: {}", worst.join("; "));
    for p in &r.phases {
        for (kind, n) in &p.measured.errors {
            println!("  ERRORS in {}: {n} × {kind}", p.name);
        }
        for s in &p.measured.error_samples {
            println!("    e.g. {s}");
        }
    }
    let c = &r.check;
    println!(
        "  check: {} webhooks sent, {} acknowledged; stored {:?}, {} deliveries; orders received \
         {} VND (expected {}): {}",
        c.webhooks_sent,
        c.webhooks_acknowledged,
        c.stored.transactions_by_status,
        c.stored.deliveries,
        c.stored.amount_received_vnd,
        c.expected_amount_received_vnd,
        if c.consistent {
            "consistent"
        } else {
            "MISMATCH"
        }
    );
    println!(
        "  server: {}, {} WARN and {} ERROR log lines",
        r.server.exit, r.server.warn_lines, r.server.error_lines
    );
    for l in &r.server.log_samples {
        println!("    {l}");
    }
    if let Some(s) = &r.scale {
        print_scale(s);
    }
    println!("  targets of issue 5 (stated for a 2-core machine):");
    for t in &r.targets {
        println!(
            "    [{}] {}: {}",
            if t.met { "met" } else { "MISSED" },
            t.target,
            t.measured
        );
    }
}

fn print_scale(s: &Scale) {
    println!("  scale point:");
    for point in [&s.small, &s.large] {
        println!(
            "    {:>9} open orders inserted in {:.1} s, {} bank transactions ({} % waiting) in {:.1} s",
            point.orders,
            point.seed_seconds,
            point.transactions.count,
            point.transactions.waiting_percent,
            point.transactions_seed_seconds
        );
        if let (Some(full), Some(serial), Some(per_request)) =
            (&point.full_speed, &point.serial, point.per_request_ms)
        {
            let (f, se) = (&full.measured, &serial.measured);
            println!(
                "    {:>9} webhooks: {:.0}/s ({:.3} ms each, server wrote {:.1} KiB each), p50 {:.2} ms, \
                 p99 {:.2} ms, {} errors; 1 connection: mean {:.2} ms, p99 {:.2} ms",
                "",
                f.rate_per_s,
                per_request,
                full.server_kib_written_per_request,
                f.latency.p50_ms,
                f.latency.p99_ms,
                f.error_count() + se.error_count(),
                se.latency.mean_ms,
                se.latency.p99_ms
            );
        }
    }
    if let (Some(per_request), Some(serial)) = (s.per_request_ratio, s.serial_mean_ratio) {
        println!(
            "    webhooks, ratio {} ÷ {}: per-request time {:.3}×, serial mean latency {:.3}×",
            s.large.orders, s.small.orders, per_request, serial
        );
    }
    let l = &s.lookup_settings;
    println!(
        "    reads ({} connections for {} s after {} s of warm-up, then 1 connection for {} s; \
         latency in ms; ratio = {} ÷ {}; GROWS = serial p50 ratio above {} and {} ms slower):",
        l.connections,
        l.duration_s,
        l.warmup_s,
        l.duration_s,
        s.large.orders,
        s.small.orders,
        lookups::GROWTH_LIMIT,
        lookups::GROWTH_MIN_MS
    );
    println!(
        "      {:<21} {:>11} {:>15} {:>15} {:>8} {:>17} {:>8}  plan (large)",
        "read", "rows", "small p50/p99", "large p50/p99", "ratio", "req/s small/large", "ratio",
    );
    for c in &s.lookups {
        println!(
            "      {:<21} {:>5}/{:<5} {:>7.2}/{:<7.2} {:>7.2}/{:<7.2} {:>7.2}× {:>8.0}/{:<8.0} {:>7.2}×  {}{}{}",
            c.query,
            c.small.items,
            c.large.items,
            c.small.serial_p50_ms,
            c.small.serial_p99_ms,
            c.large.serial_p50_ms,
            c.large.serial_p99_ms,
            c.serial_p50_ratio,
            c.small.concurrent_per_s,
            c.large.concurrent_per_s,
            c.concurrent_time_ratio,
            match (c.access, c.work_ratio) {
                (Some(a), Some(w)) => format!("{a:?}, work ×{w:.1}"),
                (Some(a), None) => format!("{a:?}"),
                _ => "-".to_string(),
            },
            if c.flagged { " FLAG" } else { "" },
            if c.grows { "  GROWS" } else { "" },
        );
        let errors = c.small.errors + c.large.errors;
        if errors > 0 {
            println!("        {errors} errors");
        }
    }
    println!(
        "    plans on the {}-order database (in full in {}):",
        s.large.orders, s.explain_file
    );
    for p in &s.large.plans {
        println!("      {}", explain::compact(p));
    }
}
