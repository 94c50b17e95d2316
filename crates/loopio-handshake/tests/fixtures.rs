//! Real client requests (tests/fixtures/*.http) parsed every way and answered.

mod common;

use common::parse_all_ways;
use loopio_handshake::{
    accept_key, check_upgrade, is_upgrade_request, parse_request, write_switching_protocols,
    BodyDecoder, BodyFraming, Limits, Parsed, Request, WsOffer,
};

const CHROME: &[u8] = include_bytes!("fixtures/chrome.http");
const FIREFOX: &[u8] = include_bytes!("fixtures/firefox.http");
const SAFARI: &[u8] = include_bytes!("fixtures/safari.http");
const NODE_WS: &[u8] = include_bytes!("fixtures/node-ws.http");
const PYTHON_WEBSOCKETS: &[u8] = include_bytes!("fixtures/python-websockets.http");
const POLLING_GET: &[u8] = include_bytes!("fixtures/polling-get.http");
const POLLING_POST: &[u8] = include_bytes!("fixtures/polling-post.http");

/// Parses a fixture every way; returns the request and its head length.
fn request(bytes: &[u8]) -> (Request, usize) {
    match parse_all_ways(bytes, |b| parse_request(b, &Limits::default())) {
        Ok(Parsed::Complete { value, head_len }) => (value, head_len),
        other => panic!("{other:?}"),
    }
}

fn offer(bytes: &[u8]) -> WsOffer {
    let (req, head_len) = request(bytes);
    assert_eq!(head_len, bytes.len());
    assert!(is_upgrade_request(&req));
    assert_eq!(req.body_framing(), Ok(BodyFraming::None));
    check_upgrade(&req).expect("a real browser's upgrade is valid")
}

fn switching_protocols(offer: &WsOffer, protocol: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    write_switching_protocols(&mut out, &offer.key, protocol, &[]);
    out
}

#[test]
fn chrome_upgrade() {
    let offer = offer(CHROME);
    assert_eq!(offer.key, "x3JJHMbDL1EzLkh9GBhXDw==");
    assert_eq!(offer.origin.as_deref(), Some("http://localhost:3000"));
    assert_eq!(offer.protocols, Vec::<String>::new());
    assert_eq!(
        offer.extensions,
        ["permessage-deflate; client_max_window_bits"]
    );
    // Expected value computed independently with Python's hashlib and base64.
    assert_eq!(accept_key(&offer.key), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    assert_eq!(
        switching_protocols(&offer, None),
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n\r\n"
    );
}

#[test]
fn firefox_upgrade_with_keep_alive_upgrade_connection() {
    let (req, _) = request(FIREFOX);
    assert_eq!(req.header("connection"), Some("keep-alive, Upgrade"));
    let offer = offer(FIREFOX);
    assert_eq!(offer.protocols, ["chat", "superchat"]);
    assert_eq!(offer.extensions, ["permessage-deflate"]);
    assert_eq!(accept_key(&offer.key), "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
    let out = switching_protocols(&offer, Some("chat"));
    assert!(out.ends_with(b"Sec-WebSocket-Protocol: chat\r\n\r\n"));
}

#[test]
fn safari_upgrade() {
    let offer = offer(SAFARI);
    assert_eq!(offer.origin.as_deref(), Some("http://192.168.1.20:8080"));
    assert_eq!(accept_key(&offer.key), "uX+cLIgn5buPT/LKVBch7D51zFo=");
}

#[test]
fn node_ws_upgrade_with_host_last() {
    let (req, _) = request(NODE_WS);
    assert_eq!(req.path, "/socket.io/");
    assert_eq!(req.query_param("transport").as_deref(), Some("websocket"));
    let offer = offer(NODE_WS);
    assert_eq!(offer.origin, None);
    assert_eq!(accept_key(&offer.key), "cbBTuVQ6JUkx9PbGlQS3kd1cuXo=");
}

#[test]
fn python_websockets_upgrade() {
    let offer = offer(PYTHON_WEBSOCKETS);
    assert_eq!(accept_key(&offer.key), "b/vKjZsyx/qIDaaic7i8/sAQmfY=");
}

#[test]
fn engine_io_polling_get() {
    let (req, head_len) = request(POLLING_GET);
    assert_eq!(head_len, POLLING_GET.len());
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("GET", "/socket.io/")
    );
    assert_eq!(req.query, "EIO=4&transport=polling&t=Ox3k1");
    assert_eq!(req.query_param("EIO").as_deref(), Some("4"));
    assert_eq!(req.query_param("t").as_deref(), Some("Ox3k1"));
    assert_eq!(req.query_param("sid"), None);
    assert!(req.keep_alive());
    assert!(!is_upgrade_request(&req));
    assert_eq!(req.body_framing(), Ok(BodyFraming::None));
    // A quoted list with commas inside quotes survives as one raw value.
    assert!(req
        .header("sec-ch-ua")
        .is_some_and(|v| v.contains("\"Not-A.Brand\";v=\"99\"")));
}

#[test]
fn engine_io_polling_post_then_body() {
    let (req, head_len) = request(POLLING_POST);
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.query_param("sid").as_deref(),
        Some("AxbzZ0T0wZ4g1oVbAAAB")
    );
    assert_eq!(req.header("content-type"), Some("text/plain;charset=UTF-8"));
    let framing = req.body_framing().expect("one Content-Length");
    assert_eq!(framing, BodyFraming::ContentLength(2));
    let body = common::decode_all_ways(framing, 1 << 20, &POLLING_POST[head_len..]);
    assert_eq!(body, Ok((b"40".to_vec(), 2, true)));
    assert_eq!(
        BodyDecoder::new(framing, 1).err().map(|e| e.status()),
        Some(413)
    );
}

#[test]
fn display_prints_the_head_for_traces() {
    let (req, _) = request(NODE_WS);
    let text = req.to_string();
    assert!(text.starts_with("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\n"));
    assert!(text.ends_with("\nHost: localhost:3000"));
    assert_eq!(text.lines().count(), 1 + req.headers.len());
}

#[test]
fn pipelined_requests_are_parsed_one_after_another() {
    let mut stream = POLLING_POST.to_vec();
    stream.extend_from_slice(POLLING_GET);
    let (first, head_len) = request(&stream);
    let framing = first.body_framing().expect("valid");
    let mut decoder = BodyDecoder::new(framing, 1024).expect("small body");
    let mut body = Vec::new();
    let (used, done) = decoder
        .decode(&stream[head_len..], &mut body)
        .expect("valid body");
    assert!(done);
    let (second, _) = request(&stream[head_len + used..]);
    assert_eq!(second.query_param("t").as_deref(), Some("Ox3k1"));
}
