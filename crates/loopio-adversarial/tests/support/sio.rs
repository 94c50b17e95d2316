//! Socket.IO harness shared by the `sio_*` scenarios: a [`SocketIo`] server on its own thread
//! with its counts read on the loop thread, and raw Socket.IO clients over WebSocket and
//! long-polling (Engine.IO v4 / Socket.IO v5 spoken by hand, independent of the server code).
#![allow(dead_code)]

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use loopio::net::{Ctx, Handle};
use loopio::socketio::{Builder, IoHandle, SocketIo, SocketIoService};
use loopio_adversarial::{http, ws, WAIT};
use loopio_socket::Stats;

/// A running Socket.IO server.
pub struct Sio {
    pub addr: SocketAddr,
    /// The public cross-thread handle (emits, shutdown).
    pub io: IoHandle,
    /// The loop's handle, to read counts on the loop thread.
    pub handle: Handle<SocketIoService>,
    thread: Option<JoinHandle<()>>,
    done: mpsc::Receiver<io::Result<()>>,
}

impl Sio {
    /// Builds the server from `builder` on a new thread, lets `setup` register handlers,
    /// listens on `127.0.0.1:0` and runs the loop.
    pub fn start(builder: Builder, setup: impl FnOnce(&mut SocketIo) + Send + 'static) -> Sio {
        let (ready_tx, ready) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("socketio".into())
            .spawn(move || {
                let mut io = builder.build().expect("loop builds");
                setup(&mut io);
                let addr = io.listen("127.0.0.1:0").expect("bind 127.0.0.1:0");
                let handles = (addr, io.handle(), io.event_loop().handle());
                ready_tx.send(handles).expect("the test waits");
                let _ = done_tx.send(io.run());
            })
            .expect("spawn the loop thread");
        let (addr, io, handle) = ready.recv_timeout(WAIT).expect("loop started in time");
        Sio {
            addr,
            io,
            handle,
            thread: Some(thread),
            done,
        }
    }

    /// Runs `f` on the loop thread and returns its result (within [`WAIT`]).
    pub fn query<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SocketIoService, &mut Ctx) -> R + Send + 'static,
    ) -> R {
        loopio_adversarial::server::query(&self.handle, f)
    }

    /// (Engine.IO sessions, Socket.IO table sizes).
    pub fn counts(&self) -> (usize, Stats) {
        self.query(|service, _| (engine_sessions(service), service.server().stats()))
    }

    /// Starts a graceful shutdown through the public handle.
    pub fn shutdown(&self) {
        self.io.shutdown().expect("loop still running");
    }

    /// Whether `run` returned (Ok) within `timeout`.
    pub fn ended_within(&mut self, timeout: Duration) -> bool {
        match self.done.recv_timeout(timeout) {
            Ok(result) => {
                result.expect("SocketIo::run returned Ok");
                let thread = self.thread.take().expect("joined once");
                thread.join().expect("loop thread did not panic");
                true
            }
            Err(_) => false,
        }
    }

    /// Shuts down and waits for the loop to end.
    pub fn stop(mut self) {
        self.shutdown();
        assert!(self.ended_within(WAIT), "loop ended in time");
    }
}

/// Live Engine.IO sessions. `SocketIoService` has no getter for it; its `Debug` output
/// carries the number (`SocketIoService { sessions: 3, .. }`).
pub fn engine_sessions(service: &SocketIoService) -> usize {
    let text = format!("{service:?}");
    let start = text.find("sessions: ").expect("Debug shows sessions") + 10;
    text[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .expect("sessions is a number")
}

pub const WS_PATH: &str = "/socket.io/?EIO=4&transport=websocket";
pub const POLLING: &str = "/socket.io/?EIO=4&transport=polling";

/// A Socket.IO client over a raw WebSocket.
pub struct SioWs {
    pub stream: TcpStream,
}

impl SioWs {
    /// Upgrades and reads the Engine.IO open packet; no namespace joined yet.
    pub fn open(addr: SocketAddr) -> SioWs {
        let mut stream = ws::connect(addr);
        stream
            .write_all(&ws::upgrade_request(WS_PATH))
            .expect("upgrade");
        let head = ws::read_head(&mut stream).expect("101");
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let open = ws::read_frame(&mut stream).expect("open packet");
        assert!(open.payload.starts_with(b"0{\"sid\""), "{open:?}");
        SioWs { stream }
    }

    /// Opens and joins `/`.
    pub fn connect(addr: SocketAddr) -> SioWs {
        let mut client = SioWs::open(addr);
        client.join("/");
        client
    }

    /// Sends a Socket.IO CONNECT for `nsp` (`40` on the wire) and expects its CONNECT answer.
    pub fn join(&mut self, nsp: &str) {
        let (connect, answer) = match nsp {
            "/" => ("0".to_owned(), "0{\"sid\"".to_owned()),
            _ => (format!("0{nsp},"), format!("0{nsp},{{\"sid\"")),
        };
        self.send(&connect).expect("CONNECT sent");
        loop {
            let reply = self.recv().expect("CONNECT answered");
            // Events of namespaces joined before may come first.
            if !reply.starts_with('2') {
                assert!(reply.starts_with(&answer), "{reply}");
                return;
            }
        }
    }

    /// Sends one Engine.IO message (`4` prefix added): a Socket.IO packet.
    pub fn send(&mut self, packet: &str) -> io::Result<()> {
        let message = format!("4{packet}");
        self.stream
            .write_all(&ws::frame(true, 0x1, message.as_bytes()))
    }

    /// The next Socket.IO packet (Engine.IO `4` stripped); pings are answered on the way.
    /// Engine.IO packets other than messages come back whole (e.g. `1`). A close frame is
    /// returned as `close <code>`.
    pub fn recv(&mut self) -> io::Result<String> {
        loop {
            let frame = ws::read_frame(&mut self.stream)?;
            if frame.opcode == 0x8 {
                return Ok(format!("close {}", frame.close_code()));
            }
            let text = String::from_utf8(frame.payload)
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
            match text.strip_prefix('4') {
                Some(packet) => return Ok(packet.to_owned()),
                None if text == "2" => self.stream.write_all(&ws::frame(true, 0x1, b"3"))?,
                None => return Ok(text),
            }
        }
    }

    /// Emits `["echo", text]` and waits for the server's `["echo", text]` back, skipping other
    /// events (e.g. an ack request) on the way.
    pub fn echo(&mut self, text: &str) -> bool {
        let packet = format!(r#"2["echo","{text}"]"#);
        if self.send(&packet).is_err() {
            return false;
        }
        loop {
            match self.recv() {
                Ok(got) if got == packet => return true,
                Ok(got) if got.starts_with('2') => {}
                _ => return false,
            }
        }
    }

    /// Leaves `/` (`41`), then closes the WebSocket and waits for the server's EOF.
    pub fn leave_and_close(mut self) {
        let _ = self.send("1");
        let _ = self
            .stream
            .write_all(&ws::frame(true, 0x8, &1000u16.to_be_bytes()));
        assert!(ws::ends(&mut self.stream), "server closed TCP");
    }
}

/// A Socket.IO client over long-polling, one keep-alive connection.
pub struct SioPoll {
    pub stream: TcpStream,
    pub query: String,
    pub sid: String,
}

impl SioPoll {
    /// Handshakes (no namespace yet).
    pub fn open(addr: SocketAddr) -> SioPoll {
        let mut stream = ws::connect(addr);
        let open = http::request(&mut stream, "GET", POLLING, b"").expect("handshake");
        assert_eq!(open.status, 200, "{open:?}");
        let sid = http::sid_of(&open.body);
        SioPoll {
            stream,
            query: format!("{POLLING}&sid={sid}"),
            sid,
        }
    }

    /// Handshakes and joins `/`.
    pub fn connect(addr: SocketAddr) -> SioPoll {
        let mut client = SioPoll::open(addr);
        client.post(&["0"]);
        let got = client.get();
        assert!(got[0].starts_with("0{\"sid\""), "{got:?}");
        client
    }

    /// POSTs Engine.IO packets (joined with the record separator); expects `ok`.
    pub fn post(&mut self, packets: &[&str]) {
        let body = packets
            .iter()
            .map(|p| format!("4{p}"))
            .collect::<Vec<_>>()
            .join("\u{1e}");
        let reply = http::request(&mut self.stream, "POST", &self.query, body.as_bytes())
            .expect("POST answered");
        assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    }

    /// POSTs a raw Engine.IO payload (e.g. `1`, the close packet); expects `ok`.
    pub fn post_raw(&mut self, body: &str) {
        let reply = http::request(&mut self.stream, "POST", &self.query, body.as_bytes())
            .expect("POST answered");
        assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    }

    /// One GET: its Engine.IO packets, with the `4` of messages stripped (pings answered).
    pub fn get(&mut self) -> Vec<String> {
        self.try_get().expect("GET answered")
    }

    /// One GET, or the error if the server ended the connection.
    pub fn try_get(&mut self) -> io::Result<Vec<String>> {
        let reply = http::request(&mut self.stream, "GET", &self.query, b"")?;
        if reply.status != 200 {
            return Ok(vec![format!("status {} {}", reply.status, reply.body)]);
        }
        let mut packets = Vec::new();
        for packet in reply.body.split('\u{1e}') {
            match packet.strip_prefix('4') {
                Some(message) => packets.push(message.to_owned()),
                None if packet == "2" => {
                    let _ = http::request(&mut self.stream, "POST", &self.query, b"3")?;
                }
                None => packets.push(packet.to_owned()),
            }
        }
        Ok(packets)
    }
}
