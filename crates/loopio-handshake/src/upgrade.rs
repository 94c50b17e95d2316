//! The server side of the RFC 6455 opening handshake (§4.2).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::request::Request;
use crate::response::{write_decimal, write_header, write_headers, write_status_line};
use crate::tokens::{is_token, list_contains, list_items};

/// Appended to the key before hashing (RFC 6455 §1.3).
const WEBSOCKET_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Length of a `Sec-WebSocket-Accept` value: base64 of a 20-byte SHA-1 digest.
const ACCEPT_LEN: usize = 28;

/// What a valid WebSocket upgrade request offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsOffer {
    /// `Sec-WebSocket-Key` as sent (base64 of 16 bytes).
    pub key: String,
    /// Offered subprotocols in order, across every `Sec-WebSocket-Protocol` line.
    pub protocols: Vec<String>,
    /// Offered extensions, raw list items with their parameters (`permessage-deflate;
    /// client_max_window_bits`), across every `Sec-WebSocket-Extensions` line.
    pub extensions: Vec<String>,
    /// `Origin`, if present. Browsers always send it; check it to stop cross-site WebSocket
    /// hijacking (RFC 6455 §10.2).
    pub origin: Option<String>,
}

/// Why an upgrade request was refused; [`UpgradeError::status`] gives the HTTP answer and
/// [`write_upgrade_error`] writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpgradeError {
    /// Not `GET` (405 with `Allow: GET`: the resource exists, the method is wrong).
    MethodNotGet,
    /// HTTP/1.0; RFC 6455 requires HTTP/1.1 or higher (400).
    HttpVersion,
    /// No `Host` (400).
    MissingHost,
    /// `Upgrade` lacks the `websocket` token (400).
    MissingUpgrade,
    /// `Connection` lacks the `upgrade` token (400).
    MissingConnectionUpgrade,
    /// No `Sec-WebSocket-Key` (400).
    MissingKey,
    /// A `Sec-WebSocket-Key` that is not base64 of 16 bytes, or more than one (400).
    InvalidKey,
    /// `Sec-WebSocket-Version` missing or not `13` (426 with `Sec-WebSocket-Version: 13`).
    UnsupportedVersion,
    /// A `Sec-WebSocket-Protocol` item that is not a token (400).
    InvalidProtocol,
    /// A `Sec-WebSocket-Extensions` item that does not start with a token (400).
    InvalidExtension,
}

impl UpgradeError {
    /// The status code to answer with: 405, 426 or 400.
    ///
    /// ```
    /// assert_eq!(loopio_handshake::UpgradeError::UnsupportedVersion.status(), 426);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            UpgradeError::MethodNotGet => 405,
            UpgradeError::UnsupportedVersion => 426,
            _ => 400,
        }
    }
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UpgradeError::MethodNotGet => "a WebSocket upgrade must be a GET",
            UpgradeError::HttpVersion => "a WebSocket upgrade needs HTTP/1.1",
            UpgradeError::MissingHost => "missing Host header",
            UpgradeError::MissingUpgrade => "Upgrade header lacks websocket",
            UpgradeError::MissingConnectionUpgrade => "Connection header lacks upgrade",
            UpgradeError::MissingKey => "missing Sec-WebSocket-Key",
            UpgradeError::InvalidKey => "Sec-WebSocket-Key is not base64 of 16 bytes",
            UpgradeError::UnsupportedVersion => "Sec-WebSocket-Version must be 13",
            UpgradeError::InvalidProtocol => "invalid Sec-WebSocket-Protocol",
            UpgradeError::InvalidExtension => "invalid Sec-WebSocket-Extensions",
        })
    }
}

impl std::error::Error for UpgradeError {}

/// Checks that `req` is a valid RFC 6455 upgrade request (§4.2.1).
///
/// The checks run in this order, so the first failing one is reported: method, HTTP version,
/// `Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version`, then the
/// syntax of the offered protocols and extensions.
///
/// ```
/// use loopio_handshake::{check_upgrade, parse_request, Limits, Parsed, UpgradeError};
///
/// let head = b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: a\r\n\
///     Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\
///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
/// let Ok(Parsed::Complete { value: req, .. }) = parse_request(head, &Limits::default())
/// else { panic!() };
/// assert_eq!(check_upgrade(&req), Err(UpgradeError::UnsupportedVersion));
/// ```
pub fn check_upgrade(req: &Request) -> Result<WsOffer, UpgradeError> {
    // "An HTTP/1.1 or higher GET request" (RFC 6455 §4.2.1, item 1).
    if req.method != "GET" {
        return Err(UpgradeError::MethodNotGet);
    }
    if req.version < 1 {
        return Err(UpgradeError::HttpVersion);
    }
    // Items 2–4: Host, `Upgrade: websocket`, and a Connection "that includes the token
    // 'Upgrade', treated as an ASCII case-insensitive value".
    if req.header_values("host").next().is_none() {
        return Err(UpgradeError::MissingHost);
    }
    if !is_upgrade_request(req) {
        return Err(UpgradeError::MissingUpgrade);
    }
    if !req
        .header_values("connection")
        .any(|v| list_contains(v, "upgrade"))
    {
        return Err(UpgradeError::MissingConnectionUpgrade);
    }
    let key = offered_key(req)?;
    // Item 6, and §4.2.2: on another version the server "MUST abort the WebSocket handshake
    // ... and instead send an appropriate HTTP error code (such as 426 Upgrade Required)".
    let mut versions = req.header_values("sec-websocket-version");
    if versions.next() != Some(b"13") || versions.next().is_some() {
        return Err(UpgradeError::UnsupportedVersion);
    }
    Ok(WsOffer {
        key,
        protocols: offered_protocols(req)?,
        extensions: offered_extensions(req)?,
        origin: req.header("origin").map(str::to_owned),
    })
}

/// Item 5: "a |Sec-WebSocket-Key| header field with a base64-encoded value that, when decoded,
/// is 16 bytes in length", which "MUST NOT appear more than once" (§11.3.1).
fn offered_key(req: &Request) -> Result<String, UpgradeError> {
    let mut keys = req.header_values("sec-websocket-key");
    let key = keys.next().ok_or(UpgradeError::MissingKey)?;
    if keys.next().is_some() || !is_key(key) {
        return Err(UpgradeError::InvalidKey);
    }
    // `is_key` accepted only base64 characters.
    Ok(String::from_utf8_lossy(key).into_owned())
}

/// Whether `key` is canonical base64 of exactly 16 bytes.
pub(crate) fn is_key(key: &[u8]) -> bool {
    let mut nonce = [0u8; 16];
    key.len() == 24 && STANDARD.decode_slice(key, &mut nonce) == Ok(16)
}

fn offered_protocols(req: &Request) -> Result<Vec<String>, UpgradeError> {
    let mut protocols = Vec::new();
    for value in req.header_values("sec-websocket-protocol") {
        for item in list_items(value) {
            if !is_token(item) {
                return Err(UpgradeError::InvalidProtocol);
            }
            protocols.push(String::from_utf8_lossy(item).into_owned());
        }
    }
    Ok(protocols)
}

fn offered_extensions(req: &Request) -> Result<Vec<String>, UpgradeError> {
    let mut extensions = Vec::new();
    for value in req.header_values("sec-websocket-extensions") {
        for item in list_items(value) {
            let name = item.split(|&b| b == b';').next().unwrap_or_default();
            let item = std::str::from_utf8(item).map_err(|_| UpgradeError::InvalidExtension)?;
            if !is_token(crate::tokens::trim_ows(name)) {
                return Err(UpgradeError::InvalidExtension);
            }
            extensions.push(item.to_owned());
        }
    }
    Ok(extensions)
}

/// Whether `req` asks for a WebSocket upgrade at all (`Upgrade: websocket`).
///
/// Use it to route a request to [`check_upgrade`] rather than to plain HTTP handling.
///
/// ```
/// use loopio_handshake::{is_upgrade_request, parse_request, Limits, Parsed};
///
/// let head = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\n\r\n";
/// let Ok(Parsed::Complete { value: req, .. }) = parse_request(head, &Limits::default())
/// else { panic!() };
/// assert!(is_upgrade_request(&req));
/// ```
pub fn is_upgrade_request(req: &Request) -> bool {
    req.header_values("upgrade")
        .any(|v| list_contains(v, "websocket"))
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2).
///
/// ```
/// assert_eq!(
///     loopio_handshake::accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
/// );
/// ```
pub fn accept_key(key: &str) -> String {
    let accept = accept_bytes(key);
    String::from_utf8_lossy(&accept).into_owned()
}

/// [`accept_key`] into a stack buffer; base64 output is ASCII.
pub(crate) fn accept_bytes(key: &str) -> [u8; ACCEPT_LEN] {
    let mut sha1 = Sha1::new();
    sha1.update(key.trim().as_bytes());
    sha1.update(WEBSOCKET_GUID);
    let digest = sha1.finalize();
    let mut accept = [0u8; ACCEPT_LEN];
    STANDARD
        .encode_slice(digest, &mut accept)
        .expect("a 20-byte digest encodes to exactly 28 base64 bytes");
    accept
}

/// Appends a `101 Switching Protocols` response accepting the request keyed `key`.
///
/// `protocol` must be one of the offered [`WsOffer::protocols`] (RFC 6455 §4.2.2 lets the
/// server pick one or none); `extra_headers` follow, such as an accepted
/// `Sec-WebSocket-Extensions`. A header holding CR or LF is skipped.
///
/// ```
/// let mut out = Vec::new();
/// loopio_handshake::write_switching_protocols(&mut out, "dGhlIHNhbXBsZSBub25jZQ==", None, &[]);
/// assert_eq!(
///     out,
///     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
///       Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
/// );
/// ```
pub fn write_switching_protocols(
    out: &mut Vec<u8>,
    key: &str,
    protocol: Option<&str>,
    extra_headers: &[(&str, &str)],
) {
    write_status_line(out, 101);
    out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
    out.extend_from_slice(&accept_bytes(key));
    out.extend_from_slice(b"\r\n");
    if let Some(protocol) = protocol {
        write_header(out, "Sec-WebSocket-Protocol", protocol);
    }
    write_headers(out, extra_headers);
    out.extend_from_slice(b"\r\n");
}

/// Appends the error response for a refused upgrade, then the connection should be closed.
///
/// The body is the error's text. 405 carries `Allow: GET`; 426 carries `Upgrade: websocket`
/// and `Sec-WebSocket-Version: 13`, the version this server speaks (RFC 6455 §4.4).
///
/// ```
/// use loopio_handshake::{write_upgrade_error, UpgradeError};
///
/// let mut out = Vec::new();
/// write_upgrade_error(&mut out, &UpgradeError::UnsupportedVersion);
/// assert!(out.starts_with(b"HTTP/1.1 426 Upgrade Required\r\n"));
/// assert!(out.windows(25).any(|w| w == b"Sec-WebSocket-Version: 13"));
/// ```
pub fn write_upgrade_error(out: &mut Vec<u8>, err: &UpgradeError) {
    let status = err.status();
    let body = err.to_string();
    write_status_line(out, status);
    match err {
        UpgradeError::MethodNotGet => out.extend_from_slice(b"Allow: GET\r\n"),
        UpgradeError::UnsupportedVersion => out.extend_from_slice(
            b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nConnection: Upgrade, close\r\n",
        ),
        _ => {}
    }
    if !matches!(err, UpgradeError::UnsupportedVersion) {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
    write_decimal(out, body.len() as u64);
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_canonical_base64_of_16_bytes() {
        assert!(is_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_key(b"dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!is_key(b"dGhlIHNhbXBsZSBub25jZR=="));
        assert!(!is_key(b"dGhlIHNhbXBsZSBub25jZQ=A"));
        assert!(!is_key(b""));
    }

    #[test]
    fn accept_ignores_surrounding_whitespace() {
        assert_eq!(
            &accept_bytes(" dGhlIHNhbXBsZSBub25jZQ== "),
            b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
