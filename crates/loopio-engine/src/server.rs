//! The Engine.IO endpoint: routes requests to sessions or yields an [`Incoming`] handshake.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::config::Config;
use crate::connection::Connection;
use crate::error::RequestError;
use crate::http::{self, Reply};
use crate::rng::Rng;

/// The facts about an HTTP request head the engine needs. Build it with
/// [`RequestHead::from_request`] or by hand from your own parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestHead<'a> {
    /// `GET`, `POST`, `OPTIONS`, ...
    pub method: &'a str,
    /// The path without the query (`/engine.io/`).
    pub path: &'a str,
    /// The raw query without `?` (`EIO=4&transport=polling`).
    pub query: &'a str,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// Whether this is a WebSocket upgrade request (`Upgrade: websocket`).
    pub upgrade: bool,
    /// Whether the TCP connection stays open after the response.
    pub keep_alive: bool,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Access-Control-Request-Headers` header (preflights).
    pub access_control_request_headers: Option<&'a str>,
}

impl<'a> RequestHead<'a> {
    /// Extracts the facts from a request parsed by `loopio-handshake`.
    pub fn from_request(request: &'a loopio_handshake::Request) -> RequestHead<'a> {
        RequestHead {
            method: &request.method,
            path: &request.path,
            query: &request.query,
            origin: request.header("origin"),
            upgrade: loopio_handshake::is_upgrade_request(request),
            keep_alive: request.keep_alive(),
            content_type: request.header("content-type"),
            access_control_request_headers: request.header("access-control-request-headers"),
        }
    }
}

/// A session id: 20 URL-safe characters (base64url of 15 random bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sid([u8; 20]);

impl Sid {
    fn from_random(bytes: [u8; 15]) -> Sid {
        let mut sid = [0u8; 20];
        let written = URL_SAFE_NO_PAD
            .encode_slice(bytes, &mut sid)
            .expect("15 bytes are exactly 20 base64 characters");
        debug_assert_eq!(written, 20);
        Sid(sid)
    }

    /// Parses a sid from a query value; `None` if it cannot be one of ours.
    pub fn parse(text: &str) -> Option<Sid> {
        let bytes: [u8; 20] = text.as_bytes().try_into().ok()?;
        let url_safe = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
        bytes.iter().all(url_safe).then_some(Sid(bytes))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a sid holds only base64url ASCII")
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

/// Names a session inside a [`Server`]: a small index, reused after [`Server::remove`], so the
/// loop can keep its `Connection`s in a `Vec` indexed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionHandle(pub usize);

/// The loop's name for one transport: a held GET, a POST or a WebSocket (e.g. its mio token).
/// The engine hands it back in each [`crate::Transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportId(pub u64);

/// Which transport a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

/// What a request for an existing session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestKind {
    /// A GET to hold until there is something to send: [`Connection::handle_poll`].
    Poll,
    /// A POST carrying packets; read its body, then [`Connection::handle_post`].
    Post,
    /// A WebSocket upgrade: answer `101`, then [`Connection::handle_ws_open`].
    WebSocket,
}

/// A routed request for an existing session; pass it to the session's `handle_*` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRequest {
    kind: RequestKind,
    pub(crate) reply: Reply,
    pub(crate) binary_body: bool,
}

impl SessionRequest {
    /// What the request is.
    pub fn kind(&self) -> RequestKind {
        self.kind
    }
}

/// A valid handshake awaiting [`Server::accept`] or [`Server::reject`] (the `allowRequest`
/// hook of the official server).
#[derive(Debug)]
#[must_use = "an Incoming must be accepted or rejected"]
pub struct Incoming {
    transport: TransportKind,
    reply: Reply,
}

impl Incoming {
    /// The transport the session opens with. For `WebSocket`, answer `101` before accepting.
    pub fn transport(&self) -> TransportKind {
        self.transport
    }
}

/// Where a request goes.
#[derive(Debug)]
#[must_use = "a Route says what to do with the request"]
pub enum Route {
    /// Not under the Engine.IO path: hand it to the application's HTTP handler.
    NotEngine,
    /// `out` holds the complete response (error, preflight, ...); write it, then close the
    /// connection if `close`.
    Answered {
        /// Close the TCP connection after writing.
        close: bool,
    },
    /// A new session wants to open.
    Incoming(Incoming),
    /// A request for the session `handle`.
    Session(SessionHandle, SessionRequest),
}

/// The Engine.IO endpoint: owns the sid table and the id generator, not the sessions.
///
/// ```
/// use loopio_engine::{Config, RequestHead, Route, Server};
/// let mut server = Server::new(Config::default(), [7; 32]);
/// let head = RequestHead {
///     method: "GET",
///     path: "/favicon.ico",
///     query: "",
///     origin: None,
///     upgrade: false,
///     keep_alive: true,
///     content_type: None,
///     access_control_request_headers: None,
/// };
/// assert!(matches!(server.handle_request(&head, &mut Vec::new()), Route::NotEngine));
/// ```
#[derive(Debug)]
pub struct Server {
    config: Arc<Config>,
    rng: Rng,
    sessions: HashMap<Sid, SessionHandle>,
    slots: Vec<Option<Sid>>,
    free: Vec<usize>,
}

/// The query parameters Engine.IO reads (last occurrence wins, as `URLSearchParams`).
#[derive(Debug, Default)]
struct Query<'a> {
    eio: Option<Cow<'a, str>>,
    transport: Option<Cow<'a, str>>,
    sid: Option<Cow<'a, str>>,
}

impl<'a> Query<'a> {
    fn parse(query: &'a str) -> Query<'a> {
        let mut found = Query::default();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match &*percent_decode(key) {
                "EIO" => &mut found.eio,
                "transport" => &mut found.transport,
                "sid" => &mut found.sid,
                _ => continue,
            };
            *slot = Some(percent_decode(value));
        }
        found
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; a malformed
/// escape stays as written.
fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains(['%', '+']) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Node's `checkInvalidHeaderChar`: control characters other than tab are invalid.
fn is_valid_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

impl Server {
    /// A server with `config`; `seed` keys the session-id generator and must come from a
    /// cryptographically secure source (e.g. 32 bytes of `/dev/urandom`), or sids become
    /// guessable and sessions can be hijacked.
    pub fn new(mut config: Config, seed: [u8; 32]) -> Server {
        if !config.path.ends_with('/') {
            config.path.push('/');
        }
        Server {
            config: Arc::new(config),
            rng: Rng::new(seed),
            sessions: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// The settings in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether there are no sessions.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// The session with this sid, if any.
    pub fn lookup(&self, sid: &str) -> Option<SessionHandle> {
        Sid::parse(sid).and_then(|sid| self.sessions.get(&sid).copied())
    }

    /// Routes a request head. Error answers and preflights are appended to `out` right away
    /// ([`Route::Answered`]); nothing is appended otherwise.
    pub fn handle_request(&mut self, head: &RequestHead<'_>, out: &mut Vec<u8>) -> Route {
        if !head.path.starts_with(self.config.path.as_str()) {
            return Route::NotEngine;
        }
        let reply = Reply {
            cors: self.config.cors.check(head.origin),
            keep_alive: head.keep_alive,
        };
        // The official server runs the `cors` middleware first; it ends preflights with 204.
        if self.config.cors.is_enabled() && head.method == "OPTIONS" && !head.upgrade {
            http::preflight(
                out,
                &self.config,
                reply,
                head.access_control_request_headers,
            );
            return Route::Answered {
                close: !reply.keep_alive,
            };
        }
        match self.verify(head, reply, out) {
            Ok(route) => route,
            Err(error) => {
                http::error(out, &self.config, reply, error, head.upgrade);
                Route::Answered {
                    close: head.upgrade || !reply.keep_alive,
                }
            }
        }
    }

    /// The official `verify()` order: transport, origin, sid, method, protocol version.
    fn verify(
        &self,
        head: &RequestHead<'_>,
        reply: Reply,
        out: &mut Vec<u8>,
    ) -> Result<Route, RequestError> {
        let query = Query::parse(head.query);
        let transport = match query.transport.as_deref() {
            Some("polling") if self.config.transports.polling => TransportKind::Polling,
            Some("websocket") if self.config.transports.websocket => TransportKind::WebSocket,
            _ => return Err(RequestError::UnknownTransport),
        };
        if !head.origin.map_or(true, is_valid_header_value) {
            return Err(RequestError::BadRequest);
        }
        // A WebSocket transport needs an upgrade request and vice versa.
        if head.upgrade != (transport == TransportKind::WebSocket) {
            return Err(RequestError::BadRequest);
        }
        if let Some(sid) = query.sid {
            let handle = self.lookup(&sid).ok_or(RequestError::UnknownSid)?;
            let binary_body = head.content_type == Some("application/octet-stream");
            let kind = match (head.upgrade, head.method) {
                (true, _) => RequestKind::WebSocket,
                (false, "GET") => RequestKind::Poll,
                (false, "POST") => RequestKind::Post,
                _ => {
                    // The official polling transport answers other methods with a bare 500.
                    http::status(out, &self.config, reply, 500);
                    return Ok(Route::Answered {
                        close: !reply.keep_alive,
                    });
                }
            };
            return Ok(Route::Session(
                handle,
                SessionRequest {
                    kind,
                    reply,
                    binary_body,
                },
            ));
        }
        if head.method != "GET" {
            return Err(RequestError::BadHandshakeMethod);
        }
        // Only protocol 4 is spoken (the official `allowEIO3` defaults to false).
        if query.eio.as_deref() != Some("4") {
            return Err(RequestError::UnsupportedProtocolVersion);
        }
        Ok(Route::Incoming(Incoming { transport, reply }))
    }

    /// Opens the session: picks a fresh sid and returns its handle and state machine, whose
    /// first transmit is the open packet (on `id`: the handshake GET, or the WebSocket that
    /// already got its `101`).
    pub fn accept(
        &mut self,
        now: Instant,
        incoming: Incoming,
        id: TransportId,
    ) -> (SessionHandle, Connection) {
        let sid = loop {
            let mut bytes = [0u8; 15];
            self.rng.fill(&mut bytes);
            let sid = Sid::from_random(bytes);
            if !self.sessions.contains_key(&sid) {
                break sid;
            }
        };
        let handle = match self.free.pop() {
            Some(index) => {
                self.slots[index] = Some(sid);
                SessionHandle(index)
            }
            None => {
                self.slots.push(Some(sid));
                SessionHandle(self.slots.len() - 1)
            }
        };
        self.sessions.insert(sid, handle);
        let upgrades = incoming.transport == TransportKind::Polling
            && self.config.allow_upgrades
            && self.config.transports.websocket;
        let connection = Connection::new(
            now,
            Arc::clone(&self.config),
            sid,
            incoming.transport,
            id,
            incoming.reply,
            upgrades,
        );
        (handle, connection)
    }

    /// Refuses the handshake: appends `403 {"code":4,"message":"Forbidden"}` (or the `400`
    /// text answer for a WebSocket, as the official server does) to `out`. Returns whether to
    /// close the TCP connection after writing it.
    pub fn reject(&mut self, incoming: Incoming, out: &mut Vec<u8>) -> bool {
        let upgrade = incoming.transport == TransportKind::WebSocket;
        http::error(
            out,
            &self.config,
            incoming.reply,
            RequestError::Forbidden,
            upgrade,
        );
        upgrade || !incoming.reply.keep_alive
    }

    /// Forgets a session after its `Connection` reported [`crate::Event::Closed`]; its sid
    /// becomes unknown and its handle reusable.
    pub fn remove(&mut self, handle: SessionHandle) {
        if let Some(sid) = self.slots.get_mut(handle.0).and_then(Option::take) {
            self.sessions.remove(&sid);
            self.free.push(handle.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_twenty_url_safe_characters() {
        let sid = Sid::from_random([0xff; 15]);
        assert_eq!(sid.as_str(), "____________________");
        assert_eq!(Sid::parse(sid.as_str()), Some(sid));
        assert_eq!(Sid::parse("short"), None);
        assert_eq!(Sid::parse("aaaaaaaaaaaaaaaaaaa/"), None);
    }

    #[test]
    fn query_is_decoded_and_last_value_wins() {
        let query = Query::parse("EIO=3&transport=poll%69ng&EIO=4&t=N1&sid=a+b");
        assert_eq!(query.eio.as_deref(), Some("4"));
        assert_eq!(query.transport.as_deref(), Some("polling"));
        assert_eq!(query.sid.as_deref(), Some("a b"));
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
