//! Server settings, with the official `engine.io` names and defaults.

use std::time::Duration;

/// Engine.IO server settings. Field names follow the official server (`pingInterval` is
/// `ping_interval`, `maxHttpBufferSize` is `max_payload`, ...).
///
/// ```
/// use loopio_engine::Config;
/// let config = Config { path: "/socket.io/".into(), ..Config::default() };
/// assert_eq!(config.ping_interval.as_millis(), 25_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Time between server pings. Default 25 000 ms. Shorter finds dead peers sooner but
    /// costs a packet per session per interval; must match what clients expect (sent in the
    /// handshake).
    pub ping_interval: Duration,
    /// Time to wait for the pong after a ping before closing with "ping timeout". Default
    /// 20 000 ms. Too short drops slow mobile clients; too long keeps dead sessions' memory.
    pub ping_timeout: Duration,
    /// Time a started polling→WebSocket upgrade may take before the probing WebSocket is
    /// closed. Default 10 000 ms. Longer keeps half-open sockets around.
    pub upgrade_timeout: Duration,
    /// `maxHttpBufferSize`: largest POST body and WebSocket message accepted, and the cap on
    /// one GET response, in bytes. Default 1 000 000. Bigger allows larger messages but lets
    /// one client pin that much memory.
    pub max_payload: usize,
    /// Enabled transports. Default both.
    pub transports: Transports,
    /// Whether polling sessions are offered the WebSocket upgrade. Default `true`.
    pub allow_upgrades: bool,
    /// Path prefix of Engine.IO requests. Default `/engine.io/` (Socket.IO uses
    /// `/socket.io/`); a missing trailing slash is added, as the official server does.
    pub path: String,
    /// CORS for polling requests. Default none: no `Access-Control-*` headers.
    pub cors: Cors,
    /// Send `Set-Cookie: io=<sid>; Path=/; HttpOnly; SameSite=Lax` on the polling handshake
    /// (for sticky load balancers). Default `false`.
    pub cookie: bool,
    /// loopio addition: bytes of packets queued for one session before
    /// [`crate::Connection::send`] fails with `BufferFull`. Default 16 MiB. Bounds the
    /// memory a client that stops reading can pin until its ping timeout.
    pub max_buffered: usize,
    /// How long a polling session closed by the server waits for a GET to carry the `1`
    /// packet (official constant). Default 30 000 ms.
    pub close_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_payload: 1_000_000,
            transports: Transports::default(),
            allow_upgrades: true,
            path: "/engine.io/".to_owned(),
            cors: Cors::default(),
            cookie: false,
            max_buffered: 16 << 20,
            close_timeout: Duration::from_millis(30_000),
        }
    }
}

/// Which transports clients may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transports {
    /// HTTP long-polling. Default `true`.
    pub polling: bool,
    /// WebSocket. Default `true`.
    pub websocket: bool,
}

impl Default for Transports {
    fn default() -> Self {
        Transports {
            polling: true,
            websocket: true,
        }
    }
}

/// CORS settings, as the `cors` middleware the official server uses applies them.
///
/// ```
/// use loopio_engine::{AllowedOrigins, Cors};
/// let cors = Cors {
///     origins: AllowedOrigins::List(vec!["https://app.example".into()]),
///     credentials: true,
/// };
/// assert!(cors.is_enabled());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    /// Which origins may read responses.
    pub origins: AllowedOrigins,
    /// Send `Access-Control-Allow-Credentials: true`. Default `false`.
    pub credentials: bool,
}

impl Cors {
    /// Whether any CORS headers are sent (and `OPTIONS` preflights answered).
    pub fn is_enabled(&self) -> bool {
        !matches!(self.origins, AllowedOrigins::None)
    }

    pub(crate) fn check(&self, origin: Option<&str>) -> CorsMatch {
        match &self.origins {
            AllowedOrigins::None => CorsMatch::Off,
            AllowedOrigins::Any => CorsMatch::Any,
            AllowedOrigins::List(list) => origin
                .and_then(|origin| list.iter().position(|allowed| allowed == origin))
                .and_then(|index| u16::try_from(index).ok())
                .map_or(CorsMatch::Unlisted, CorsMatch::Listed),
        }
    }

    /// Appends this request's CORS response headers to `headers`.
    pub(crate) fn headers<'a>(&'a self, found: CorsMatch, headers: &mut Headers<'a>) {
        match (found, &self.origins) {
            (CorsMatch::Off, _) => return,
            (CorsMatch::Any, _) => headers.push("Access-Control-Allow-Origin", "*"),
            (CorsMatch::Listed(index), AllowedOrigins::List(list)) => {
                let origin = list.get(usize::from(index)).map_or("", String::as_str);
                headers.push("Access-Control-Allow-Origin", origin);
                headers.push("Vary", "Origin");
            }
            _ => headers.push("Vary", "Origin"),
        }
        if self.credentials {
            headers.push("Access-Control-Allow-Credentials", "true");
        }
    }
}

/// Origins allowed by [`Cors`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllowedOrigins {
    /// No CORS headers at all (default).
    #[default]
    None,
    /// `Access-Control-Allow-Origin: *`.
    Any,
    /// Echo the request's `Origin` when it is one of these (exact match), with
    /// `Vary: Origin`.
    List(Vec<String>),
}

/// How a request's `Origin` matched the CORS settings; remembered with a held GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CorsMatch {
    Off,
    Any,
    Listed(u16),
    Unlisted,
}

/// A small fixed list of response headers (no allocation).
#[derive(Debug)]
pub(crate) struct Headers<'a> {
    items: [(&'a str, &'a str); 10],
    len: usize,
}

impl<'a> Headers<'a> {
    pub(crate) fn new() -> Headers<'a> {
        Headers {
            items: [("", ""); 10],
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, name: &'a str, value: &'a str) {
        // Callers push at most 8 headers; a bug here must not corrupt a response.
        debug_assert!(self.len < self.items.len(), "header list overflow");
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = (name, value);
            self.len += 1;
        }
    }

    pub(crate) fn as_slice(&self) -> &[(&'a str, &'a str)] {
        &self.items[..self.len]
    }
}
