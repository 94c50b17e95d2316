//! A whole sans-I/O Engine.IO session (`Server` routing plus one `Connection`) driven by an
//! arbitrary sequence of operations and time steps (quinn `fuzz_targets/streams.rs` style).
//!
//! Input: `[config] [op]...`, each op a tag byte and its operands (see `Op::read`). `config`
//! bit 0 opens the session over WebSocket instead of polling, bit 1 shrinks `max_payload` and
//! `max_buffered`.
//!
//! Invariants:
//! - nothing panics, whatever the order of requests, frames, closes and deadlines;
//! - draining terminates (fewer than 10 000 transmits/events per step: no output loop);
//! - after `handle_timeout(now)`, `poll_timeout()` is `None` or later than `now` (a deadline
//!   that does not move would spin the loop);
//! - `Closed` is the last event and comes once; afterwards `send` fails with `Closed`;
//! - a session whose peer goes silent is closed within 8 minutes of virtual time;
//! - every transmit targets a transport the harness opened; `send` fails only with `Closed`
//!   (when closing) or `BufferFull`.
#![no_main]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use loopio_engine::{
    Config, Connection, Data, Event, RequestHead, Route, SendError, Server, SessionHandle,
    TransportEnd, TransportId,
};
use loopio_fuzz::Input;

const LIMIT: usize = 10_000;

/// Packets a peer sends during a normal session, to reach deep states quickly.
const TEMPLATES: [&str; 10] = ["2probe", "3probe", "5", "3", "2", "4hello", "1", "6", "bAQID", "40"];

struct Harness {
    server: Server,
    handle: SessionHandle,
    conn: Connection,
    now: Instant,
    next_id: u64,
    opened: HashSet<u64>,
    ws: Option<TransportId>,
    closed: bool,
    out: Vec<u8>,
}

fn head<'a>(method: &'a str, path: &'a str, query: &'a str, upgrade: bool) -> RequestHead<'a> {
    RequestHead {
        method,
        path,
        query,
        origin: None,
        upgrade,
        keep_alive: true,
        content_type: Some("text/plain;charset=UTF-8"),
        access_control_request_headers: None,
    }
}

impl Harness {
    fn open(config: u8) -> Harness {
        let mut engine_config = Config::default();
        if config & 2 != 0 {
            engine_config.max_payload = 64;
            engine_config.max_buffered = 256;
        }
        let mut server = Server::new(engine_config, [config; 32]);
        let path = server.config().path.clone();
        let websocket = config & 1 != 0;
        let query = if websocket { "EIO=4&transport=websocket" } else { "EIO=4&transport=polling" };
        let mut out = Vec::new();
        let route = server.handle_request(&head("GET", &path, query, websocket), &mut out);
        let Route::Incoming(incoming) = route else {
            panic!("a valid handshake was routed as {route:?}");
        };
        let now = Instant::now();
        let (handle, conn) = server.accept(now, incoming, TransportId(0));
        let ws = websocket.then_some(TransportId(0));
        let mut harness = Harness {
            server,
            handle,
            conn,
            now,
            next_id: 1,
            opened: HashSet::from([0]),
            ws,
            closed: false,
            out,
        };
        harness.drain();
        harness
    }

    fn new_id(&mut self) -> TransportId {
        self.next_id += 1;
        self.opened.insert(self.next_id);
        TransportId(self.next_id)
    }

    /// Routes a request for the session and hands it to the connection.
    fn request(&mut self, method: &str, transport: &str, body: Option<&[u8]>) {
        let path = self.server.config().path.clone();
        let query = format!("EIO=4&transport={transport}&sid={}", self.conn.sid());
        let upgrade = transport == "websocket";
        self.out.clear();
        let route = self.server.handle_request(&head(method, &path, &query, upgrade), &mut self.out);
        let Route::Session(handle, request) = route else {
            // A removed session's sid is unknown: an error answer, not a panic.
            return;
        };
        assert_eq!(handle, self.handle);
        let id = self.new_id();
        match (body, upgrade) {
            (Some(body), _) => self.conn.handle_post(self.now, id, &request, body),
            (None, true) => {
                self.conn.handle_ws_open(self.now, id);
                self.ws = Some(id);
            }
            (None, false) => self.conn.handle_poll(self.now, id, &request),
        }
    }

    /// Drains transmits and events, checking them.
    fn drain(&mut self) {
        for _ in 0..LIMIT {
            self.out.clear();
            let Some(transmit) = self.conn.poll_transmit(self.now, &mut self.out) else {
                break;
            };
            assert!(self.opened.contains(&transmit.to.0), "transmit to unknown {transmit:?}");
        }
        assert!(self.conn.poll_transmit(self.now, &mut self.out).is_none(), "transmit loop");
        for _ in 0..LIMIT {
            let Some(event) = self.conn.poll_event() else {
                break;
            };
            assert!(!self.closed, "event {event:?} after Closed");
            if let Event::Closed(_) = event {
                self.closed = true;
                assert!(self.conn.is_closed());
                self.server.remove(self.handle);
            }
        }
        assert!(self.conn.poll_event().is_none(), "event loop");
    }

    fn send(&mut self, data: Data<'_>) {
        match self.conn.send(data) {
            Ok(()) => assert!(!self.closed, "send accepted after Closed"),
            Err(SendError::Closed | SendError::BufferFull) => {}
            Err(other) => panic!("send failed with {other:?}"),
        }
    }

    fn step(&mut self, input: &mut Input<'_>) {
        match input.byte() % 12 {
            0 => self.request("GET", "polling", None),
            1 => {
                let len = usize::from(input.byte());
                self.request("POST", "polling", Some(input.take(len)));
            }
            2 => {
                let text = TEMPLATES[usize::from(input.byte()) % TEMPLATES.len()];
                self.request("POST", "polling", Some(text.as_bytes()));
            }
            3 => self.request("GET", "websocket", None),
            4 | 5 => {
                let id = self.ws.unwrap_or(TransportId(0));
                let text = TEMPLATES[usize::from(input.byte()) % TEMPLATES.len()];
                self.conn.handle_ws(self.now, id, Data::Text(text));
            }
            6 => {
                let id = self.ws.unwrap_or(TransportId(0));
                let len = usize::from(input.byte() % 128);
                let bytes = input.take(len);
                match input.byte() & 1 {
                    0 => self.conn.handle_ws(self.now, id, Data::Binary(bytes)),
                    _ => {
                        let text = String::from_utf8_lossy(bytes);
                        self.conn.handle_ws(self.now, id, Data::Text(&text));
                    }
                }
            }
            7 => {
                let which = u64::from(input.byte()) % (self.next_id + 1);
                let end = if input.byte() & 1 == 0 { TransportEnd::Closed } else { TransportEnd::Failed };
                self.conn.handle_transport_closed(self.now, TransportId(which), end);
            }
            8 | 9 => {
                self.now += Duration::from_millis(u64::from(input.u16()) * 16);
                if self.conn.poll_timeout().is_some_and(|deadline| deadline <= self.now) {
                    self.conn.handle_timeout(self.now);
                    self.drain();
                    let next = self.conn.poll_timeout();
                    assert!(next.is_none_or(|t| t > self.now), "deadline did not move");
                }
            }
            10 => {
                let len = usize::from(input.byte());
                let bytes = input.take(len);
                if len % 2 == 0 {
                    self.send(Data::Binary(bytes));
                } else {
                    self.send(Data::Text(&String::from_utf8_lossy(bytes)));
                }
            }
            _ => self.conn.close(self.now),
        }
        self.drain();
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mut harness = Harness::open(input.byte());
    while !input.is_empty() {
        harness.step(&mut input);
    }
    // Whatever state it is in, the session ends once time runs far enough.
    for _ in 0..8 {
        harness.now += Duration::from_secs(60);
        if harness.conn.poll_timeout().is_some_and(|t| t <= harness.now) {
            harness.conn.handle_timeout(harness.now);
        }
        harness.drain();
    }
    // An unanswered ping ends any session: a silent peer must never keep one alive.
    assert!(harness.closed, "session alive after 8 minutes without a peer");
});
