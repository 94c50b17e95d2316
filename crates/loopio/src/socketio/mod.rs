//! Socket.IO v5 on the event loop: the sans-I/O [`loopio_socket::Server`] on top of the
//! Engine.IO service, with a builder, a listener and a cross-thread [`IoHandle`]. Official
//! `socket.io-client` 4.x (browser, Node) and `python-socketio` clients connect as they do
//! to a Node `socket.io` 4.x server.
//!
//! ```text
//!  TCP ─▶ loopio-net ─▶ SocketIoService ─▶ EngineService ─▶ Glue (engineio::Handler)
//!                                                              │ handle_open / text / binary
//!                                                              ▼ / close / timeout / execute
//!                                                        loopio_socket::Server ─▶ your handlers
//!                                                              │ poll_transmit (encoded once,
//!         Engine.IO sessions ◀── Sessions::send / close ◀──────┘ shared by all recipients)
//! ```
//!
//! Handlers run on the loop thread and get `loopio_socket`'s types, re-exported here:
//! [`Socket`] (`on`, `emit`, `join`, `to`, `broadcast`, acks), [`EventContext`] (the data's
//! socket, `io()` for the whole server, `ack`) and [`Server`] (`emit`, `to`, `of`). Other
//! threads emit through [`SocketIo::handle`].
//!
//! ```no_run
//! use loopio::socketio::SocketIo;
//! use serde_json::Value;
//! use std::time::Duration;
//!
//! let mut io = SocketIo::builder()
//!     .ping_interval(Duration::from_secs(25))
//!     .cors_any()
//!     .build()?;
//! io.of("/").on_connection(|socket| {
//!     socket.on("chat message", |ctx, msg: Value| ctx.io().emit("chat message", &msg));
//!     socket.on("join", |ctx, room: String| ctx.socket().join(&room));
//! });
//! let handle = io.handle(); // Send + Clone: emit from any thread
//! std::thread::spawn(move || handle.emit("server up", &()));
//! io.listen("127.0.0.1:3000")?;
//! io.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! `LOOPIO_TRACE=1` prints every Socket.IO packet in and out per Engine.IO session, with its
//! type, namespace, event name, ack id and attachment count (`sio <sid> <- EVENT nsp=/
//! event="chat message" ack=3 {"user":"Yoon"}`), after the Engine.IO and frame lines.
//!
//! Differences from the `socket.io` 4.x server are listed in `loopio_socket`'s crate docs.
//! Here, `volatile` messages are dropped when [`Sessions::is_writable`] says no: the session's
//! WebSocket is past the loop's high-water mark, or a polling session holds no GET and has
//! packets queued.
//!
//! **Overload policy.** Other messages are never dropped silently: one that would take a
//! session past its hard limit (Engine.IO [`engineio::Config::max_buffered`] queued bytes
//! over polling, default 16 MiB; the loop's `max_buffered` over WebSocket, default 64 MiB) is
//! not sent, and the session is closed. Its sockets disconnect at once with
//! [`DisconnectReason::TransportError`] ("transport error"), which is what the `disconnect`
//! handlers see; over polling what was queued before still goes out, then the Engine.IO
//! close, so the client sees no hole in its stream, only the end of it. This matches the
//! loop's default [`OverflowPolicy::Close`](crate::net::OverflowPolicy::Close) for a WebSocket.
//!
//! [`Sessions::is_writable`]: crate::engineio::Sessions::is_writable

mod glue;
mod handle;
mod payload;
mod query;
mod raw;
mod service;
mod trace;

use std::fs::File;
use std::io::{self, Read};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

pub use loopio_net::{Request, Response};
/// `loopio_socket`'s settings (connect timeout, attachment limit, id seed).
pub use loopio_socket::Config;
pub use loopio_socket::{
    AckError, Args, Binary, Command, ConnectError, Connecting, DisconnectReason, Disconnected,
    EmitError, EventContext, Extensions, Handshake, NamespaceRef, Selection, Server, Socket,
    SocketId,
};

pub use handle::{HandleError, IoHandle, Remote};
pub use payload::Payload;
pub use raw::RawArgs;
pub use service::SocketIoService;

use crate::engineio::{self, AllowedOrigins, Cors, EngineService, Transports};
use glue::Glue;

/// A Socket.IO server on its own event loop. Register namespaces and handlers, then
/// [`listen`](SocketIo::listen) and [`run`](SocketIo::run).
///
/// ```no_run
/// let mut io = loopio::socketio::SocketIo::builder().build()?;
/// io.of("/").on_connection(|socket| {
///     let _ = socket.emit("hello", &"world");
/// });
/// loopio::socketio::serve("127.0.0.1:3000", io)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SocketIo {
    event_loop: loopio_net::EventLoop<SocketIoService>,
    /// The Engine.IO path, where the client bundle is served too.
    path: String,
}

impl std::fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIo")
            .field("service", self.event_loop.service())
            .finish()
    }
}

impl SocketIo {
    /// Settings with socket.io's defaults and the path `/socket.io/`.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The namespace `name` (created if new), to register middlewares and handlers.
    pub fn of(&mut self, name: &str) -> NamespaceRef<'_> {
        self.server().of(name)
    }

    /// The Socket.IO server itself (dynamic namespaces, stats, emits before `run`).
    pub fn server(&mut self) -> &mut Server {
        self.event_loop.service_mut().server()
    }

    /// Answers HTTP requests outside the Engine.IO path (a web page, a health check). Without
    /// it they get `404`.
    ///
    /// ```no_run
    /// use loopio::socketio::{Response, SocketIo};
    /// let mut io = SocketIo::builder().build()?;
    /// io.on_http(|request, _body| match request.path.as_str() {
    ///     "/" => Response::new(200)
    ///         .with_header("Content-Type", "text/html; charset=utf-8")
    ///         .with_body(b"<h1>hello</h1>".to_vec()),
    ///     _ => Response::new(404),
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_http(&mut self, handler: impl FnMut(&Request, &[u8]) -> Response + 'static) {
        self.event_loop.service_mut().glue().http = Some(Box::new(handler));
    }

    /// Serves `script` (the `socket.io-client` browser bundle, e.g. its
    /// `dist/socket.io.min.js`) at `<path>socket.io.js` and `<path>socket.io.min.js`, like
    /// the official server's `serveClient`. loopio does not ship the bundle itself.
    pub fn serve_client(&mut self, script: Vec<u8>) {
        let glue = self.event_loop.service_mut().glue();
        let path = self.path.clone();
        glue.client_script = Some((path, script));
    }

    /// A cloneable, thread-safe handle for emits from other threads.
    pub fn handle(&self) -> IoHandle {
        IoHandle::new(self.event_loop.handle())
    }

    /// Binds a TCP listener (`"127.0.0.1:3000"`, port `0` for any); returns the bound address.
    pub fn listen(&mut self, addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
        let addr = addr.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "address resolves to nothing")
        })?;
        self.event_loop.listen(addr)
    }

    /// Runs the loop on this thread until [`IoHandle::shutdown`].
    pub fn run(&mut self) -> io::Result<()> {
        self.event_loop.run()
    }

    /// The underlying event loop.
    pub fn event_loop(&mut self) -> &mut loopio_net::EventLoop<SocketIoService> {
        &mut self.event_loop
    }
}

/// Listens on `addr`, prints nothing, and runs `io` until shut down.
pub fn serve(addr: impl ToSocketAddrs, mut io: SocketIo) -> io::Result<()> {
    io.listen(addr)?;
    io.run()
}

/// Settings for [`SocketIo`]: Engine.IO's (heartbeat, payload size, CORS, transports, path)
/// and Socket.IO's (connect timeout). Each names its socket.io option and default.
///
/// ```
/// use std::time::Duration;
/// let builder = loopio::socketio::SocketIo::builder()
///     .ping_interval(Duration::from_millis(300))
///     .ping_timeout(Duration::from_millis(200))
///     .max_payload(1_000_000)
///     .connect_timeout(Duration::from_secs(1))
///     .cors_any();
/// assert_eq!(builder.engine_config().path, "/socket.io/");
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    engine: engineio::Config,
    connect_timeout: Duration,
    max_attachments: usize,
    net: loopio_net::Config,
}

impl Default for Builder {
    fn default() -> Self {
        let engine = engineio::Config {
            path: "/socket.io/".to_owned(),
            ..engineio::Config::default()
        };
        Builder {
            engine,
            connect_timeout: Duration::from_millis(45_000),
            max_attachments: 10,
            net: loopio_net::Config::default(),
        }
    }
}

impl Builder {
    /// `pingInterval`: time between server pings. Default 25 s.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.engine.ping_interval = interval;
        self
    }

    /// `pingTimeout`: how long to wait for a pong before "ping timeout". Default 20 s.
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.engine.ping_timeout = timeout;
        self
    }

    /// `maxHttpBufferSize`: largest message in bytes. Default 1 000 000.
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.engine.max_payload = bytes;
        self
    }

    /// `connectTimeout`: how long a client may stay without joining a namespace. Default 45 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// `cors: { origin: "*" }`: any page may poll. Default: no CORS headers.
    pub fn cors_any(mut self) -> Self {
        self.engine.cors = Cors {
            origins: AllowedOrigins::Any,
            credentials: false,
        };
        self
    }

    /// `cors: { origin: [...], credentials }`: these exact origins may poll.
    pub fn cors_origins(mut self, origins: Vec<String>, credentials: bool) -> Self {
        self.engine.cors = Cors {
            origins: AllowedOrigins::List(origins),
            credentials,
        };
        self
    }

    /// `transports`: which of polling and WebSocket clients may use. Default both.
    pub fn transports(mut self, polling: bool, websocket: bool) -> Self {
        self.engine.transports = Transports { polling, websocket };
        self
    }

    /// `path`: the Engine.IO path. Default `/socket.io/`.
    pub fn path(mut self, path: &str) -> Self {
        self.engine.path = path.to_owned();
        self
    }

    /// Any other Engine.IO setting.
    pub fn engine(mut self, config: engineio::Config) -> Self {
        self.engine = config;
        self
    }

    /// The Engine.IO settings so far.
    pub fn engine_config(&self) -> &engineio::Config {
        &self.engine
    }

    /// Loop settings (connection limits, buffers); Engine.IO's size limits override them.
    pub fn net(mut self, config: loopio_net::Config) -> Self {
        self.net = config;
        self
    }

    /// Creates the event loop (not listening yet). Reads `LOOPIO_TRACE` and 64 bytes of
    /// `/dev/urandom` (Engine.IO sids and Socket.IO ids).
    pub fn build(self) -> io::Result<SocketIo> {
        let mut seed = [0u8; 32];
        File::open("/dev/urandom")?.read_exact(&mut seed)?;
        let mut config = Config::new(seed);
        config.connect_timeout = self.connect_timeout;
        config.max_attachments = self.max_attachments;
        let trace = std::env::var_os("LOOPIO_TRACE").is_some_and(|v| v == "1");
        let glue = Glue::new(Server::new(config, Instant::now()), trace);
        let mut path = self.engine.path.clone();
        if !path.ends_with('/') {
            path.push('/');
        }
        let engine = EngineService::new(self.engine, glue)?;
        let net = engine.net_config(self.net);
        let event_loop = loopio_net::EventLoop::new(net, SocketIoService::new(engine))?;
        Ok(SocketIo { event_loop, path })
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::SocketIo;

    /// One HTTP/1.1 request on a fresh connection; returns the body.
    fn http(addr: std::net::SocketAddr, method: &str, target: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(addr).expect("server listens");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout set");
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
             Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("request sent");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response read");
        let (_, body) = response.split_once("\r\n\r\n").expect("a full response");
        body.to_owned()
    }

    /// A broadcast from another thread crosses the `Handle` queue and reaches a polling client.
    #[test]
    fn handle_emits_from_another_thread() {
        let (tx, rx) = mpsc::channel();
        let server = std::thread::spawn(move || {
            let mut io = SocketIo::builder().build().expect("loop builds");
            io.of("/").on_connection(|socket| socket.join("news"));
            let addr = io.listen("127.0.0.1:0").expect("binds");
            tx.send((addr, io.handle())).expect("test thread waits");
            io.run().expect("loop runs");
        });
        let (addr, handle) = rx.recv().expect("server started");

        let open = http(addr, "GET", "/socket.io/?EIO=4&transport=polling", "");
        let sid = open
            .split('"')
            .nth(3)
            .expect("open packet has a sid")
            .to_owned();
        let session = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        assert_eq!(http(addr, "POST", &session, "40"), "ok");
        assert!(http(addr, "GET", &session, "").starts_with("40{\"sid\":"));

        handle
            .to("news")
            .emit("headline", &("rust", 1))
            .expect("queued");
        assert_eq!(
            http(addr, "GET", &session, ""),
            r#"42["headline","rust",1]"#
        );

        handle.shutdown().expect("queued");
        server.join().expect("loop thread ends");
    }
}
