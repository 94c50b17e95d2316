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
    /// Header then query names and values back to back: a client holds its handshake for
    /// life, and a `String` per name and value made it the largest part of an idle client's
    /// memory.
    text: String,
    /// Per pair, where its name and its value end in `text`; headers first.
    ends: Vec<(u32, u32)>,
    /// How many of `ends` are headers.
    headers: usize,
    /// The peer's address as text.
    pub address: String,
    /// When the Engine.IO session opened.
    pub issued: Instant,
}

impl Handshake {
    /// A handshake with no headers and no query.
    pub fn new(issued: Instant, address: impl Into<String>) -> Self {
        Self {
            text: String::new(),
            ends: Vec::new(),
            headers: 0,
            address: address.into(),
            issued,
        }
    }

    /// Adds a request header (names as received).
    ///
    /// # Panics
    /// If the handshake's headers and query reach 4 GiB.
    pub fn push_header(&mut self, name: &str, value: &str) {
        self.insert(self.headers, name, value);
        self.headers += 1;
    }

    /// Adds a decoded query parameter.
    ///
    /// # Panics
    /// If the handshake's headers and query reach 4 GiB.
    pub fn push_query(&mut self, name: &str, value: &str) {
        self.insert(self.ends.len(), name, value);
    }

    /// The request headers in order, names as received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.pairs(0..self.headers)
    }

    /// The decoded query parameters in order.
    pub fn query(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.pairs(self.headers..self.ends.len())
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

    /// Where pair `at` starts in `text`.
    fn start(&self, at: usize) -> usize {
        at.checked_sub(1)
            .map_or(0, |before| self.ends[before].1 as usize)
    }

    fn pairs(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut start = self.start(range.start);
        self.ends[range].iter().map(move |&(name_end, end)| {
            let (name_end, end) = (name_end as usize, end as usize);
            let pair = (&self.text[start..name_end], &self.text[name_end..end]);
            start = end;
            pair
        })
    }

    fn insert(&mut self, at: usize, name: &str, value: &str) {
        let offset = |n: usize| u32::try_from(n).expect("handshake text under 4 GiB");
        let start = self.start(at);
        let added = name.len() + value.len();
        self.text.insert_str(start, value);
        self.text.insert_str(start, name);
        for (name_end, end) in &mut self.ends[at..] {
            *name_end = offset(*name_end as usize + added);
            *end = offset(*end as usize + added);
        }
        let ends = (offset(start + name.len()), offset(start + added));
        self.ends.insert(at, ends);
    }

    /// Drops spare capacity; for a handshake about to be held for a session's life.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
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
        handshake.push_header("late", "c");
        handshake.shrink_to_fit();
        let headers: Vec<_> = handshake.headers().collect();
        assert_eq!(
            headers,
            [("Host", "a"), ("x-empty", ""), ("host", "b"), ("late", "c")]
        );
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
