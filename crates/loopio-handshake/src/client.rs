//! The client side of the RFC 6455 opening handshake (§4.1).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::request::{owned_headers, RequestError, Syntax};
use crate::response::{write_header, write_headers};
use crate::tokens::{is_token, list_contains, list_items};
use crate::upgrade::accept_bytes;
use crate::{Header, Limits, Parsed};

/// Header slots parsed on the stack, as for requests.
const STACK_HEADERS: usize = 128;

/// Client side: the `Sec-WebSocket-Key` for 16 random bytes.
///
/// The bytes must be "randomly selected" for each connection (RFC 6455 §4.1); they come from
/// the caller, which owns the entropy.
///
/// ```
/// assert_eq!(loopio_handshake::client_key(*b"the sample nonce"), "dGhlIHNhbXBsZSBub25jZQ==");
/// ```
pub fn client_key(random: [u8; 16]) -> String {
    STANDARD.encode(random)
}

/// Client side: appends the upgrade request.
///
/// `path_and_query` is the origin-form target (`/chat?room=1`, `/` if empty); bytes that may not
/// appear in a target (controls, space, DEL) are percent-encoded. `protocols` are offered in
/// order of preference; `extra_headers` (`Origin`, `Cookie`, ...) follow. A header holding CR
/// or LF is skipped.
///
/// ```
/// let mut out = Vec::new();
/// loopio_handshake::write_client_request(
///     &mut out, "server.example.com", "/chat", "dGhlIHNhbXBsZSBub25jZQ==", &["chat"], &[],
/// );
/// assert_eq!(
///     out,
///     b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
///       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///       Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
/// );
/// ```
pub fn write_client_request(
    out: &mut Vec<u8>,
    host: &str,
    path_and_query: &str,
    key: &str,
    protocols: &[&str],
    extra_headers: &[(&str, &str)],
) {
    out.extend_from_slice(b"GET ");
    write_target(out, path_and_query);
    out.extend_from_slice(b" HTTP/1.1\r\n");
    write_header(out, "Host", host);
    out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\n");
    write_header(out, "Sec-WebSocket-Key", key);
    out.extend_from_slice(b"Sec-WebSocket-Version: 13\r\n");
    if !protocols.is_empty() {
        out.extend_from_slice(b"Sec-WebSocket-Protocol: ");
        for (i, protocol) in protocols.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(protocol.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    write_headers(out, extra_headers);
    out.extend_from_slice(b"\r\n");
}

fn write_target(out: &mut Vec<u8>, target: &str) {
    if !target.starts_with('/') {
        out.push(b'/');
    }
    for &b in target.as_bytes() {
        if b <= b' ' || b == 0x7f {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        } else {
            out.push(b);
        }
    }
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
    /// The response head is not HTTP/1.x syntax.
    Syntax(Syntax),
    /// The response head did not end within [`Limits::max_head_bytes`].
    HeadTooLarge,
    /// More than [`Limits::max_headers`] header lines.
    TooManyHeaders,
    /// An HTTP/1.0 response, which cannot switch protocols.
    HttpVersion,
    /// The server answered with this status instead of 101 (a 426 lists its versions).
    Status(u16),
    /// `Upgrade` lacks the `websocket` token.
    MissingUpgrade,
    /// `Connection` lacks the `upgrade` token.
    MissingConnectionUpgrade,
    /// No `Sec-WebSocket-Accept`.
    MissingAccept,
    /// `Sec-WebSocket-Accept` does not match the key sent, or appears twice.
    InvalidAccept,
    /// A subprotocol that was not offered, a malformed one, or more than one.
    UnexpectedProtocol,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ClientError::Syntax(syntax) => return write!(f, "malformed response head: {syntax}"),
            ClientError::Status(status) => return write!(f, "server answered {status}, not 101"),
            ClientError::HeadTooLarge => "response head too large",
            ClientError::TooManyHeaders => "too many response header lines",
            ClientError::HttpVersion => "HTTP/1.0 response to an upgrade",
            ClientError::MissingUpgrade => "Upgrade header lacks websocket",
            ClientError::MissingConnectionUpgrade => "Connection header lacks upgrade",
            ClientError::MissingAccept => "missing Sec-WebSocket-Accept",
            ClientError::InvalidAccept => "Sec-WebSocket-Accept does not match the key",
            ClientError::UnexpectedProtocol => "server chose a subprotocol that was not offered",
        };
        f.write_str(text)
    }
}

impl std::error::Error for ClientError {}

impl From<httparse::Error> for ClientError {
    fn from(err: httparse::Error) -> Self {
        match RequestError::from(err) {
            RequestError::Syntax(syntax) => ClientError::Syntax(syntax),
            _ => ClientError::TooManyHeaders,
        }
    }
}

/// Client side: parses and validates the server's response to the request sent with `key`,
/// which offered no subprotocols.
///
/// Same as [`parse_server_response_with_protocols`] with no offered protocols, so a response
/// naming one fails with [`ClientError::UnexpectedProtocol`].
///
/// ```
/// use loopio_handshake::{parse_server_response, Limits, Parsed};
///
/// let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
///     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x00";
/// let parsed = parse_server_response(response, "dGhlIHNhbXBsZSBub25jZQ==", &Limits::default());
/// let Ok(Parsed::Complete { value, head_len }) = parsed else { panic!() };
/// assert_eq!((value.protocol, head_len), (None, response.len() - 2));
/// ```
pub fn parse_server_response(
    buf: &[u8],
    key: &str,
    limits: &Limits,
) -> Result<Parsed<ServerAccept>, ClientError> {
    parse_server_response_with_protocols(buf, key, &[], limits)
}

/// Client side: parses and validates the server's response to the request sent with `key`
/// offering `offered` subprotocols (RFC 6455 §4.1, the client's checks on the response).
///
/// Returns [`Parsed::Partial`] until the head is complete, then checks in order: HTTP/1.1,
/// status 101, `Upgrade: websocket`, the `upgrade` token in `Connection`, the
/// `Sec-WebSocket-Accept` value, and that a returned `Sec-WebSocket-Protocol` is one of
/// `offered`. Extensions are not checked: this API offers none, so a caller that offers some
/// through extra headers checks `Sec-WebSocket-Extensions` in [`ServerAccept::headers`].
///
/// ```
/// use loopio_handshake::{parse_server_response_with_protocols, ClientError, Limits};
///
/// let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
///     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
///     Sec-WebSocket-Protocol: mqtt\r\n\r\n";
/// let key = "dGhlIHNhbXBsZSBub25jZQ==";
/// let limits = Limits::default();
/// assert!(parse_server_response_with_protocols(response, key, &["mqtt"], &limits).is_ok());
/// assert_eq!(
///     parse_server_response_with_protocols(response, key, &["chat"], &limits),
///     Err(ClientError::UnexpectedProtocol),
/// );
/// ```
pub fn parse_server_response_with_protocols(
    buf: &[u8],
    key: &str,
    offered: &[&str],
    limits: &Limits,
) -> Result<Parsed<ServerAccept>, ClientError> {
    let window = &buf[..buf.len().min(limits.max_head_bytes)];
    let too_large = buf.len() >= limits.max_head_bytes;
    let parsed = if limits.max_headers <= STACK_HEADERS {
        let mut slots = [httparse::EMPTY_HEADER; STACK_HEADERS];
        parse_window(window, too_large, &mut slots[..limits.max_headers])?
    } else {
        let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
        parse_window(window, too_large, &mut slots)?
    };
    let Some((version, status, headers, head_len)) = parsed else {
        return Ok(Parsed::Partial);
    };
    let value = validate(version, status, headers, key, offered)?;
    Ok(Parsed::Complete { value, head_len })
}

/// Version, status, headers and length of a complete response head, or `None` if partial.
type ResponseHead = Option<(u8, u16, Vec<Header>, usize)>;

fn parse_window<'b>(
    window: &'b [u8],
    too_large: bool,
    slots: &mut [httparse::Header<'b>],
) -> Result<ResponseHead, ClientError> {
    let mut head = httparse::Response::new(slots);
    match head.parse(window)? {
        httparse::Status::Complete(head_len) => {
            // httparse fills every field of a complete head.
            let (Some(version), Some(status)) = (head.version, head.code) else {
                return Err(ClientError::Syntax(Syntax::StatusLine));
            };
            Ok(Some((
                version,
                status,
                owned_headers(head.headers),
                head_len,
            )))
        }
        httparse::Status::Partial if too_large => Err(ClientError::HeadTooLarge),
        httparse::Status::Partial => Ok(None),
    }
}

fn validate(
    version: u8,
    status: u16,
    headers: Vec<Header>,
    key: &str,
    offered: &[&str],
) -> Result<ServerAccept, ClientError> {
    let values = |name: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| &h.value[..])
    };
    if version < 1 {
        return Err(ClientError::HttpVersion);
    }
    // "If the status code received from the server is not 101, the client handles the response
    // per HTTP procedures" (RFC 6455 §4.1): here, the caller does.
    if status != 101 {
        return Err(ClientError::Status(status));
    }
    if !values("upgrade").any(|v| list_contains(v, "websocket")) {
        return Err(ClientError::MissingUpgrade);
    }
    if !values("connection").any(|v| list_contains(v, "upgrade")) {
        return Err(ClientError::MissingConnectionUpgrade);
    }
    let mut accepts = values("sec-websocket-accept");
    let accept = accepts.next().ok_or(ClientError::MissingAccept)?;
    if accept != accept_bytes(key) || accepts.next().is_some() {
        return Err(ClientError::InvalidAccept);
    }
    let protocol = chosen_protocol(values("sec-websocket-protocol"), offered)?;
    Ok(ServerAccept { protocol, headers })
}

/// The server's subprotocol: at most one token, and one the client offered (RFC 6455 §4.1).
fn chosen_protocol<'a>(
    mut values: impl Iterator<Item = &'a [u8]>,
    offered: &[&str],
) -> Result<Option<String>, ClientError> {
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let mut items = list_items(value);
    let (Some(item), None, None) = (items.next(), items.next(), values.next()) else {
        return Err(ClientError::UnexpectedProtocol);
    };
    if !is_token(item) || !offered.iter().any(|p| p.as_bytes() == item) {
        return Err(ClientError::UnexpectedProtocol);
    }
    Ok(Some(String::from_utf8_lossy(item).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_made_safe() {
        let target = |t: &str| {
            let mut out = Vec::new();
            write_target(&mut out, t);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(target("/a?b=c"), "/a?b=c");
        assert_eq!(target("x y\r\n\x7f"), "/x%20y%0D%0A%7F");
    }

    #[test]
    fn chosen_protocol_must_be_single_and_offered() {
        let choose =
            |values: &[&[u8]], offered: &[&str]| chosen_protocol(values.iter().copied(), offered);
        assert_eq!(choose(&[], &["a"]), Ok(None));
        assert_eq!(choose(&[b"a"], &["a"]), Ok(Some("a".to_owned())));
        assert_eq!(choose(&[b""], &["a"]), Err(ClientError::UnexpectedProtocol));
        assert_eq!(
            choose(&[b"a, a"], &["a"]),
            Err(ClientError::UnexpectedProtocol)
        );
        assert_eq!(
            choose(&[b"b"], &["a"]),
            Err(ClientError::UnexpectedProtocol)
        );
    }
}
