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
/// handshake.push_header("user-agent", "node");
/// handshake.push_query("EIO", "4");
/// assert_eq!(handshake.header("User-Agent"), Some("node"));
/// assert_eq!(handshake.query_value("EIO"), Some("4"));
/// assert_eq!(handshake.headers().collect::<Vec<_>>(), [("user-agent", "node")]);
/// ```
#[derive(Clone, Debug)]
pub struct Handshake {
    /// Request headers, names as received.
    headers: Pairs,
    /// Decoded query parameters.
    query: Pairs,
    /// The peer's address as text.
    pub address: String,
    /// When the Engine.IO session opened.
    pub issued: Instant,
}

/// Name/value pairs back to back in one string: a client holds its handshake for life, and a
/// `String` per name and value made it the largest part of an idle client's memory.
#[derive(Clone, Debug, Default)]
struct Pairs {
    text: String,
    /// Per pair, where its name and its value end in `text`.
    ends: Vec<(usize, usize)>,
}

impl Pairs {
    fn push(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(value);
        self.ends.push((name_end, self.text.len()));
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, end)| {
            let pair = (&self.text[start..name_end], &self.text[name_end..end]);
            start = end;
            pair
        })
    }

    fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

impl Handshake {
    /// A handshake with no headers and no query.
    pub fn new(issued: Instant, address: impl Into<String>) -> Self {
        Self {
            headers: Pairs::default(),
            query: Pairs::default(),
            address: address.into(),
            issued,
        }
    }

    /// Adds a request header (names as received).
    pub fn push_header(&mut self, name: &str, value: &str) {
        self.headers.push(name, value);
    }

    /// Adds a decoded query parameter.
    pub fn push_query(&mut self, name: &str, value: &str) {
        self.query.push(name, value);
    }

    /// The request headers in order, names as received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.headers.iter()
    }

    /// The decoded query parameters in order.
    pub fn query(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.query.iter()
    }

    /// The first header with this name, compared without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut found = self.headers().filter(|(n, _)| n.eq_ignore_ascii_case(name));
        found.next().map(|(_, v)| v)
    }

    /// The first query parameter with this name.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Drops spare capacity; for a handshake about to be held for a session's life.
    pub fn shrink_to_fit(&mut self) {
        self.headers.shrink_to_fit();
        self.query.shrink_to_fit();
        self.address.shrink_to_fit();
    }
}

#[cfg(test)]
mod handshake_tests {
    use super::*;

    #[test]
    fn pairs_keep_order_and_boundaries() {
        let mut handshake = Handshake::new(Instant::now(), "");
        handshake.push_header("Host", "a");
        handshake.push_header("x-empty", "");
        handshake.push_header("host", "b");
        handshake.push_query("", "v");
        handshake.push_query("k", "");
        handshake.shrink_to_fit();
        let headers: Vec<_> = handshake.headers().collect();
        assert_eq!(headers, [("Host", "a"), ("x-empty", ""), ("host", "b")]);
        assert_eq!(handshake.header("HOST"), Some("a"));
        assert_eq!(handshake.header("X-Empty"), Some(""));
        assert_eq!(
            handshake.query().collect::<Vec<_>>(),
            [("", "v"), ("k", "")]
        );
        assert_eq!(handshake.query_value("k"), Some(""));
        assert_eq!(handshake.query_value("K"), None);
    }
}
