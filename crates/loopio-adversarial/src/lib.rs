//! Test support for loopio's adversarial suite: an in-process server on its own thread, a
//! recording service, a raw (deliberately independent) WebSocket client, and RSS readings.
//!
//! The scenarios live in `tests/`; see the crate README for the limits they prove. Everything
//! here waits with a timeout and binds `127.0.0.1:0`.
//!
//! ```text
//!  test thread ──raw TcpStream──▶ EventLoop thread (Recorder or your Service)
//!       │                              ▲
//!       └── Server::query(closure) ────┘ via Handle::run + a reply channel (timed)
//! ```
#![forbid(unsafe_code)]

pub mod http;
pub mod recorder;
pub mod server;
pub mod ws;

use std::time::{Duration, Instant};

pub use recorder::{Mode, Recorder, Stats};
pub use server::{Server, BACKLOG};

/// Every single wait in the suite gives up after this long.
pub const WAIT: Duration = Duration::from_secs(10);

/// Resident set size of this process, in bytes (`VmRSS` of `/proc/self/status`).
///
/// ```
/// assert!(loopio_adversarial::rss_bytes() > 0);
/// ```
pub fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line in /proc/self/status");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmRSS is a number of kB");
    kib * 1024
}

/// Serializes the tests of one binary that measure RSS: libtest runs a binary's tests on
/// parallel threads, and RSS is the whole process's, so a neighbour's 16 MiB buffer would be
/// counted against the test that measures. Hold the guard for the whole test.
///
/// ```
/// let _serial = loopio_adversarial::rss_serial();
/// ```
pub fn rss_serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // A test that panicked while holding it leaves nothing to repair.
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Bytes as MiB with one decimal, for reports.
pub fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// Polls `done` every few milliseconds until it holds or `timeout` passes; returns whether it
/// held. Used only where no event can be awaited (e.g. a count kept on the loop thread).
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Latency figures of a sample, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    /// Samples taken.
    pub count: usize,
    /// Median.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest.
    pub max_us: u64,
}

impl Latency {
    /// Summarises `samples` (sorted in place).
    pub fn of(samples: &mut [Duration]) -> Latency {
        samples.sort();
        let at = |q: f64| {
            let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples.get(i).map_or(0, |d| d.as_micros() as u64)
        };
        Latency {
            count: samples.len(),
            p50_us: at(0.5),
            p99_us: at(0.99),
            max_us: at(1.0),
        }
    }
}
