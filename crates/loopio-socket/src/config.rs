//! Server limits and the facts of an Engine.IO handshake.

use std::time::{Duration, Instant};

/// Server settings. Every limit gives its default, unit and the risk it bounds.
///
/// ```
/// use loopio_socket::Config;
/// use std::time::Duration;
/// let mut config = Config::new([42; 32]);
/// config.connect_timeout = Duration::from_secs(10);
/// assert_eq!(config.max_attachments, 10);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// How long a client may stay without joining any namespace before it is closed.
    /// Default 45 000 ms (socket.io's `connectTimeout`). Bounds idle Engine.IO sessions.
    pub connect_timeout: Duration,
    /// The most binary attachments one packet may announce. Default 10 (socket.io-parser's
    /// `maxAttachments`). Bounds the memory held while a packet is reassembled: at most this
    /// many Engine.IO messages, each bounded by the engine's message size limit.
    pub max_attachments: usize,
    /// Secret seed for socket ids. Use 32 bytes from the operating system's generator: ids
    /// name private rooms, so a predictable seed lets a peer target another socket.
    pub seed: [u8; 32],
}

impl Config {
    /// Defaults with the given id seed.
    pub fn new(seed: [u8; 32]) -> Self {
        Self {
            connect_timeout: Duration::from_millis(45_000),
            max_attachments: 10,
            seed,
        }
    }
}

/// What the Engine.IO handshake told about the client, shared by all of its sockets.
///
/// ```
/// use loopio_socket::Handshake;
/// let mut handshake = Handshake::new(std::time::Instant::now(), "127.0.0.1:5000");
/// handshake.headers.push(("user-agent".into(), "node".into()));
/// handshake.query.push(("EIO".into(), "4".into()));
/// assert_eq!(handshake.header("User-Agent"), Some("node"));
/// assert_eq!(handshake.query_value("EIO"), Some("4"));
/// ```
#[derive(Clone, Debug)]
pub struct Handshake {
    /// Request headers, names as received.
    pub headers: Vec<(String, String)>,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// The peer's address as text.
    pub address: String,
    /// When the Engine.IO session opened.
    pub issued: Instant,
}

impl Handshake {
    /// A handshake with no headers and no query.
    pub fn new(issued: Instant, address: impl Into<String>) -> Self {
        Self {
            headers: Vec::new(),
            query: Vec::new(),
            address: address.into(),
            issued,
        }
    }

    /// The first header with this name, compared without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }

    /// The first query parameter with this name.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
