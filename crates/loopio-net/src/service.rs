//! The application interface: the [`Service`] trait the loop calls, and the values it passes.

use std::fmt;

use loopio_frame::CloseCode;
use loopio_handshake::{Request, WsOffer};

use crate::Ctx;

/// Names one connection. A slot reused by a later connection gets a new generation, so a stale
/// `ConnId` is ignored instead of reaching the wrong peer.
///
/// ```
/// # use loopio_net::ConnId;
/// fn log(conn: ConnId) -> String {
///     format!("{conn}")
/// }
/// # let _ = log;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.index, self.generation)
    }
}

/// Names a service timer set with [`Ctx::set_timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId(pub(crate) u64);

/// A complete WebSocket data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data<'a> {
    /// A text message (valid UTF-8, checked by the codec).
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

/// A WebSocket upgrade request the service may accept or refuse.
///
/// ```no_run
/// # use loopio_net::{Upgrade, UpgradeReply};
/// fn decide(upgrade: &Upgrade<'_>) -> UpgradeReply {
///     if upgrade.path() != "/chat" {
///         return UpgradeReply::Reject(404);
///     }
///     match upgrade.protocols().iter().find(|p| *p == "chat.v1") {
///         Some(p) => UpgradeReply::accept().with_protocol(p),
///         None => UpgradeReply::accept(),
///     }
/// }
/// # let _ = decide;
/// ```
#[derive(Debug)]
pub struct Upgrade<'a> {
    pub(crate) request: &'a Request,
    pub(crate) offer: &'a WsOffer,
}

impl<'a> Upgrade<'a> {
    /// The request head (method, path, query, headers).
    pub fn request(&self) -> &'a Request {
        self.request
    }

    /// The path without the query, e.g. `/chat`.
    pub fn path(&self) -> &'a str {
        &self.request.path
    }

    /// The raw query string without `?` (maybe empty).
    pub fn query(&self) -> &'a str {
        &self.request.query
    }

    /// The first header `name` (case-insensitive) that is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.request.header(name)
    }

    /// The `Origin` header, if sent.
    pub fn origin(&self) -> Option<&'a str> {
        self.offer.origin.as_deref()
    }

    /// Offered subprotocols, in the client's order of preference.
    pub fn protocols(&self) -> &'a [String] {
        &self.offer.protocols
    }

    /// Offered extensions as raw header items (none are negotiated by the loop).
    pub fn extensions(&self) -> &'a [String] {
        &self.offer.extensions
    }
}

/// The service's answer to an [`Upgrade`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpgradeReply {
    /// Answer `101`, optionally choosing a subprotocol and adding headers.
    Accept {
        /// The chosen subprotocol; must be one the client offered.
        protocol: Option<String>,
        /// Extra response headers.
        headers: Vec<(String, String)>,
    },
    /// Answer with this HTTP status (e.g. 403, 404) and close.
    Reject(u16),
}

impl UpgradeReply {
    /// Accept without a subprotocol or extra headers.
    ///
    /// ```
    /// let reply = loopio_net::UpgradeReply::accept().with_header("X-Server", "loopio");
    /// assert!(matches!(reply, loopio_net::UpgradeReply::Accept { .. }));
    /// ```
    pub fn accept() -> UpgradeReply {
        UpgradeReply::Accept {
            protocol: None,
            headers: Vec::new(),
        }
    }

    /// Chooses `protocol` (only meaningful on `Accept`).
    pub fn with_protocol(mut self, name: &str) -> UpgradeReply {
        if let UpgradeReply::Accept { protocol, .. } = &mut self {
            *protocol = Some(name.to_owned());
        }
        self
    }

    /// Adds a response header (only meaningful on `Accept`).
    pub fn with_header(mut self, name: &str, value: &str) -> UpgradeReply {
        if let UpgradeReply::Accept { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

/// A plain HTTP response.
///
/// ```
/// let ok = loopio_net::Response::new(200)
///     .with_header("Content-Type", "text/plain")
///     .with_body(b"hello".to_vec());
/// assert_eq!(ok.status, 200);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers besides `Content-Length` and `Connection`, which the loop writes.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Close the TCP connection after this response even if keep-alive was possible.
    pub close: bool,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            close: false,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: Vec<u8>) -> Response {
        self.body = body;
        self
    }
}

/// The service's answer to a plain HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpReply {
    /// Send this response now.
    Respond(Response),
    /// Hold the request open (a long-poll); answer later with [`Ctx::respond`].
    Hold,
}

/// Who started a close handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// This end (the service, a timeout or shutdown).
    Local,
    /// The peer.
    Remote,
}

/// Why a connection ended; given once to [`Service::on_close`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The WebSocket close handshake completed (or was started and answered by TCP close).
    Closed {
        /// The code from the first close frame (`NO_STATUS` when it carried none).
        code: CloseCode,
        /// Who sent the first close frame.
        initiator: Initiator,
    },
    /// The peer broke the protocol; we sent a close frame with this code.
    Protocol(CloseCode),
    /// The peer closed TCP without a close handshake (or HTTP connection ended).
    Dropped,
    /// A handshake, close or keepalive deadline passed.
    Timeout,
    /// Unsent output passed [`Config::max_buffered`](crate::Config::max_buffered).
    Overflow,
    /// The client handshake failed (bad `101`, refused connection).
    Handshake,
    /// A socket error.
    Io(std::io::ErrorKind),
    /// The loop is shutting down.
    Shutdown,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Closed { code, initiator } => {
                write!(f, "closed with {} by {:?}", code.0, initiator)
            }
            CloseReason::Protocol(code) => write!(f, "protocol error, sent close {}", code.0),
            CloseReason::Dropped => f.write_str("peer dropped the connection"),
            CloseReason::Timeout => f.write_str("deadline passed"),
            CloseReason::Overflow => f.write_str("too much unsent output"),
            CloseReason::Handshake => f.write_str("client handshake failed"),
            CloseReason::Io(kind) => write!(f, "socket error: {kind}"),
            CloseReason::Shutdown => f.write_str("server shutting down"),
        }
    }
}

/// What the application does; the loop calls it on its one thread.
///
/// Every method gets a [`Ctx`] to send, close, respond, connect or set timers for any
/// connection. Only [`Service::on_message`] is required.
///
/// ```no_run
/// use loopio_net::{ConnId, Ctx, Data, EventLoop, Service};
///
/// struct Echo;
///
/// impl Service for Echo {
///     fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
///         let _ = match data {
///             Data::Text(text) => ctx.send_text(conn, text),
///             Data::Binary(bytes) => ctx.send_binary(conn, bytes),
///         };
///     }
/// }
///
/// let mut event_loop = EventLoop::new(loopio_net::Config::default(), Echo)?;
/// event_loop.listen("127.0.0.1:9001".parse().unwrap())?;
/// event_loop.run()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait Service {
    /// A valid WebSocket upgrade request arrived. Default: accept without a subprotocol.
    fn on_upgrade(&mut self, ctx: &mut Ctx, conn: ConnId, upgrade: &Upgrade<'_>) -> UpgradeReply {
        let _ = (ctx, conn, upgrade);
        UpgradeReply::accept()
    }

    /// A WebSocket is open (server: `101` sent; client: `101` validated).
    fn on_open(&mut self, ctx: &mut Ctx, conn: ConnId) {
        let _ = (ctx, conn);
    }

    /// A complete message arrived.
    fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>);

    /// A plain (non-upgrade) HTTP request with its complete body. Default: 404.
    fn on_http(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        body: &[u8],
    ) -> HttpReply {
        let _ = (ctx, conn, request, body);
        HttpReply::Respond(Response::new(404))
    }

    /// The body of `request` was refused before it was read: over [`Config::max_body`]
    /// (`status` 413) or malformed (400). The connection is closed after the answer, since
    /// the rest of the body cannot be skipped. Answer it yourself (e.g. with
    /// [`Ctx::respond_raw`], CORS headers included) and return `true`; otherwise, or
    /// by default, the loop answers a plain `status`.
    ///
    /// [`Config::max_body`]: crate::Config::max_body
    ///
    /// ```no_run
    /// use loopio_net::{ConnId, Ctx, Request, Response};
    /// fn on_body_refused(ctx: &mut Ctx, conn: ConnId, _: &Request, status: u16) -> bool {
    ///     ctx.respond(conn, Response::new(status).with_header("X-Why", "too big")).is_ok()
    /// }
    /// # let _ = on_body_refused;
    /// ```
    fn on_body_refused(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        status: u16,
    ) -> bool {
        let _ = (ctx, conn, request, status);
        false
    }

    /// A connection the service has seen (opened, or sent an HTTP request) ended. `conn` is
    /// invalid from now on.
    fn on_close(&mut self, ctx: &mut Ctx, conn: ConnId, reason: &CloseReason) {
        let _ = (ctx, conn, reason);
    }

    /// Unsent output of `conn` fell below half of the high-water mark after passing it.
    fn on_drain(&mut self, ctx: &mut Ctx, conn: ConnId) {
        let _ = (ctx, conn);
    }

    /// A timer set with [`Ctx::set_timer`] fired.
    fn on_timer(&mut self, ctx: &mut Ctx, timer: TimerId, data: u64) {
        let _ = (ctx, timer, data);
    }

    /// A graceful shutdown began ([`Ctx::shutdown`], [`Handle::shutdown`]): called once, after
    /// the listener is closed and before the loop closes any connection, so the service can
    /// say goodbye in its own protocol (a close message, answers to held requests). Open
    /// WebSockets it leaves open are then closed with 1001; held requests and idle keep-alive
    /// connections stay, so it can still answer them; see
    /// [`Service::is_shutdown_pending`].
    ///
    /// [`Handle::shutdown`]: crate::Handle::shutdown
    fn on_shutdown(&mut self, ctx: &mut Ctx) {
        let _ = ctx;
    }

    /// During a shutdown: whether the service still waits for peers (e.g. a long-polling
    /// client that must come back for its last messages). The loop runs until this is `false`
    /// and every connection but idle keep-alive ones has closed, or until
    /// [`Config::shutdown_timeout`](crate::Config::shutdown_timeout). Default `false`.
    fn is_shutdown_pending(&self) -> bool {
        false
    }
}
