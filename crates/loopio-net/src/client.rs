//! WebSocket client connections on the loop: `ws://` URLs, the upgrade request, random keys.

use std::net::ToSocketAddrs;

use mio::net::TcpStream;

use crate::conn::{AcceptInput, Input};
use crate::{ConnId, ConnectError, Ctx};

/// The parts of a `ws://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WsUrl<'a> {
    /// Host as written (brackets kept for IPv6), used for `Host`.
    pub(crate) host: &'a str,
    pub(crate) port: u16,
    /// Path and query, at least `/`.
    pub(crate) target: &'a str,
}

/// Parses `ws://host[:port][/path[?query]]`.
pub(crate) fn parse_url(url: &str) -> Option<WsUrl<'_>> {
    let rest = url.strip_prefix("ws://")?;
    let (authority, target) = match rest.find(['/', '?']) {
        Some(at) if rest.as_bytes()[at] == b'/' => (&rest[..at], &rest[at..]),
        Some(_) => return None,
        None => (rest, "/"),
    };
    let (host, port) = match authority.rfind(':') {
        Some(at) if !authority[at..].contains(']') => {
            (&authority[..at], authority[at + 1..].parse().ok()?)
        }
        _ => (authority, 80),
    };
    (!host.is_empty()).then_some(WsUrl { host, port, target })
}

/// Starts a client connection (see [`Ctx::connect`]).
pub(crate) fn connect(ctx: &mut Ctx, url: &str) -> Result<ConnId, ConnectError> {
    let parsed = parse_url(url).ok_or(ConnectError::BadUrl)?;
    if ctx.live >= ctx.config.max_connections {
        return Err(ConnectError::TooManyConnections);
    }
    let bare_host = parsed.host.trim_start_matches('[').trim_end_matches(']');
    let addr = (bare_host, parsed.port)
        .to_socket_addrs()?
        .next()
        .ok_or(ConnectError::BadUrl)?;
    let mut random = [0; 16];
    ctx.entropy()?.fill(&mut random)?;
    let key = loopio_handshake::client_key(random);
    let host_header = match parsed.port {
        80 => parsed.host.to_owned(),
        port => format!("{}:{port}", parsed.host),
    };
    let mut request = Vec::new();
    loopio_handshake::write_client_request(
        &mut request,
        &host_header,
        parsed.target,
        &key,
        &[],
        &[],
    );
    let socket = TcpStream::connect(addr)?;
    socket.set_nodelay(true)?;
    let input = Input::Accept(Box::new(AcceptInput {
        key,
        head: Vec::new(),
    }));
    Ok(ctx.insert_client(socket, input, request)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = parse_url("ws://127.0.0.1:9002/runCase?case=1&agent=loopio").expect("valid");
        assert_eq!(
            (url.host, url.port, url.target),
            ("127.0.0.1", 9002, "/runCase?case=1&agent=loopio")
        );
        let url = parse_url("ws://example.com").expect("valid");
        assert_eq!((url.host, url.port, url.target), ("example.com", 80, "/"));
        let url = parse_url("ws://[::1]:8080/x").expect("valid");
        assert_eq!((url.host, url.port), ("[::1]", 8080));
        assert_eq!(parse_url("http://x/"), None);
        assert_eq!(parse_url("ws://:80/"), None);
        assert_eq!(parse_url("ws://host:notaport/"), None);
    }
}
