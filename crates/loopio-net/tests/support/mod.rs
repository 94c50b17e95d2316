//! Shared helpers: a scripted service, a loop on its own thread, and a raw std client.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use loopio_net::{
    CloseCode, CloseReason, Config, ConnId, Ctx, Data, EventLoop, Handle, HttpReply, Request,
    Response, Service,
};

/// Every test waits at most this long for anything.
pub const WAIT: Duration = Duration::from_secs(5);

/// What the service saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Open(ConnId),
    Closed(ConnId, CloseReason),
    Message(ConnId, String),
    /// `on_shutdown` ran.
    Shutdown,
}

/// Echoes; `close` starts a close with 4000; `flood` queues 8 MiB; `/hold` is answered by a timer.
pub struct Scripted {
    pub seen: mpsc::Sender<Seen>,
    pub held: Vec<ConnId>,
}

impl Service for Scripted {
    fn on_open(&mut self, _ctx: &mut Ctx, conn: ConnId) {
        let _ = self.seen.send(Seen::Open(conn));
    }

    fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
        match data {
            Data::Text("close") => {
                let _ = ctx.close(conn, CloseCode(4000), "bye");
            }
            Data::Text("flood") => {
                let chunk = vec![7u8; 1 << 20];
                for _ in 0..8 {
                    if ctx.send_binary(conn, &chunk).is_err() {
                        break;
                    }
                }
            }
            Data::Text("parts") => {
                let _ = ctx.send_text_parts(conn, &["4", "pa", "", "rts"]);
            }
            Data::Text("long parts") => {
                // Around the 7-bit length's limit (125) and past the 16-bit one.
                for len in [124, 125, 70_000] {
                    let _ = ctx.send_text_parts(conn, &["4", &"x".repeat(len)]);
                }
            }
            Data::Text(text) => {
                let _ = self.seen.send(Seen::Message(conn, text.to_owned()));
                let _ = ctx.send_text(conn, text);
            }
            Data::Binary(bytes) => {
                let _ = ctx.send_binary(conn, bytes);
            }
        }
    }

    fn on_http(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        body: &[u8],
    ) -> HttpReply {
        match request.path.as_str() {
            "/hold" => {
                let at = ctx.now() + Duration::from_millis(30);
                ctx.set_timer(at, 0);
                self.held.push(conn);
                HttpReply::Hold
            }
            "/echo" => HttpReply::Respond(Response::new(200).with_body(body.to_vec())),
            _ => HttpReply::Respond(Response::new(404)),
        }
    }

    fn on_body_refused(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        status: u16,
    ) -> bool {
        if request.path != "/custom" {
            return false;
        }
        let response = Response::new(status).with_header("X-Refused", "custom");
        ctx.respond(conn, response).is_ok()
    }

    fn on_timer(&mut self, ctx: &mut Ctx, _timer: loopio_net::TimerId, _data: u64) {
        for conn in self.held.drain(..) {
            let _ = ctx.respond(conn, Response::new(200).with_body(b"late".to_vec()));
        }
    }

    fn on_close(&mut self, _ctx: &mut Ctx, conn: ConnId, reason: &CloseReason) {
        let _ = self.seen.send(Seen::Closed(conn, reason.clone()));
    }

    fn on_shutdown(&mut self, _ctx: &mut Ctx) {
        let _ = self.seen.send(Seen::Shutdown);
    }
}

/// A loop running `Scripted` on its own thread.
pub struct Server {
    pub addr: SocketAddr,
    pub handle: Handle<Scripted>,
    pub seen: mpsc::Receiver<Seen>,
    pub thread: Option<JoinHandle<()>>,
    done: mpsc::Receiver<()>,
}

impl Server {
    /// Starts a loop; its shutdown timeout is cut to 300 ms so tests that leave a peer
    /// silent end quickly.
    pub fn start(mut config: Config) -> Server {
        config.shutdown_timeout = Duration::from_millis(300);
        let (seen_tx, seen) = mpsc::channel();
        let (ready_tx, ready) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let service = Scripted {
                seen: seen_tx,
                held: Vec::new(),
            };
            let mut event_loop = EventLoop::new(config, service).expect("poll available");
            let addr = event_loop
                .listen("127.0.0.1:0".parse().expect("literal"))
                .expect("bind");
            ready_tx
                .send((addr, event_loop.handle()))
                .expect("test waits");
            event_loop.run().expect("loop runs");
            let _ = done_tx.send(());
        });
        let (addr, handle) = ready.recv_timeout(WAIT).expect("loop started");
        Server {
            addr,
            handle,
            seen,
            thread: Some(thread),
            done,
        }
    }

    /// The next thing the service saw.
    pub fn next_seen(&self) -> Seen {
        self.seen.recv_timeout(WAIT).expect("service event in time")
    }

    /// Shuts the loop down and waits for its thread.
    pub fn stop(mut self) {
        self.handle.shutdown().expect("loop still running");
        self.join();
    }

    pub fn join(&mut self) {
        let thread = self.thread.take().expect("joined once");
        self.done
            .recv_timeout(WAIT * 2)
            .expect("loop thread stopped in time");
        thread.join().expect("loop thread did not panic");
    }
}

/// A raw TCP connection with read timeouts.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

pub fn upgrade_request(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

/// Reads an HTTP head (through CRLF CRLF) byte by byte so no frame bytes are swallowed.
pub fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("head byte in time");
        assert_eq!(
            n,
            1,
            "EOF inside head: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    String::from_utf8(head).expect("ASCII head")
}

/// Connects and completes the upgrade.
pub fn open_ws(addr: SocketAddr) -> TcpStream {
    let mut stream = connect(addr);
    stream.write_all(&upgrade_request("/")).expect("write");
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    stream
}

/// A masked client frame.
pub fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n < 65536 => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// Reads one unmasked server frame: (fin, opcode, payload).
pub fn read_frame(stream: &mut TcpStream) -> (bool, u8, Vec<u8>) {
    let mut head = [0; 2];
    stream.read_exact(&mut head).expect("frame header in time");
    assert_eq!(head[1] & 0x80, 0, "server frames are unmasked");
    let len = match head[1] & 0x7f {
        126 => {
            let mut b = [0; 2];
            stream.read_exact(&mut b).expect("length");
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0; 8];
            stream.read_exact(&mut b).expect("length");
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    let mut payload = vec![0; len as usize];
    stream.read_exact(&mut payload).expect("payload in time");
    (head[0] & 0x80 != 0, head[0] & 0x0f, payload)
}

/// Reads a close frame and returns its code.
pub fn read_close(stream: &mut TcpStream) -> u16 {
    let (fin, opcode, payload) = read_frame(stream);
    assert!(fin);
    assert_eq!(
        opcode, 0x8,
        "expected close, got opcode {opcode} {payload:?}"
    );
    u16::from_be_bytes([payload[0], payload[1]])
}

/// Asserts the server closes TCP (EOF or reset) within the wait.
pub fn expect_eof(stream: &mut TcpStream) {
    let mut buf = [0; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => continue,
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => return,
            Err(err) => panic!("expected EOF, got {err}"),
        }
    }
}
