//! What the kernel says about the server, the generator and everyone else: `/proc` readers and a
//! latency histogram.

use std::fs;

/// Clock ticks per second for `/proc/*/stat` times.
pub fn ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions; it returns -1 on an unknown name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as u64
    } else {
        100
    }
}

/// utime + stime of a whole process (all threads), in ticks.
pub fn process_ticks(pid: &str) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields restart after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_ascii_whitespace();
    // After ')': state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Resident set size in KiB (`VmRSS`).
pub fn rss_kib(pid: &str) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// Machine-wide (busy, total) ticks from the first line of `/proc/stat`.
pub fn machine_ticks() -> Option<(u64, u64)> {
    let text = fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?;
    let v: Vec<u64> = line
        .split_ascii_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)? + v.get(7).unwrap_or(&0);
    Some((busy, busy + v.get(3)? + v.get(4)?))
}

/// One reading of everything at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    pub server_ticks: Option<u64>,
    pub server_rss_kib: Option<u64>,
    pub own_ticks: u64,
    pub busy_ticks: u64,
}

impl Snapshot {
    pub fn take(server_pid: Option<&str>) -> Self {
        Snapshot {
            server_ticks: server_pid.and_then(process_ticks),
            server_rss_kib: server_pid.and_then(rss_kib),
            own_ticks: process_ticks("self").unwrap_or(0),
            busy_ticks: machine_ticks().map_or(0, |(busy, _)| busy),
        }
    }
}

/// A log-linear histogram of nanoseconds: exact below 128, then 64 buckets per power of two
/// (about 1.5 % resolution).
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    const LINEAR: u64 = 128;

    pub fn new() -> Self {
        Histogram {
            counts: vec![0; 128 + 57 * 64],
            total: 0,
        }
    }

    pub fn record(&mut self, value: u64) {
        self.counts[Self::index(value)] += 1;
        self.total += 1;
    }

    /// The value at quantile `q` (0.0..=1.0), as the lower bound of its bucket.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((self.total as f64 * q).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Self::lower_bound(index);
            }
        }
        Self::lower_bound(self.counts.len() - 1)
    }

    fn index(value: u64) -> usize {
        if value < Self::LINEAR {
            return value as usize;
        }
        let exponent = 63 - u64::from(value.leading_zeros());
        let sub = (value >> (exponent - 6)) & 63;
        (Self::LINEAR + (exponent - 7) * 64 + sub) as usize
    }

    fn lower_bound(index: usize) -> u64 {
        let index = index as u64;
        if index < Self::LINEAR {
            return index;
        }
        let exponent = (index - Self::LINEAR) / 64 + 7;
        let sub = (index - Self::LINEAR) % 64;
        (64 + sub) << (exponent - 6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_invert() {
        for value in [0, 1, 127, 128, 129, 1000, 123_456, 9_999_999_999] {
            let low = Histogram::lower_bound(Histogram::index(value));
            assert!(
                low <= value && value - low <= value / 64,
                "{value} -> {low}"
            );
        }
        let mut h = Histogram::new();
        (1..=100).for_each(|v| h.record(v));
        assert_eq!(h.quantile(0.5), 50);
        assert_eq!(h.quantile(0.99), 99);
    }

    #[test]
    fn reads_own_stat() {
        assert!(process_ticks("self").is_some());
        assert!(rss_kib("self").unwrap() > 0);
        assert!(machine_ticks().is_some());
    }
}
