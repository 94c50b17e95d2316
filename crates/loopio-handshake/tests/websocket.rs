//! The RFC 6455 opening handshake: server checks and answers, client request and checks.

mod common;

use common::parse_all_ways;
use loopio_handshake::{
    accept_key, check_upgrade, client_key, parse_request, parse_server_response,
    parse_server_response_with_protocols, write_client_request, write_switching_protocols,
    write_upgrade_error, ClientError, Limits, Parsed, Request, ServerAccept, UpgradeError,
};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

const VALID: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

fn request(head: &str) -> Request {
    match parse_all_ways(head.as_bytes(), |b| parse_request(b, &Limits::default())) {
        Ok(Parsed::Complete { value, .. }) => value,
        other => panic!("{other:?}"),
    }
}

/// `VALID` with `from` replaced by `to`.
fn upgrade_with(from: &str, to: &str) -> Result<loopio_handshake::WsOffer, UpgradeError> {
    assert!(VALID.contains(from), "{from}");
    check_upgrade(&request(&VALID.replacen(from, to, 1)))
}

#[test]
fn rfc_6455_sample_accept_key() {
    // RFC 6455 §1.3.
    assert_eq!(accept_key(KEY), ACCEPT);
}

#[test]
fn valid_upgrade_offer() {
    let offer = check_upgrade(&request(VALID)).unwrap();
    assert_eq!(offer.key, KEY);
    assert!(offer.protocols.is_empty() && offer.extensions.is_empty());
    assert_eq!(offer.origin, None);
}

#[test]
fn tokens_are_case_insensitive_lists() {
    assert!(upgrade_with("Upgrade: websocket", "Upgrade: WebSocket").is_ok());
    assert!(upgrade_with("Upgrade: websocket", "Upgrade: h2c, websocket").is_ok());
    assert!(upgrade_with("Connection: Upgrade", "Connection: keep-alive, Upgrade").is_ok());
    assert!(upgrade_with("Connection: Upgrade", "Connection: UPGRADE").is_ok());
    let split = "Connection: keep-alive\r\nConnection: upgrade";
    assert!(upgrade_with("Connection: Upgrade", split).is_ok());
}

#[test]
fn protocols_and_extensions_across_lines() {
    let extra = "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
        Sec-WebSocket-Protocol: v2.mqtt\r\nSec-WebSocket-Extensions: permessage-deflate; \
        client_max_window_bits, x-webkit-deflate-frame\r\nSec-WebSocket-Extensions: foo; \
        bar=\"a,b\"\r\nOrigin: https://app.example";
    let offer = upgrade_with("Sec-WebSocket-Version: 13", extra).unwrap();
    assert_eq!(offer.protocols, ["chat", "superchat", "v2.mqtt"]);
    assert_eq!(
        offer.extensions,
        [
            "permessage-deflate; client_max_window_bits",
            "x-webkit-deflate-frame",
            "foo; bar=\"a,b\""
        ]
    );
    assert_eq!(offer.origin.as_deref(), Some("https://app.example"));
}

#[test]
fn each_refusal_has_its_status() {
    use UpgradeError::*;
    let version = "Sec-WebSocket-Version: 13";
    let cases: &[(&str, &str, UpgradeError, u16)] = &[
        ("GET /chat", "POST /chat", MethodNotGet, 405),
        ("GET /chat", "get /chat", MethodNotGet, 405),
        (
            "HTTP/1.1\r\nHost: server.example.com\r\n",
            "HTTP/1.0\r\n",
            HttpVersion,
            400,
        ),
        ("Upgrade: websocket", "Upgrade: h2c", MissingUpgrade, 400),
        (
            "Upgrade: websocket",
            "X-Upgrade: websocket",
            MissingUpgrade,
            400,
        ),
        (
            "Upgrade: websocket",
            "Upgrade: websockets",
            MissingUpgrade,
            400,
        ),
        (
            "Connection: Upgrade",
            "Connection: keep-alive",
            MissingConnectionUpgrade,
            400,
        ),
        ("Connection: Upgrade", "X: y", MissingConnectionUpgrade, 400),
        (
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "X: y",
            MissingKey,
            400,
        ),
        (KEY, "dGhlIHNhbXBsZSBub25jZQ", InvalidKey, 400),
        (KEY, "dGhlIHNhbXBsZSBub25jZQ==AAAA", InvalidKey, 400),
        (KEY, "c2hvcnQ=", InvalidKey, 400),
        (KEY, "dGhlIHNhbXBsZSBub25jZR==", InvalidKey, 400),
        (KEY, "dGhlIHNhbXBsZSBub25jZ!==", InvalidKey, 400),
        (KEY, "AQIDBAUGBwgJCgsMDQ4PEBES", InvalidKey, 400),
        (
            KEY,
            "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==",
            InvalidKey,
            400,
        ),
        (version, "Sec-WebSocket-Version: 8", UnsupportedVersion, 426),
        (
            version,
            "Sec-WebSocket-Version: 13, 8",
            UnsupportedVersion,
            426,
        ),
        (
            version,
            "Sec-WebSocket-Version: 013",
            UnsupportedVersion,
            426,
        ),
        (version, "X: y", UnsupportedVersion, 426),
        (
            version,
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13",
            UnsupportedVersion,
            426,
        ),
        (
            version,
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a b",
            InvalidProtocol,
            400,
        ),
        (
            version,
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: \"chat\"",
            InvalidProtocol,
            400,
        ),
        (
            version,
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ;x",
            InvalidExtension,
            400,
        ),
        (
            version,
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: a b",
            InvalidExtension,
            400,
        ),
    ];
    for (from, to, err, status) in cases {
        assert_eq!(upgrade_with(from, to), Err(*err), "{to}");
        assert_eq!(err.status(), *status);
    }
}

#[test]
fn missing_host_is_refused_even_in_a_hand_built_request() {
    let mut req = request(VALID);
    req.headers.retain(|h| !h.name.eq_ignore_ascii_case("host"));
    assert_eq!(check_upgrade(&req), Err(UpgradeError::MissingHost));
}

fn error_response(err: UpgradeError) -> String {
    let mut out = Vec::new();
    write_upgrade_error(&mut out, &err);
    String::from_utf8(out).unwrap()
}

#[test]
fn error_responses() {
    let version = error_response(UpgradeError::UnsupportedVersion);
    assert_eq!(
        version,
        "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Connection: Upgrade, close\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: 32\r\n\r\nSec-WebSocket-Version must be 13"
    );
    let method = error_response(UpgradeError::MethodNotGet);
    assert!(method.starts_with("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"));
    let key = error_response(UpgradeError::InvalidKey);
    assert!(key.starts_with("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"));
    // Each answer is itself a well-formed response whose body matches Content-Length.
    for answer in [version, method, key] {
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
    }
}

#[test]
fn switching_protocols_with_extra_headers() {
    let mut out = Vec::new();
    let extensions = ("Sec-WebSocket-Extensions", "permessage-deflate");
    write_switching_protocols(
        &mut out,
        KEY,
        Some("chat"),
        &[extensions, ("Bad", "a\r\nb")],
    );
    assert_eq!(
        out,
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Protocol: chat\r\n\
             Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        )
        .as_bytes()
    );
}

// --- client side ---

fn response(bytes: &[u8], offered: &[&str]) -> Result<Parsed<ServerAccept>, ClientError> {
    let limits = Limits::default();
    parse_all_ways(bytes, |b| {
        parse_server_response_with_protocols(b, KEY, offered, &limits)
    })
}

fn accepted(extra: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {ACCEPT}\r\n{extra}\r\n"
    )
    .into_bytes()
}

fn accepted_replacing(from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(accepted("")).expect("ASCII");
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn client_key_is_base64_of_the_nonce() {
    assert_eq!(client_key(*b"the sample nonce"), KEY);
    assert_eq!(client_key([0; 16]), "AAAAAAAAAAAAAAAAAAAAAA==");
}

#[test]
fn client_server_round_trip() {
    let key = client_key([7; 16]);
    let mut out = Vec::new();
    write_client_request(
        &mut out,
        "localhost:3000",
        "/socket.io/?EIO=4&transport=websocket",
        &key,
        &["a", "b"],
        &[("Origin", "http://localhost:3000")],
    );
    let Ok(Parsed::Complete { value: req, .. }) = parse_request(&out, &Limits::default()) else {
        panic!()
    };
    assert_eq!(req.query_param("transport").as_deref(), Some("websocket"));
    let offer = check_upgrade(&req).unwrap();
    assert_eq!(offer.protocols, ["a", "b"]);
    assert_eq!(offer.origin.as_deref(), Some("http://localhost:3000"));

    let mut answer = Vec::new();
    write_switching_protocols(&mut answer, &offer.key, Some("b"), &[]);
    answer.extend_from_slice(b"\x81\x05hello");
    let limits = Limits::default();
    let parsed = parse_all_ways(&answer, |b| {
        parse_server_response_with_protocols(b, &key, &["a", "b"], &limits)
    });
    let Ok(Parsed::Complete { value, head_len }) = parsed else {
        panic!("{parsed:?}")
    };
    assert_eq!(value.protocol.as_deref(), Some("b"));
    assert_eq!(&answer[head_len..], b"\x81\x05hello");
}

#[test]
fn client_request_encodes_unsafe_target_bytes() {
    let mut out = Vec::new();
    write_client_request(&mut out, "h", "a b", KEY, &[], &[]);
    assert!(out.starts_with(b"GET /a%20b HTTP/1.1\r\nHost: h\r\n"));
    out.clear();
    write_client_request(&mut out, "h", "", KEY, &[], &[]);
    assert!(out.starts_with(b"GET / HTTP/1.1\r\n"));
}

#[test]
fn server_response_accepted_with_any_token_case_and_extra_headers() {
    let bytes = b"HTTP/1.1 101 Web Socket Protocol Handshake\r\nupgrade: WebSocket\r\n\
        connection: keep-alive, upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
        Server: test\r\n\r\n";
    let Ok(Parsed::Complete { value, .. }) = response(bytes, &[]) else {
        panic!()
    };
    assert_eq!(value.protocol, None);
    assert_eq!(value.headers.len(), 4);
    assert!(matches!(
        parse_server_response(bytes, KEY, &Limits::default()),
        Ok(Parsed::Complete { .. })
    ));
}

#[test]
fn server_response_refusals() {
    use ClientError::*;
    let forbidden = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".to_vec();
    let upgrade_required =
        b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n".to_vec();
    let old = b"HTTP/1.0 101 Switching Protocols\r\n\r\n".to_vec();
    let no_upgrade = accepted_replacing("Upgrade: websocket\r\n", "");
    let no_connection = accepted_replacing("Connection: Upgrade", "Connection: close");
    let no_accept = accepted_replacing("Sec-WebSocket-Accept", "X");
    let bad_accept = accepted_replacing(ACCEPT, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let cases: Vec<(Vec<u8>, &[&str], ClientError)> = vec![
        (forbidden, &[], Status(403)),
        (upgrade_required, &[], Status(426)),
        (old, &[], HttpVersion),
        (no_upgrade, &[], MissingUpgrade),
        (no_connection, &[], MissingConnectionUpgrade),
        (no_accept, &[], MissingAccept),
        (bad_accept, &[], InvalidAccept),
        (
            accepted(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n")),
            &[],
            InvalidAccept,
        ),
        (
            accepted("Sec-WebSocket-Protocol: chat\r\n"),
            &[],
            UnexpectedProtocol,
        ),
        (
            accepted("Sec-WebSocket-Protocol: chat\r\n"),
            &["superchat"],
            UnexpectedProtocol,
        ),
        (
            accepted("Sec-WebSocket-Protocol: chat, b\r\n"),
            &["chat", "b"],
            UnexpectedProtocol,
        ),
        (
            accepted("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"),
            &["chat"],
            UnexpectedProtocol,
        ),
        (
            accepted("Sec-WebSocket-Protocol: CHAT\r\n"),
            &["chat"],
            UnexpectedProtocol,
        ),
        (
            b"HTTP/1.1 1x1 Switching\r\n\r\n".to_vec(),
            &[],
            Syntax(loopio_handshake::Syntax::StatusLine),
        ),
        (
            b"HTTP/2 101 Switching\r\n\r\n".to_vec(),
            &[],
            Syntax(loopio_handshake::Syntax::Version),
        ),
    ];
    for (bytes, offered, err) in cases {
        assert_eq!(
            response(&bytes, offered),
            Err(err.clone()),
            "{}",
            bytes.escape_ascii()
        );
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn server_response_limits() {
    let limits = Limits {
        max_head_bytes: 64,
        max_headers: 2,
    };
    let long = accepted("X-Pad: 0123456789012345678901234567890123456789\r\n");
    let parsed = parse_all_ways(&long, |b| parse_server_response(b, KEY, &limits));
    assert_eq!(parsed, Err(ClientError::HeadTooLarge));
    let limits = Limits {
        max_head_bytes: 8 << 10,
        max_headers: 2,
    };
    let parsed = parse_all_ways(&accepted(""), |b| parse_server_response(b, KEY, &limits));
    assert_eq!(parsed, Err(ClientError::TooManyHeaders));
}
