//! The event loop: connections, handshakes, the closed-loop senders and the measured window.
//!
//! ```text
//! Setup --all connections ready--> Warmup --warmup elapsed--> Measure --duration--> Done
//!   \                                                     (echo and fan-out modes)
//!    `--all ready (idle)--> Settle (1 s) --> Hold --duration--> Done
//! ```
//!
//! Per connection: Connecting -> AwaitUpgrade (HTTP 101) -> [AwaitOpen (`0{..}`) ->
//! AwaitConnect (`40{..}`)] -> Ready. `tcp-echo` goes straight from Connecting to Ready;
//! `tcp-fanout` from Connecting to AwaitConnect (its server greets with a bare `40`).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::frame;
use crate::net;
use crate::probe::{Histogram, Snapshot};
use crate::report::Report;
use crate::{Mode, Opts};

const SETTLE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    AwaitUpgrade,
    AwaitOpen,
    AwaitConnect,
    Ready,
    Closed,
}

struct Conn {
    stream: TcpStream,
    phase: Phase,
    /// Inbound bytes not yet parsed: a partial HTTP head or frame.
    pending: Vec<u8>,
    /// A fragmented message being reassembled.
    message: Vec<u8>,
    out: Vec<u8>,
    out_at: usize,
    next_send: u64,
    next_recv: u64,
    sent_at: VecDeque<Instant>,
    dirty: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Setup,
    Warmup,
    Measure,
    Settle,
    Hold,
    Done,
}

/// The fan-out emitter's broadcasts in flight, oldest first.
struct Fanout {
    emitter: usize,
    front_seq: u64,
    next_seq: u64,
    /// (sent at, recipients still missing it)
    inflight: VecDeque<(Instant, usize)>,
}

/// Counters reset at the start of the measured window.
pub struct Stats {
    pub msgs: u64,
    pub bytes: u64,
    pub rtt: Histogram,
    pub broadcasts: u64,
    pub last_recipient: Histogram,
}

impl Stats {
    fn new() -> Self {
        Stats {
            msgs: 0,
            bytes: 0,
            rtt: Histogram::new(),
            broadcasts: 0,
            last_recipient: Histogram::new(),
        }
    }
}

/// Faults, counted over the whole run.
#[derive(Default)]
pub struct Faults {
    pub errors: u64,
    pub mismatches: u64,
    pub first: Option<String>,
}

struct Driver<'a> {
    opts: &'a Opts,
    poll: Poll,
    conns: Vec<Conn>,
    scratch: Vec<u8>,
    expect: Vec<u8>,
    filler: Vec<u8>,
    rng: u64,
    now: Instant,
    stage: Stage,
    stage_until: Instant,
    ready: usize,
    opening: usize,
    stats: Stats,
    faults: Faults,
    pings: u64,
    fanout: Fanout,
    dirty: Vec<usize>,
    /// Snapshots: before connecting, at the window start, at its end.
    base: Snapshot,
    start: (Instant, Snapshot),
    end: (Instant, Snapshot),
    setup_time: Duration,
    started: Instant,
}

/// Runs one mode to completion.
pub fn run(opts: &Opts) -> io::Result<Report> {
    let now = Instant::now();
    let mut driver = Driver {
        opts,
        poll: Poll::new()?,
        conns: Vec::with_capacity(opts.conns),
        scratch: vec![0; 256 * 1024],
        expect: Vec::new(),
        filler: (0..opts.size.max(16))
            .map(|i| b'a' + (i % 26) as u8)
            .collect(),
        rng: 0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id()),
        now,
        stage: Stage::Setup,
        stage_until: now + opts.setup_timeout,
        ready: 0,
        opening: 0,
        stats: Stats::new(),
        faults: Faults::default(),
        pings: 0,
        fanout: Fanout {
            emitter: 0,
            front_seq: 0,
            next_seq: 0,
            inflight: VecDeque::new(),
        },
        dirty: Vec::new(),
        base: Snapshot::take(opts.server_pid.as_deref()),
        start: (now, Snapshot::default()),
        end: (now, Snapshot::default()),
        setup_time: Duration::ZERO,
        started: now,
    };
    driver.run()?;
    Ok(Report {
        opts: opts.clone(),
        stats: driver.stats,
        faults: driver.faults,
        pings: driver.pings,
        ready: driver.ready,
        setup_time: driver.setup_time,
        base: driver.base,
        start: driver.start,
        end: driver.end,
    })
}

impl Driver<'_> {
    fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        while self.stage != Stage::Done {
            self.open_more();
            let wait = self
                .stage_until
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(50));
            if let Err(err) = self.poll.poll(&mut events, Some(wait)) {
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
            self.now = Instant::now();
            for event in events.iter() {
                let index = event.token().0;
                if event.is_writable() || event.is_error() {
                    self.on_writable(index);
                }
                if event.is_readable() || event.is_read_closed() {
                    self.on_readable(index);
                }
            }
            self.flush_dirty();
            self.advance();
        }
        Ok(())
    }

    // ---- stages

    fn advance(&mut self) {
        let all_settled = self.conns.len() == self.opts.conns && self.opening == 0;
        match self.stage {
            Stage::Setup if all_settled || self.now >= self.stage_until => {
                self.setup_time = self.now.duration_since(self.started);
                eprintln!(
                    "loadgen: {}/{} connections ready in {:.2} s",
                    self.ready,
                    self.opts.conns,
                    self.setup_time.as_secs_f64()
                );
                if self.opts.mode == Mode::Idle {
                    self.enter(Stage::Settle, SETTLE);
                } else {
                    self.enter(Stage::Warmup, self.opts.warmup);
                    self.kick();
                    self.flush_dirty();
                }
            }
            Stage::Warmup | Stage::Settle if self.now >= self.stage_until => {
                self.stats = Stats::new();
                self.start = (
                    Instant::now(),
                    Snapshot::take(self.opts.server_pid.as_deref()),
                );
                let next = if self.stage == Stage::Warmup {
                    Stage::Measure
                } else {
                    Stage::Hold
                };
                self.enter(next, self.opts.duration);
            }
            Stage::Measure | Stage::Hold if self.now >= self.stage_until => {
                self.end = (
                    Instant::now(),
                    Snapshot::take(self.opts.server_pid.as_deref()),
                );
                self.stage = Stage::Done;
            }
            _ => {}
        }
    }

    fn enter(&mut self, stage: Stage, length: Duration) {
        self.stage = stage;
        self.now = Instant::now();
        self.stage_until = self.now + length;
    }

    fn is_sending(&self) -> bool {
        matches!(self.stage, Stage::Warmup | Stage::Measure)
    }

    /// Starts the closed loop: W messages per connection, or W broadcasts from the emitter.
    fn kick(&mut self) {
        if self.opts.mode.is_fanout() {
            let Some(emitter) = self.conns.iter().position(|c| c.phase == Phase::Ready) else {
                return;
            };
            self.fanout.emitter = emitter;
            for _ in 0..self.opts.inflight {
                self.send_broadcast();
            }
            return;
        }
        for index in 0..self.conns.len() {
            if self.conns[index].phase == Phase::Ready {
                for _ in 0..self.opts.inflight {
                    self.send_echo(index);
                }
            }
        }
    }

    // ---- connections

    fn open_more(&mut self) {
        while self.stage == Stage::Setup
            && self.conns.len() < self.opts.conns
            && self.opening < self.opts.connect_concurrency
        {
            let index = self.conns.len();
            let source = (!self.opts.sources.is_empty())
                .then(|| self.opts.sources[index % self.opts.sources.len()]);
            let stream = net::connect(self.opts.addr, source).and_then(|mut stream| {
                self.poll.registry().register(
                    &mut stream,
                    Token(index),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
                Ok(stream)
            });
            match stream {
                Ok(stream) => {
                    self.conns.push(Conn {
                        stream,
                        phase: Phase::Connecting,
                        pending: Vec::new(),
                        message: Vec::new(),
                        out: Vec::new(),
                        out_at: 0,
                        next_send: 0,
                        next_recv: 0,
                        sent_at: VecDeque::new(),
                        dirty: false,
                    });
                    self.opening += 1;
                }
                Err(err) => {
                    self.fault(format!("connect #{index}: {err}"));
                    // Without a socket there is nothing to retry; stop opening more.
                    self.stage_until = self.now;
                    return;
                }
            }
        }
    }

    fn on_writable(&mut self, index: usize) {
        if self.conns[index].phase == Phase::Connecting {
            let conn = &mut self.conns[index];
            match conn.stream.take_error() {
                Ok(Some(err)) | Err(err) => return self.close(index, &format!("connect: {err}")),
                Ok(None) => {}
            }
            match conn.stream.peer_addr() {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::NotConnected => return,
                Err(err) => return self.close(index, &format!("connect: {err}")),
            }
            if self.opts.mode == Mode::TcpEcho {
                self.set_ready(index);
            } else if self.opts.mode == Mode::TcpFanout {
                self.conns[index].phase = Phase::AwaitConnect;
            } else {
                self.send_upgrade(index);
            }
        }
        self.flush(index);
    }

    fn send_upgrade(&mut self, index: usize) {
        let default_path = if self.opts.sio {
            "/socket.io/?EIO=4&transport=websocket"
        } else {
            "/"
        };
        let path = self.opts.path.as_deref().unwrap_or(default_path);
        let conn = &mut self.conns[index];
        // A fixed key: the generator does not check Sec-WebSocket-Accept, only the 101.
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            self.opts.addr
        );
        conn.out.extend_from_slice(request.as_bytes());
        conn.phase = Phase::AwaitUpgrade;
    }

    fn set_ready(&mut self, index: usize) {
        self.conns[index].phase = Phase::Ready;
        self.conns[index].pending.shrink_to_fit();
        self.ready += 1;
        self.opening -= 1;
    }

    fn close(&mut self, index: usize, why: &str) {
        let conn = &mut self.conns[index];
        match conn.phase {
            Phase::Closed => return,
            Phase::Ready => self.ready -= 1,
            _ => self.opening -= 1,
        }
        conn.phase = Phase::Closed;
        let _ = self.poll.registry().deregister(&mut conn.stream);
        let _ = conn.stream.shutdown(std::net::Shutdown::Both);
        if self.stage != Stage::Done {
            self.fault(format!("connection #{index}: {why}"));
        }
    }

    fn fault(&mut self, what: String) {
        self.faults.errors += 1;
        if self.faults.first.is_none() {
            eprintln!("loadgen: {what}");
            self.faults.first = Some(what);
        }
    }

    fn mismatch(&mut self, index: usize, what: &str) {
        self.faults.mismatches += 1;
        self.close(index, what);
    }

    // ---- input

    fn on_readable(&mut self, index: usize) {
        let mut scratch = std::mem::take(&mut self.scratch);
        loop {
            let conn = &mut self.conns[index];
            if conn.phase == Phase::Closed {
                break;
            }
            match conn.stream.read(&mut scratch) {
                Ok(0) => {
                    self.close(index, "server closed the TCP connection");
                    break;
                }
                Ok(n) => {
                    self.ingest(index, &mut scratch[..n]);
                    // A short read drained the socket; anything arriving later raises a new edge,
                    // so the extra read that would only return WouldBlock is skipped.
                    if n < scratch.len() {
                        break;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.close(index, &format!("read: {err}"));
                    break;
                }
            }
        }
        self.scratch = scratch;
    }

    fn ingest(&mut self, index: usize, data: &mut [u8]) {
        if self.conns[index].pending.is_empty() {
            let used = self.parse(index, data);
            if used < data.len() && self.conns[index].phase != Phase::Closed {
                self.conns[index].pending.extend_from_slice(&data[used..]);
            }
        } else {
            let mut pending = std::mem::take(&mut self.conns[index].pending);
            pending.extend_from_slice(data);
            let used = self.parse(index, &mut pending);
            pending.drain(..used);
            self.conns[index].pending = pending;
        }
    }

    /// Parses what it can of `buf`; returns the bytes consumed.
    fn parse(&mut self, index: usize, buf: &mut [u8]) -> usize {
        let mut at = 0;
        if self.conns[index].phase == Phase::AwaitUpgrade {
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                return 0;
            };
            if !buf.starts_with(b"HTTP/1.1 101") {
                let line = String::from_utf8_lossy(
                    &buf[..buf.iter().position(|&b| b == b'\r').unwrap_or(end).min(80)],
                )
                .into_owned();
                self.close(index, &format!("upgrade refused: {line}"));
                return buf.len();
            }
            at = end + 4;
            if self.opts.sio {
                self.conns[index].phase = Phase::AwaitOpen;
            } else {
                self.set_ready(index);
            }
        }
        while self.conns[index].phase != Phase::Closed {
            let head = match frame::parse(&buf[at..]) {
                Ok(Some(head)) => head,
                Ok(None) => break,
                Err(err) => {
                    self.close(index, err);
                    return buf.len();
                }
            };
            let payload = &mut buf[at + head.header_len..at + head.total_len()];
            if let Some(mask) = head.mask {
                frame::apply_mask(payload, mask);
            }
            self.on_frame(index, head, payload);
            at += head.total_len();
        }
        at
    }

    fn on_frame(&mut self, index: usize, head: frame::Head, payload: &[u8]) {
        match head.opcode {
            frame::PING => self.send_frame(index, frame::PONG, payload),
            frame::PONG => {}
            frame::CLOSE => self.close(index, "server sent a close frame"),
            frame::TEXT | frame::BINARY if head.fin => self.on_message(index, payload),
            frame::TEXT | frame::BINARY => self.conns[index].message = payload.to_vec(),
            frame::CONTINUATION => {
                self.conns[index].message.extend_from_slice(payload);
                if head.fin {
                    let message = std::mem::take(&mut self.conns[index].message);
                    self.on_message(index, &message);
                }
            }
            _ => self.close(index, "reserved opcode"),
        }
    }

    fn on_message(&mut self, index: usize, payload: &[u8]) {
        if !self.opts.sio {
            if matches!(self.opts.mode, Mode::WsEcho | Mode::TcpEcho) {
                self.on_echo(index, payload);
            }
            return;
        }
        match (self.conns[index].phase, payload) {
            // Engine.IO v4: the server pings, the client answers.
            (_, b"2") => {
                self.pings += 1;
                self.send_frame(index, frame::TEXT, b"3");
            }
            (Phase::AwaitOpen, [b'0', ..]) => {
                self.send_frame(index, frame::TEXT, b"40");
                self.conns[index].phase = Phase::AwaitConnect;
            }
            (Phase::AwaitConnect, [b'4', b'0', ..]) => self.set_ready(index),
            (Phase::AwaitConnect, [b'4', b'4', ..]) => self.close(index, "CONNECT_ERROR"),
            (Phase::Ready, [b'4', b'2', ..]) => match self.opts.mode {
                Mode::SioEcho => self.on_echo(index, payload),
                Mode::SioFanout | Mode::TcpFanout => self.on_broadcast(index, payload),
                _ => {}
            },
            (Phase::AwaitOpen, _) => self.close(index, "expected an Engine.IO open packet"),
            _ => {}
        }
    }

    fn on_echo(&mut self, index: usize, payload: &[u8]) {
        let seq = self.conns[index].next_recv;
        self.fill_expected(seq, "echo");
        if payload != self.expect.as_slice() {
            return self.mismatch(index, &format!("echo #{seq} differs (content or order)"));
        }
        let conn = &mut self.conns[index];
        conn.next_recv += 1;
        let sent = conn
            .sent_at
            .pop_front()
            .expect("an echo answers a message in flight");
        self.stats
            .rtt
            .record(self.now.duration_since(sent).as_nanos() as u64);
        self.stats.msgs += 1;
        self.stats.bytes += self.opts.size as u64;
        if self.is_sending() {
            self.send_echo(index);
        }
    }

    fn on_broadcast(&mut self, index: usize, payload: &[u8]) {
        let seq = self.conns[index].next_recv;
        self.fill_expected(seq, "broadcast");
        if payload != self.expect.as_slice() {
            return self.mismatch(
                index,
                &format!("broadcast #{seq} differs (content or order)"),
            );
        }
        self.conns[index].next_recv += 1;
        self.stats.msgs += 1;
        self.stats.bytes += self.opts.size as u64;
        let slot = (seq - self.fanout.front_seq) as usize;
        self.fanout.inflight[slot].1 -= 1;
        while let Some(&(sent, 0)) = self.fanout.inflight.front() {
            self.fanout.inflight.pop_front();
            self.fanout.front_seq += 1;
            self.stats.broadcasts += 1;
            self.stats
                .last_recipient
                .record(self.now.duration_since(sent).as_nanos() as u64);
            if self.is_sending() {
                self.send_broadcast();
            }
        }
    }

    // ---- output

    /// The payload of message `seq`: binary for WebSocket, `42["EVENT","<hex seq><filler>"]` for
    /// Socket.IO. Every message differs, so a reordered or stale echo cannot pass.
    fn fill_expected(&mut self, seq: u64, event: &str) {
        let size = self.opts.size;
        self.expect.clear();
        if self.opts.sio {
            self.expect.extend_from_slice(b"42[\"");
            self.expect.extend_from_slice(event.as_bytes());
            self.expect.extend_from_slice(b"\",\"");
            let mut hex = [0u8; 16];
            for (i, digit) in hex.iter_mut().enumerate() {
                *digit = b"0123456789abcdef"[(seq >> (60 - 4 * i)) as usize & 0xF];
            }
            self.expect.extend_from_slice(&hex);
            self.expect.extend_from_slice(&self.filler[16..size]);
            self.expect.extend_from_slice(b"\"]");
        } else {
            let head = size.min(8);
            self.expect.extend_from_slice(&seq.to_le_bytes()[..head]);
            self.expect.extend_from_slice(&self.filler[head..size]);
        }
    }

    fn send_echo(&mut self, index: usize) {
        let seq = self.conns[index].next_send;
        self.conns[index].next_send += 1;
        self.conns[index].sent_at.push_back(self.now);
        self.fill_expected(seq, "echo");
        let expect = std::mem::take(&mut self.expect);
        let opcode = if self.opts.sio {
            frame::TEXT
        } else {
            frame::BINARY
        };
        self.send_frame(index, opcode, &expect);
        self.expect = expect;
    }

    fn send_broadcast(&mut self) {
        let seq = self.fanout.next_seq;
        self.fanout.next_seq += 1;
        self.fanout.inflight.push_back((self.now, self.ready));
        self.fill_expected(seq, "broadcast");
        let expect = std::mem::take(&mut self.expect);
        self.send_frame(self.fanout.emitter, frame::TEXT, &expect);
        self.expect = expect;
    }

    fn send_frame(&mut self, index: usize, opcode: u8, payload: &[u8]) {
        // xorshift64: masks must be unpredictable to intermediaries, not cryptographically strong.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let mask = (self.rng as u32).to_ne_bytes();
        let conn = &mut self.conns[index];
        let start = frame::begin(&mut conn.out, opcode, payload.len(), mask);
        conn.out.extend_from_slice(payload);
        frame::mask_from(&mut conn.out, start, mask);
        if !conn.dirty {
            conn.dirty = true;
            self.dirty.push(index);
        }
    }

    fn flush_dirty(&mut self) {
        while let Some(index) = self.dirty.pop() {
            self.conns[index].dirty = false;
            self.flush(index);
        }
    }

    fn flush(&mut self, index: usize) {
        let conn = &mut self.conns[index];
        if matches!(conn.phase, Phase::Closed | Phase::Connecting) {
            return;
        }
        while conn.out_at < conn.out.len() {
            match conn.stream.write(&conn.out[conn.out_at..]) {
                Ok(n) => conn.out_at += n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return self.close(index, &format!("write: {err}")),
            }
        }
        conn.out.clear();
        conn.out_at = 0;
    }
}
