//! A test loop: plays `loopio-net`'s part with virtual time, following the driving contract
//! in the crate docs. Public API only.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use loopio_engine::{
    CloseReason, Config, Connection, Data, Event, RequestHead, Route, Server, SessionHandle,
    SessionRequest, Transmit, TransmitKind, TransportEnd, TransportId,
};

/// An event copied out of the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Text(String),
    Binary(Vec<u8>),
    Upgraded,
    Closed(CloseReason),
}

/// One transmit with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub to: u64,
    pub kind: TransmitKind,
    pub bytes: Vec<u8>,
}

impl Sent {
    pub fn status(&self) -> u16 {
        let text = String::from_utf8_lossy(&self.bytes);
        text[9..12].parse().expect("HTTP status")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.bytes);
        let head = text.split("\r\n\r\n").next()?;
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(": ")?;
            key.eq_ignore_ascii_case(name).then(|| value.to_owned())
        })
    }

    pub fn body(&self) -> &[u8] {
        match self.kind {
            TransmitKind::Http { .. } => {
                let at = self
                    .bytes
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .expect("head");
                &self.bytes[at + 4..]
            }
            _ => &self.bytes,
        }
    }

    pub fn body_str(&self) -> &str {
        std::str::from_utf8(self.body()).expect("UTF-8 body")
    }
}

pub struct Harness {
    pub server: Server,
    pub t0: Instant,
    pub now: Instant,
    pub sessions: HashMap<SessionHandle, Connection>,
    pub sent: Vec<Sent>,
    pub events: HashMap<SessionHandle, Vec<Ev>>,
    next_id: u64,
}

pub fn head<'a>(method: &'a str, query: &'a str, upgrade: bool) -> RequestHead<'a> {
    RequestHead {
        method,
        path: "/engine.io/",
        query,
        origin: None,
        upgrade,
        keep_alive: true,
        content_type: None,
        access_control_request_headers: None,
    }
}

impl Harness {
    pub fn new(config: Config) -> Harness {
        let t0 = Instant::now();
        Harness {
            server: Server::new(config, [42; 32]),
            t0,
            now: t0,
            sessions: HashMap::new(),
            sent: Vec::new(),
            events: HashMap::new(),
            next_id: 1,
        }
    }

    pub fn id(&mut self) -> TransportId {
        self.next_id += 1;
        TransportId(self.next_id)
    }

    /// Routes a request; an immediate answer is returned as a `Sent`.
    pub fn route(&mut self, head: &RequestHead<'_>) -> (Route, Option<Sent>) {
        let mut out = Vec::new();
        let route = self.server.handle_request(head, &mut out);
        let answer = match route {
            Route::Answered { close } => Some(Sent {
                to: 0,
                kind: TransmitKind::Http { close },
                bytes: out,
            }),
            _ => {
                assert!(out.is_empty(), "nothing written unless answered");
                None
            }
        };
        (route, answer)
    }

    /// An error answer for `head`.
    pub fn refused(&mut self, head: &RequestHead<'_>) -> Sent {
        match self.route(head) {
            (Route::Answered { .. }, Some(sent)) => sent,
            (route, _) => panic!("expected an answer, got {route:?}"),
        }
    }

    /// Opens a polling session; returns its handle, sid and the handshake response.
    pub fn open_polling(&mut self) -> (SessionHandle, String, Sent) {
        self.open(head("GET", "EIO=4&transport=polling", false))
    }

    /// Opens a WebSocket-only session (the loop answered 101 already); returns the WS id too.
    pub fn open_ws(&mut self) -> (SessionHandle, String, Sent) {
        self.open(head("GET", "EIO=4&transport=websocket", true))
    }

    fn open(&mut self, head: RequestHead<'_>) -> (SessionHandle, String, Sent) {
        let Route::Incoming(incoming) = self.route(&head).0 else {
            panic!("handshake refused")
        };
        let id = self.id();
        let (handle, connection) = self.server.accept(self.now, incoming, id);
        let sid = connection.sid().to_owned();
        self.sessions.insert(handle, connection);
        let sent = self.drain(handle);
        assert_eq!(sent.len(), 1, "exactly the open packet: {sent:?}");
        (handle, sid, sent.into_iter().next().expect("one"))
    }

    pub fn conn(&mut self, handle: SessionHandle) -> &mut Connection {
        self.sessions.get_mut(&handle).expect("live session")
    }

    /// Routes a request carrying `sid` and returns what the session got.
    pub fn session_request(&mut self, head: &RequestHead<'_>) -> (SessionHandle, SessionRequest) {
        match self.route(head) {
            (Route::Session(handle, request), None) => (handle, request),
            (route, answer) => panic!("expected a session route, got {route:?} {answer:?}"),
        }
    }

    pub fn get(&mut self, sid: &str) -> (TransportId, Vec<Sent>) {
        let query = format!("EIO=4&transport=polling&sid={sid}");
        let (handle, request) = self.session_request(&head("GET", &query, false));
        let id = self.id();
        let now = self.now;
        self.conn(handle).handle_poll(now, id, &request);
        (id, self.drain(handle))
    }

    pub fn post(&mut self, sid: &str, body: &[u8]) -> Vec<Sent> {
        let query = format!("EIO=4&transport=polling&sid={sid}");
        let (handle, request) = self.session_request(&head("POST", &query, false));
        let id = self.id();
        let now = self.now;
        self.conn(handle).handle_post(now, id, &request, body);
        self.drain(handle)
    }

    /// A WebSocket with `sid` that completed its 101.
    pub fn ws_open(&mut self, sid: &str) -> (TransportId, Vec<Sent>) {
        let query = format!("EIO=4&transport=websocket&sid={sid}");
        let (handle, _request) = self.session_request(&head("GET", &query, true));
        let id = self.id();
        let now = self.now;
        self.conn(handle).handle_ws_open(now, id);
        (id, self.drain(handle))
    }

    pub fn ws(&mut self, handle: SessionHandle, id: TransportId, data: Data<'_>) -> Vec<Sent> {
        let now = self.now;
        self.conn(handle).handle_ws(now, id, data);
        self.drain(handle)
    }

    pub fn transport_closed(&mut self, handle: SessionHandle, id: TransportId) -> Vec<Sent> {
        let now = self.now;
        self.conn(handle)
            .handle_transport_closed(now, id, TransportEnd::Closed);
        self.drain(handle)
    }

    pub fn send(&mut self, handle: SessionHandle, data: Data<'_>) -> Vec<Sent> {
        self.conn(handle).send(data).expect("open session");
        self.drain(handle)
    }

    pub fn close(&mut self, handle: SessionHandle) -> Vec<Sent> {
        let now = self.now;
        self.conn(handle).close(now);
        self.drain(handle)
    }

    /// The contract: transmits until `None`, then events until `None`; a closed session is
    /// removed from the server.
    pub fn drain(&mut self, handle: SessionHandle) -> Vec<Sent> {
        let now = self.now;
        let connection = self.sessions.get_mut(&handle).expect("live session");
        let mut sent = Vec::new();
        let mut out = Vec::new();
        while let Some(Transmit { to, kind }) = connection.poll_transmit(now, &mut out) {
            sent.push(Sent {
                to: to.0,
                kind,
                bytes: std::mem::take(&mut out),
            });
        }
        let mut closed = false;
        while let Some(event) = connection.poll_event() {
            let event = match event {
                Event::Message(Data::Text(text)) => Ev::Text(text.to_owned()),
                Event::Message(Data::Binary(bytes)) => Ev::Binary(bytes.to_vec()),
                Event::Upgraded => Ev::Upgraded,
                Event::Closed(reason) => {
                    closed = true;
                    Ev::Closed(reason)
                }
                other => panic!("unexpected event {other:?}"),
            };
            self.events.entry(handle).or_default().push(event);
        }
        if closed {
            assert!(connection.poll_transmit(now, &mut out).is_none());
            self.sessions.remove(&handle);
            self.server.remove(handle);
        }
        self.sent.extend(sent.iter().cloned());
        sent
    }

    /// Advances virtual time to `t0 + ms`, firing every deadline on the way in order.
    pub fn advance_to(&mut self, ms: u64) -> Vec<Sent> {
        let target = self.t0 + Duration::from_millis(ms);
        let mut sent = Vec::new();
        loop {
            let next = self
                .sessions
                .iter()
                .filter_map(|(handle, c)| c.poll_timeout().map(|at| (at, *handle)))
                .filter(|(at, _)| *at <= target)
                .min();
            let Some((at, handle)) = next else { break };
            self.now = at;
            self.conn(handle).handle_timeout(at);
            sent.extend(self.drain(handle));
        }
        self.now = target;
        sent
    }

    pub fn timeout_of(&self, handle: SessionHandle) -> Option<u64> {
        let at = self.sessions.get(&handle)?.poll_timeout()?;
        Some(at.duration_since(self.t0).as_millis() as u64)
    }

    pub fn events(&mut self, handle: SessionHandle) -> Vec<Ev> {
        self.events.remove(&handle).unwrap_or_default()
    }
}

/// The open packet's JSON.
pub fn open_json(body: &[u8]) -> serde_json::Value {
    assert_eq!(body[0], b'0', "an open packet");
    serde_json::from_slice(&body[1..]).expect("open JSON")
}
