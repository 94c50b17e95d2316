//! Engine.IO harness shared by the `eio_*` scenarios: a counting echo handler and clients.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};

use loopio::engineio::{self, CloseReason, Data, EngineService, Handler, SessionId, Sessions};
use loopio_adversarial::{http, ws, Server};

/// Echoes every message; counts sessions opened and closed (by reason).
#[derive(Debug, Default)]
pub struct Counter {
    pub opens: u64,
    pub closes: BTreeMap<String, u64>,
    pub live: BTreeSet<SessionId>,
}

impl Counter {
    pub fn closed(&self) -> u64 {
        self.closes.values().sum()
    }
}

impl Handler for Counter {
    fn on_open(&mut self, _: &mut Sessions<'_>, session: SessionId) {
        self.opens += 1;
        self.live.insert(session);
    }

    fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
        let _ = sessions.send(session, data);
    }

    fn on_close(&mut self, _: &mut Sessions<'_>, session: SessionId, reason: CloseReason) {
        self.live.remove(&session);
        *self.closes.entry(reason.to_string()).or_default() += 1;
    }
}

pub type Eio = Server<EngineService<Counter>>;

/// An Engine.IO echo server; `net` is completed with the engine's limits.
pub fn start(config: engineio::Config, net: loopio::net::Config) -> Eio {
    let probe = EngineService::with_seed(config.clone(), Counter::default(), [7; 32]);
    let net = probe.net_config(net);
    Server::start(net, move || {
        EngineService::with_seed(config, Counter::default(), [7; 32])
    })
}

/// (sessions the engine holds, handler opens, handler closes by reason).
pub fn counts(server: &Eio) -> (usize, u64, BTreeMap<String, u64>) {
    server.query(|s: &mut EngineService<Counter>, _| {
        (s.len(), s.handler().opens, s.handler().closes.clone())
    })
}

pub const POLLING: &str = "/engine.io/?EIO=4&transport=polling";

/// A polling session: its keep-alive connection and its query string.
pub struct Polling {
    pub stream: TcpStream,
    pub query: String,
    pub sid: String,
}

impl Polling {
    pub fn open(addr: SocketAddr) -> Polling {
        let mut stream = ws::connect(addr);
        let open = http::request(&mut stream, "GET", POLLING, b"").expect("handshake");
        assert_eq!(open.status, 200, "{open:?}");
        let sid = http::sid_of(&open.body);
        Polling {
            stream,
            query: format!("{POLLING}&sid={sid}"),
            sid,
        }
    }

    /// POSTs `payload`; returns the reply.
    pub fn post(&mut self, payload: &[u8]) -> http::Reply {
        http::request(&mut self.stream, "POST", &self.query, payload).expect("POST answered")
    }

    /// GETs the pending packets.
    pub fn get(&mut self) -> http::Reply {
        http::request(&mut self.stream, "GET", &self.query, b"").expect("GET answered")
    }

    /// Round trip: POST a message, GET its echo.
    pub fn echo(&mut self, text: &str) -> bool {
        let packet = format!("4{text}");
        self.post(packet.as_bytes()).status == 200 && self.get().body == packet
    }

    /// Sends the close packet.
    pub fn close(&mut self) {
        let reply = self.post(b"1");
        assert_eq!(reply.status, 200, "{reply:?}");
    }
}

/// An Engine.IO session over WebSocket from the start.
pub struct WsSession {
    pub stream: TcpStream,
}

impl WsSession {
    pub fn open(addr: SocketAddr) -> WsSession {
        let mut stream = ws::connect(addr);
        stream
            .write_all(&ws::upgrade_request(
                "/engine.io/?EIO=4&transport=websocket",
            ))
            .expect("upgrade");
        let head = ws::read_head(&mut stream).expect("101");
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let open = ws::read_frame(&mut stream).expect("open packet");
        assert!(open.payload.starts_with(b"0{\"sid\""), "{open:?}");
        WsSession { stream }
    }

    /// Round trip of a message packet (pings from the server are answered on the way).
    pub fn echo(&mut self, text: &str) -> bool {
        let packet = format!("4{text}");
        if self
            .stream
            .write_all(&ws::frame(true, 0x1, packet.as_bytes()))
            .is_err()
        {
            return false;
        }
        loop {
            match ws::read_frame(&mut self.stream) {
                Ok(frame) if frame.payload == b"2" => {
                    let _ = self.stream.write_all(&ws::frame(true, 0x1, b"3"));
                }
                Ok(frame) => return frame.payload == packet.as_bytes(),
                Err(_) => return false,
            }
        }
    }

    /// Sends the close packet and the WebSocket close; waits for the server's EOF.
    pub fn close(mut self) {
        let _ = self.stream.write_all(&ws::frame(true, 0x1, b"1"));
        let _ = self
            .stream
            .write_all(&ws::frame(true, 0x8, &1000u16.to_be_bytes()));
        assert!(ws::ends(&mut self.stream));
    }
}
