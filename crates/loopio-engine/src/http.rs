//! The HTTP responses Engine.IO sends, with the official headers; bytes are written by
//! `loopio-handshake`.

use loopio_handshake::write_response;

use crate::config::{Config, CorsMatch, Headers};
use crate::error::RequestError;

/// What a request's response depends on, remembered while a GET is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) cors: CorsMatch,
    pub(crate) keep_alive: bool,
}

/// `Content-Type` of a polling payload (the official server always sends text payloads).
const PAYLOAD_TYPE: &str = "text/plain; charset=UTF-8";

fn base<'a>(config: &'a Config, reply: Reply) -> Headers<'a> {
    let mut headers = Headers::new();
    config.cors.headers(reply.cors, &mut headers);
    headers
}

/// `200` with a payload for a held GET; `cookie` is the `Set-Cookie` value on the handshake.
pub(crate) fn payload(
    out: &mut Vec<u8>,
    config: &Config,
    reply: Reply,
    cookie: Option<&str>,
    body: &[u8],
) {
    let mut headers = base(config, reply);
    headers.push("Content-Type", PAYLOAD_TYPE);
    headers.push("cache-control", "no-store");
    if let Some(cookie) = cookie {
        headers.push("Set-Cookie", cookie);
    }
    write_response(out, 200, headers.as_slice(), body, !reply.keep_alive);
}

/// `200 ok` for a POST; `text/html` avoids a download dialog in some browsers (official).
pub(crate) fn post_ok(out: &mut Vec<u8>, config: &Config, reply: Reply) {
    let mut headers = base(config, reply);
    headers.push("Content-Type", "text/html");
    headers.push("cache-control", "no-store");
    write_response(out, 200, headers.as_slice(), b"ok", !reply.keep_alive);
}

/// A bare status with no body (`400` overlapping GET, `413` oversize POST, `500` method).
pub(crate) fn status(out: &mut Vec<u8>, config: &Config, reply: Reply, status: u16) {
    let headers = base(config, reply);
    write_response(out, status, headers.as_slice(), b"", !reply.keep_alive);
}

/// The official error answer: JSON for polling requests, text for refused upgrades.
pub(crate) fn error(
    out: &mut Vec<u8>,
    config: &Config,
    reply: Reply,
    error: RequestError,
    upgrade: bool,
) {
    if upgrade {
        let headers = [("Content-type", "text/html")];
        write_response(out, 400, &headers, error.message().as_bytes(), true);
        return;
    }
    let mut headers = base(config, reply);
    headers.push("Content-Type", "application/json");
    let mut body = [0u8; 64];
    let len = json_error(&mut body, error);
    write_response(
        out,
        error.status(),
        headers.as_slice(),
        &body[..len],
        !reply.keep_alive,
    );
}

/// `{"code":N,"message":"…"}` into a stack buffer (messages are short constants).
fn json_error(body: &mut [u8; 64], error: RequestError) -> usize {
    use std::io::Write as _;
    let mut cursor = std::io::Cursor::new(&mut body[..]);
    write!(
        cursor,
        r#"{{"code":{},"message":"{}"}}"#,
        error.code(),
        error.message()
    )
    .expect("the longest error body is 56 bytes");
    cursor.position() as usize
}

/// `204` for a CORS preflight, as the `cors` middleware answers it.
pub(crate) fn preflight(out: &mut Vec<u8>, config: &Config, reply: Reply, requested: Option<&str>) {
    let mut headers = base(config, reply);
    headers.push(
        "Access-Control-Allow-Methods",
        "GET,HEAD,PUT,PATCH,POST,DELETE",
    );
    if let Some(requested) = requested {
        headers.push("Access-Control-Allow-Headers", requested);
        headers.push("Vary", "Access-Control-Request-Headers");
    }
    write_response(out, 204, headers.as_slice(), b"", !reply.keep_alive);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_match_the_official_server() {
        let mut body = [0u8; 64];
        let len = json_error(&mut body, RequestError::UnsupportedProtocolVersion);
        assert_eq!(
            &body[..len],
            br#"{"code":5,"message":"Unsupported protocol version"}"#
        );
        let len = json_error(&mut body, RequestError::UnknownSid);
        assert_eq!(
            &body[..len],
            br#"{"code":1,"message":"Session ID unknown"}"#
        );
    }
}
