//! What the kernel says about the server process, this process and the machine: resident
//! memory (sampled in a thread) and CPU time (read at the start and end of each phase).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// `/proc/*/stat` counts CPU time in USER_HZ ticks, which Linux fixes at 100 per second for
/// user space whatever the kernel's own HZ.
const TICKS_PER_SECOND: f64 = 100.0;

/// How often the memory sampler reads `/proc/<pid>/status`.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// A field of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// User + system CPU seconds of a process (`self` or a pid).
pub fn process_cpu_seconds(pid: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// Bytes a process has passed to `write`/`pwrite` and the like (`wchar` of `/proc/<pid>/io`):
/// for SQLite, its WAL frames and its checkpoints' copies into the database file.
pub fn process_written_bytes(pid: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("wchar:"))
        .and_then(|rest| rest.trim().parse().ok())
}

/// Busy and total CPU seconds of the whole machine, all cores summed (`/proc/stat`).
pub fn machine_cpu_seconds() -> Option<(f64, f64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: f64 = values.iter().take(8).sum();
    // idle and iowait are fields 4 and 5.
    let idle = values.get(3)? + values.get(4).unwrap_or(&0.0);
    Some(((total - idle) / TICKS_PER_SECOND, total / TICKS_PER_SECOND))
}

/// CPU counters at one moment, to be subtracted from a later reading.
#[derive(Clone, Copy)]
pub struct CpuSnapshot {
    server: f64,
    server_written: u64,
    client: f64,
    machine_busy: f64,
    machine_total: f64,
}

/// Shares of CPU over an interval, in percent of one core (200 % = both cores of a 2-core box).
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct CpuUse {
    pub server_percent: f64,
    pub client_percent: f64,
    pub machine_percent: f64,
    pub server_seconds: f64,
    /// Bytes the server wrote meanwhile (see [`process_written_bytes`]).
    pub server_written_bytes: u64,
}

impl CpuSnapshot {
    pub fn take(server_pid: u32) -> CpuSnapshot {
        let (machine_busy, machine_total) = machine_cpu_seconds().unwrap_or((0.0, 0.0));
        CpuSnapshot {
            server: process_cpu_seconds(&server_pid.to_string()).unwrap_or(0.0),
            server_written: process_written_bytes(&server_pid.to_string()).unwrap_or(0),
            client: process_cpu_seconds("self").unwrap_or(0.0),
            machine_busy,
            machine_total,
        }
    }

    pub fn since(&self, earlier: &CpuSnapshot, wall_seconds: f64) -> CpuUse {
        let wall = wall_seconds.max(1e-9);
        let cores = std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64);
        let machine_total = (self.machine_total - earlier.machine_total).max(1e-9);
        CpuUse {
            server_percent: 100.0 * (self.server - earlier.server) / wall,
            client_percent: 100.0 * (self.client - earlier.client) / wall,
            machine_percent: 100.0 * cores * (self.machine_busy - earlier.machine_busy)
                / machine_total,
            server_seconds: self.server - earlier.server,
            server_written_bytes: self.server_written.saturating_sub(earlier.server_written),
        }
    }
}

/// Samples the server's `VmRSS` every [`SAMPLE_EVERY`] in a thread of its own; keeps the peak of
/// the whole run and the peak since the last [`MemorySampler::take_phase_peak`].
pub struct MemorySampler {
    stop: Arc<AtomicBool>,
    run_peak: Arc<AtomicU64>,
    phase_peak: Arc<AtomicU64>,
    thread: Option<thread::JoinHandle<()>>,
}

impl MemorySampler {
    pub fn start(pid: u32) -> MemorySampler {
        MemorySampler::watch(move || status_kib(pid, "VmRSS"))
    }

    /// Samples another figure the same way (the size of SQLite's `-wal` file).
    pub fn watch(probe: impl Fn() -> Option<u64> + Send + 'static) -> MemorySampler {
        let stop = Arc::new(AtomicBool::new(false));
        let run_peak = Arc::new(AtomicU64::new(0));
        let phase_peak = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, run_peak, phase_peak) = (stop.clone(), run_peak.clone(), phase_peak.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(kib) = probe() {
                        run_peak.fetch_max(kib, Ordering::Relaxed);
                        phase_peak.fetch_max(kib, Ordering::Relaxed);
                    }
                    thread::sleep(SAMPLE_EVERY);
                }
            })
        };
        MemorySampler {
            stop,
            run_peak,
            phase_peak,
            thread: Some(thread),
        }
    }

    /// The highest VmRSS (KiB) seen since the previous call; starts a new phase.
    pub fn take_phase_peak(&self) -> u64 {
        self.phase_peak.swap(0, Ordering::Relaxed)
    }

    pub fn run_peak(&self) -> u64 {
        self.run_peak.load(Ordering::Relaxed)
    }
}

impl Drop for MemorySampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A line about the machine: CPU model, cores, memory, kernel.
pub fn machine_description() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|r| r.split_whitespace().next()?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    serde_json::json!({
        "cpu_model": model,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "memory_gib": (mem_kib as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "kernel": kernel,
    })
}

/// The 1-minute load average: other work on the machine (compilers…) shows here.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}
