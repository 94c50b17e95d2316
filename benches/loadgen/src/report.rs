//! The result line: what was measured, derived per-message and per-connection figures.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::driver::{Faults, Stats};
use crate::probe::{self, Snapshot};
use crate::{Mode, Opts};

/// Everything one run measured.
pub struct Report {
    pub opts: Opts,
    pub stats: Stats,
    pub faults: Faults,
    pub pings: u64,
    pub ready: usize,
    pub setup_time: Duration,
    /// Before the first connect.
    pub base: Snapshot,
    /// Window start and end.
    pub start: (Instant, Snapshot),
    pub end: (Instant, Snapshot),
}

/// A JSON value: a number, null, a string or a boolean.
enum Value {
    Num(f64),
    Null,
    Str(String),
    Bool(bool),
}

impl Report {
    /// Every connection came up, nothing mismatched, and the echo modes echoed something.
    pub fn ok(&self) -> bool {
        let echoed = self.opts.mode == Mode::Idle || self.stats.msgs > 0;
        self.ready == self.opts.conns && self.faults.mismatches == 0 && echoed
    }

    fn fields(&self) -> Vec<(&'static str, Value)> {
        use Value::*;
        let seconds = self
            .end
            .0
            .duration_since(self.start.0)
            .as_secs_f64()
            .max(1e-9);
        let hz = probe::ticks_per_second() as f64;
        let (s0, s1) = (self.start.1, self.end.1);
        let ticks_us = |t: u64| t as f64 * 1e6 / hz;
        let server_ticks = s0
            .server_ticks
            .zip(s1.server_ticks)
            .map(|(a, b)| b.saturating_sub(a));
        let own_ticks = s1.own_ticks.saturating_sub(s0.own_ticks);
        let busy_ticks = s1.busy_ticks.saturating_sub(s0.busy_ticks);
        let other_ticks = busy_ticks.saturating_sub(own_ticks + server_ticks.unwrap_or(0));
        let pct = |t: u64| t as f64 / hz / seconds * 100.0;
        let msgs = self.stats.msgs;
        let opt = |v: Option<f64>| v.map_or(Null, Num);
        let rss_delta = self
            .base
            .server_rss_kib
            .zip(s1.server_rss_kib)
            .map(|(a, b)| (b as f64 - a as f64) * 1024.0);
        let mut fields = vec![
            ("mode", Str(self.opts.mode.name().into())),
            ("sio", Bool(self.opts.sio)),
            ("addr", Str(self.opts.addr.to_string())),
            ("conns", Num(self.opts.conns as f64)),
            ("ready", Num(self.ready as f64)),
            ("inflight", Num(self.opts.inflight as f64)),
            ("size", Num(self.opts.size as f64)),
            ("setup_s", Num(self.setup_time.as_secs_f64())),
            ("seconds", Num(seconds)),
            ("msgs", Num(msgs as f64)),
            ("msgs_per_s", Num(msgs as f64 / seconds)),
            (
                "mib_per_s",
                Num(self.stats.bytes as f64 / seconds / 1048576.0),
            ),
        ];
        if matches!(self.opts.mode, Mode::WsEcho | Mode::TcpEcho | Mode::SioEcho) {
            fields.extend([
                ("rtt_p50_us", Num(self.stats.rtt.quantile(0.5) as f64 / 1e3)),
                (
                    "rtt_p99_us",
                    Num(self.stats.rtt.quantile(0.99) as f64 / 1e3),
                ),
            ]);
        }
        if self.opts.mode.is_fanout() {
            fields.extend([
                ("broadcasts", Num(self.stats.broadcasts as f64)),
                (
                    "last_p50_us",
                    Num(self.stats.last_recipient.quantile(0.5) as f64 / 1e3),
                ),
                (
                    "last_p99_us",
                    Num(self.stats.last_recipient.quantile(0.99) as f64 / 1e3),
                ),
            ]);
        }
        fields.extend([
            ("server_cpu_us", opt(server_ticks.map(ticks_us))),
            (
                "server_cpu_us_per_msg",
                opt(server_ticks
                    .filter(|_| msgs > 0)
                    .map(|t| ticks_us(t) / msgs as f64)),
            ),
            ("server_cpu_pct", opt(server_ticks.map(pct))),
            ("gen_cpu_pct", Num(pct(own_ticks))),
            ("other_cpu_pct", Num(pct(other_ticks))),
            (
                "server_rss_base_kib",
                opt(self.base.server_rss_kib.map(|v| v as f64)),
            ),
            ("server_rss_kib", opt(s1.server_rss_kib.map(|v| v as f64))),
            (
                "rss_per_conn_b",
                opt(rss_delta.map(|d| d / self.opts.conns as f64)),
            ),
            ("pings", Num(self.pings as f64)),
            ("errors", Num(self.faults.errors as f64)),
            ("mismatches", Num(self.faults.mismatches as f64)),
            ("first_error", self.faults.first.clone().map_or(Null, Str)),
            ("ok", Bool(self.ok())),
        ]);
        fields
    }

    /// One JSON object on one line.
    pub fn json(&self) -> String {
        let mut out = String::from("{");
        for (i, (key, value)) in self.fields().into_iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(out, "{sep}\"{key}\":{}", render(&value, true));
        }
        out.push('}');
        out
    }

    /// `key=value` pairs on one line.
    pub fn text(&self) -> String {
        let parts: Vec<String> = self
            .fields()
            .into_iter()
            .filter(|(_, v)| !matches!(v, Value::Null))
            .map(|(key, value)| format!("{key}={}", render(&value, false)))
            .collect();
        parts.join(" ")
    }
}

fn render(value: &Value, json: bool) -> String {
    match value {
        Value::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Value::Num(n) if n.is_finite() => format!("{n:.3}"),
        Value::Num(_) | Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Str(s) if json => json_string(s),
        Value::Str(s) => format!("{s:?}"),
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped (RFC 8259 §7).
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
