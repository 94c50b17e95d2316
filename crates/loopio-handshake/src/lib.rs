//! Sans-I/O HTTP/1.1 heads: WebSocket upgrade (server and client) and plain requests/responses.
//!
//! CONTRACT STUB written by the coordinator: the public items below are what `loopio-net` and
//! `loopio-engine` code against. The implementer replaces every `todo!()`, may split this file
//! into modules and add items, but keeps these names and signatures (or updates the callers too).

/// Header-block limits. Defaults: 8 KiB, 64 headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request/response head (start line + headers + blank line), in bytes.
    pub max_head_bytes: usize,
    /// Most headers accepted.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_head_bytes: 8 << 10, max_headers: 64 }
    }
}

/// Result of parsing a head that may not have fully arrived yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The head is complete: `value` was parsed from the first `head_len` bytes.
    Complete {
        /// The parsed head.
        value: T,
        /// Bytes of the head, including the final CRLF CRLF; anything after is body or frames.
        head_len: usize,
    },
    /// More bytes are needed.
    Partial,
}

/// One header, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Name as sent (compare case-insensitively).
    pub name: String,
    /// Raw value bytes.
    pub value: Vec<u8>,
}

/// A parsed HTTP/1.1 request head (owned; built once per request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, `OPTIONS`, ...
    pub method: String,
    /// Path part of the target, without the query (`/socket.io/`).
    pub path: String,
    /// Raw query string without the `?` (may be empty).
    pub query: String,
    /// Minor HTTP version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub version: u8,
    /// All headers in order.
    pub headers: Vec<Header>,
}

impl Request {
    /// First header named `name` (case-insensitive) whose value is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        let _ = name;
        todo!()
    }

    /// First query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let _ = name;
        todo!()
    }

    /// Whether the connection stays open after the response (HTTP/1.1 default, `Connection`).
    pub fn keep_alive(&self) -> bool {
        todo!()
    }

    /// How the request body is delimited.
    pub fn body_framing(&self) -> Result<BodyFraming, RequestError> {
        todo!()
    }
}

/// Why a request head was refused; [`RequestError::status`] gives the HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// Placeholder; the implementer defines the real variants (malformed → 400, too large → 431).
    Malformed,
}

impl RequestError {
    /// The status code to answer with (400 or 431, ...).
    pub fn status(&self) -> u16 {
        todo!()
    }
}

/// Parses a request head from the start of `buf`.
pub fn parse_request(buf: &[u8], limits: &Limits) -> Result<Parsed<Request>, RequestError> {
    let _ = (buf, limits);
    todo!()
}

/// How a message body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    None,
    /// Exactly this many bytes.
    ContentLength(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Incremental body reader for [`BodyFraming`], bounded by a maximum size.
#[derive(Debug)]
pub struct BodyDecoder {
    _private: (),
}

/// Why a body was refused (413 when over the limit, 400 when malformed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyError {
    /// Placeholder; the implementer defines the real variants.
    Malformed,
}

impl BodyDecoder {
    /// A decoder for `framing` refusing bodies larger than `max` bytes.
    pub fn new(framing: BodyFraming, max: usize) -> Result<BodyDecoder, BodyError> {
        let _ = (framing, max);
        todo!()
    }

    /// Consumes a prefix of `input`, appending body bytes to `out`. Returns bytes consumed and
    /// whether the body is complete.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(usize, bool), BodyError> {
        let _ = (input, out);
        todo!()
    }
}

/// What a valid WebSocket upgrade request offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsOffer {
    /// `Sec-WebSocket-Key` as sent (base64 of 16 bytes).
    pub key: String,
    /// Offered subprotocols in order.
    pub protocols: Vec<String>,
    /// Offered extensions, raw header items.
    pub extensions: Vec<String>,
    /// `Origin`, if present.
    pub origin: Option<String>,
}

/// Why an upgrade request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpgradeError {
    /// Placeholder; the implementer defines the real variants (400, 426 for a wrong version...).
    Malformed,
}

impl UpgradeError {
    /// The status code to answer with.
    pub fn status(&self) -> u16 {
        todo!()
    }
}

/// Checks that `req` is a valid RFC 6455 upgrade request.
pub fn check_upgrade(req: &Request) -> Result<WsOffer, UpgradeError> {
    let _ = req;
    todo!()
}

/// Whether `req` asks for a WebSocket upgrade at all (`Upgrade: websocket`).
pub fn is_upgrade_request(req: &Request) -> bool {
    let _ = req;
    todo!()
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    let _ = key;
    todo!()
}

/// Appends a `101 Switching Protocols` response.
pub fn write_switching_protocols(
    out: &mut Vec<u8>,
    key: &str,
    protocol: Option<&str>,
    extra_headers: &[(&str, &str)],
) {
    let _ = (out, key, protocol, extra_headers);
    todo!()
}

/// Appends the error response for a refused upgrade (426 carries `Sec-WebSocket-Version: 13`).
pub fn write_upgrade_error(out: &mut Vec<u8>, err: &UpgradeError) {
    let _ = (out, err);
    todo!()
}

/// Appends a complete response with `Content-Length` (and `Connection: close` if `close`).
pub fn write_response(
    out: &mut Vec<u8>,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) {
    let _ = (out, status, headers, body, close);
    todo!()
}

/// Client side: the `Sec-WebSocket-Key` for 16 random bytes.
pub fn client_key(random: [u8; 16]) -> String {
    let _ = random;
    todo!()
}

/// Client side: appends the upgrade request.
pub fn write_client_request(
    out: &mut Vec<u8>,
    host: &str,
    path_and_query: &str,
    key: &str,
    protocols: &[&str],
    extra_headers: &[(&str, &str)],
) {
    let _ = (out, host, path_and_query, key, protocols, extra_headers);
    todo!()
}

/// Client side: a validated `101` response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAccept {
    /// The subprotocol the server chose, if any.
    pub protocol: Option<String>,
    /// All response headers.
    pub headers: Vec<Header>,
}

/// Why a client handshake failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// Placeholder; the implementer defines the real variants.
    Malformed,
}

/// Client side: parses and validates the server's response to the request sent with `key`.
pub fn parse_server_response(
    buf: &[u8],
    key: &str,
    limits: &Limits,
) -> Result<Parsed<ServerAccept>, ClientError> {
    let _ = (buf, key, limits);
    todo!()
}
