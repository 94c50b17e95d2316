//! `loadgen`: a single-threaded mio load generator for loopio and its peers.
//!
//! ```text
//! loadgen MODE [--addr HOST:PORT] [--conns N] [--inflight W] [--size S] [--duration SECS]
//!              [--warmup SECS] [--server-pid PID] [--sio] [--sources K|IP,IP..]
//!              [--path PATH] [--connect-concurrency C] [--setup-timeout SECS] [--format json|text]
//!
//! MODE  ws-echo     N WebSocket connections x W binary messages in flight x S bytes, masked,
//!                   every echo checked for content and order
//!       tcp-echo    the same frames against `tcp_echo` (raw TCP, no handshake): the ceiling
//!       sio-echo    Engine.IO v4 / Socket.IO v5 over WebSocket: 42["echo",P] -> 42["echo",P]
//!       sio-fanout  N sockets in "/"; socket 0 sends 42["broadcast",P] (W in flight); every
//!                   socket, sender included, must get it; deliveries/s, time to last recipient
//!       tcp-fanout  the same broadcasts against `tcp_fanout` (raw TCP, no handshake): the ceiling
//!       idle        open N WebSocket (--sio: Socket.IO) connections, hold them for the duration
//! ```
//!
//! With `--server-pid`, the server's CPU time (utime + stime of all its threads) and RSS are read
//! from `/proc` at the edges of the measured window, so CPU per message needs no external tool.
//! The result is one JSON line on stdout (or `key=value` text); progress goes to stderr.
//! Exit status: 0 when every connection came up and (echo modes) at least one message echoed
//! with no mismatch; 2 otherwise.

mod driver;
mod frame;
mod net;
mod probe;
mod report;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

/// What the generator does once connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    WsEcho,
    TcpEcho,
    SioEcho,
    SioFanout,
    TcpFanout,
    Idle,
}

impl Mode {
    fn parse(text: &str) -> Option<Mode> {
        Some(match text {
            "ws-echo" => Mode::WsEcho,
            "tcp-echo" => Mode::TcpEcho,
            "sio-echo" => Mode::SioEcho,
            "sio-fanout" => Mode::SioFanout,
            "tcp-fanout" => Mode::TcpFanout,
            "idle" => Mode::Idle,
            _ => return None,
        })
    }

    /// The fan-out modes: one emitter, every connection a recipient.
    pub fn is_fanout(self) -> bool {
        matches!(self, Mode::SioFanout | Mode::TcpFanout)
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::WsEcho => "ws-echo",
            Mode::TcpEcho => "tcp-echo",
            Mode::SioEcho => "sio-echo",
            Mode::SioFanout => "sio-fanout",
            Mode::TcpFanout => "tcp-fanout",
            Mode::Idle => "idle",
        }
    }
}

/// Command-line options.
#[derive(Debug, Clone)]
pub struct Opts {
    pub mode: Mode,
    pub addr: SocketAddr,
    pub conns: usize,
    pub inflight: usize,
    pub size: usize,
    pub duration: Duration,
    pub warmup: Duration,
    pub server_pid: Option<String>,
    pub sio: bool,
    pub sources: Vec<Ipv4Addr>,
    pub path: Option<String>,
    pub connect_concurrency: usize,
    pub setup_timeout: Duration,
    pub json: bool,
}

fn usage() -> ExitCode {
    eprintln!("{}", include_str!("usage.txt"));
    ExitCode::from(64)
}

fn parse_args() -> Result<Opts, String> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().ok_or("missing MODE")?;
    let mode = Mode::parse(&mode).ok_or_else(|| format!("unknown mode {mode:?}"))?;
    let mut opts = Opts {
        mode,
        addr: "127.0.0.1:9001".parse().expect("literal address"),
        conns: 100,
        inflight: 1,
        size: 32,
        duration: Duration::from_secs(5),
        warmup: Duration::from_secs(1),
        server_pid: None,
        // tcp-fanout speaks Socket.IO payloads over raw TCP frames, so its checks are sio-fanout's.
        sio: matches!(mode, Mode::SioEcho | Mode::SioFanout | Mode::TcpFanout),
        sources: Vec::new(),
        path: None,
        connect_concurrency: 256,
        setup_timeout: Duration::from_secs(120),
        json: true,
    };
    while let Some(flag) = args.next() {
        if flag == "--sio" {
            opts.sio = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag} {value:?}: {what}");
        match flag.as_str() {
            "--addr" => opts.addr = value.parse().map_err(|_| bad("not HOST:PORT"))?,
            "--conns" => opts.conns = value.parse().map_err(|_| bad("not a count"))?,
            "--inflight" => opts.inflight = value.parse().map_err(|_| bad("not a count"))?,
            "--size" => opts.size = value.parse().map_err(|_| bad("not a size"))?,
            "--duration" => opts.duration = seconds(&value).ok_or_else(|| bad("not seconds"))?,
            "--warmup" => opts.warmup = seconds(&value).ok_or_else(|| bad("not seconds"))?,
            "--setup-timeout" => {
                opts.setup_timeout = seconds(&value).ok_or_else(|| bad("not seconds"))?
            }
            "--server-pid" => opts.server_pid = Some(value),
            "--sources" => {
                opts.sources = sources(&value).ok_or_else(|| bad("not K or IP,IP,.."))?
            }
            "--path" => opts.path = Some(value),
            "--connect-concurrency" => {
                opts.connect_concurrency = value.parse().map_err(|_| bad("not a count"))?
            }
            "--format" => opts.json = value == "json",
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if opts.conns == 0 || opts.inflight == 0 || opts.connect_concurrency == 0 {
        return Err("--conns, --inflight and --connect-concurrency must be positive".into());
    }
    if opts.sources.is_empty() && opts.conns > 20_000 && opts.addr.ip().is_loopback() {
        // One source address has ~28 000 ephemeral ports toward one server port.
        let count = opts.conns.div_ceil(20_000).min(254);
        opts.sources = sources(&count.to_string()).expect("a count is a valid --sources");
    }
    if opts.sio && opts.size < 16 {
        // The payload string starts with a 16-digit hex sequence number.
        opts.size = 16;
    }
    Ok(opts)
}

fn seconds(text: &str) -> Option<Duration> {
    text.parse::<f64>()
        .ok()
        .filter(|s| *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// `4` means 127.0.0.1..=127.0.0.4; otherwise a comma-separated list.
fn sources(text: &str) -> Option<Vec<Ipv4Addr>> {
    if let Ok(count) = text.parse::<u8>() {
        return Some((1..=count).map(|i| Ipv4Addr::new(127, 0, 0, i)).collect());
    }
    text.split(',').map(|ip| ip.trim().parse().ok()).collect()
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(opts) => opts,
        Err(err) => {
            eprintln!("loadgen: {err}");
            return usage();
        }
    };
    let limit = net::raise_nofile(opts.conns as u64 + 1024);
    if limit < opts.conns as u64 + 64 {
        eprintln!(
            "loadgen: RLIMIT_NOFILE is {limit}; raise it (ulimit -n) for {} connections",
            opts.conns
        );
    }
    match driver::run(&opts) {
        Ok(report) => {
            println!(
                "{}",
                if opts.json {
                    report.json()
                } else {
                    report.text()
                }
            );
            if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Err(err) => {
            eprintln!("loadgen: {err}");
            ExitCode::from(1)
        }
    }
}
