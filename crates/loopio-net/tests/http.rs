//! Handshake and plain HTTP scenarios over real sockets.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use loopio_net::Config;
use support::*;

/// Reads a response with a Content-Length body.
fn read_response(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    let head = read_head(stream);
    let length = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .map_or(0, |v| v.parse().expect("numeric length"));
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("body in time");
    (head, body)
}

#[test]
fn missing_key_is_400_then_close() {
    let server = Server::start(Config::default());
    let mut stream = connect(server.addr);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .unwrap();
    let (head, _) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    expect_eof(&mut stream);
    server.stop();
}

#[test]
fn wrong_version_is_426_with_the_supported_version() {
    let server = Server::start(Config::default());
    let mut stream = connect(server.addr);
    let request = String::from_utf8(upgrade_request("/"))
        .unwrap()
        .replace("Version: 13", "Version: 8");
    stream.write_all(request.as_bytes()).unwrap();
    let (head, _) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 426"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-version: 13"),
        "{head}"
    );
    expect_eof(&mut stream);
    server.stop();
}

#[test]
fn garbage_head_is_400() {
    let server = Server::start(Config::default());
    let mut stream = connect(server.addr);
    stream.write_all(b"\x00\x01 nonsense\r\n\r\n").unwrap();
    let (head, _) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    expect_eof(&mut stream);
    server.stop();
}

#[test]
fn oversized_head_is_refused() {
    let server = Server::start(Config::default());
    let mut stream = connect(server.addr);
    let mut request = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    request.extend(std::iter::repeat(b'a').take(10_000));
    // The server may answer and close before all of it is written.
    let _ = stream.write_all(&request);
    let (head, _) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 431"), "{head}");
    server.stop();
}

#[test]
fn handshake_timeout_drops_slowloris() {
    let config = Config {
        handshake_timeout: Duration::from_millis(100),
        ..Config::default()
    };
    let server = Server::start(config);
    let mut stream = connect(server.addr);
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    expect_eof(&mut stream);
    server.stop();
}

#[test]
fn plain_requests_keep_alive_and_default_to_404() {
    let server = Server::start(Config::default());
    let mut stream = connect(server.addr);
    stream
        .write_all(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, _) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    // Same connection, a request with a body, sent in two pieces.
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello")
        .unwrap();
    stream.write_all(b" world").unwrap();
    let (head, body) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, b"hello world");
    server.stop();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = Server::start(Config::default());
    let mut stream = connect(server.addr);
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\naPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb")
        .unwrap();
    assert_eq!(read_response(&mut stream).1, b"a");
    assert_eq!(read_response(&mut stream).1, b"b");
    server.stop();
}

#[test]
fn held_request_is_answered_later_then_keep_alive_continues() {
    let server = Server::start(Config::default());
    let mut stream = connect(server.addr);
    // The second request waits behind the held one.
    stream
        .write_all(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        .unwrap();
    let (head, body) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, b"late");
    assert_eq!(read_response(&mut stream).1, b"ok");
    server.stop();
}

#[test]
fn connection_close_request_is_answered_then_closed() {
    let server = Server::start(Config::default());
    let mut stream = connect(server.addr);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (head, _) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    expect_eof(&mut stream);
    server.stop();
}

#[test]
fn accepting_pauses_at_the_connection_limit() {
    let config = Config {
        max_connections: 1,
        ..Config::default()
    };
    let server = Server::start(config);
    let mut first = open_ws(server.addr);
    let mut second = connect(server.addr);
    second.write_all(&upgrade_request("/")).unwrap();
    // The second is not served while the first lives...
    second
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut byte = [0];
    let err = second
        .read(&mut byte)
        .expect_err("no answer while the slot is taken");
    assert!(matches!(
        err.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));
    // ...and is served once it ends.
    first
        .write_all(&frame(true, 0x8, &1000u16.to_be_bytes()))
        .unwrap();
    assert_eq!(read_close(&mut first), 1000);
    expect_eof(&mut first);
    drop(first); // our FIN lets the server free the slot at once
    second.set_read_timeout(Some(WAIT)).unwrap();
    assert!(read_head(&mut second).starts_with("HTTP/1.1 101"));
    server.stop();
}

/// A body over `max_body`: the service's `on_body_refused` answers it (here with a header of
/// its own), or the loop answers a plain 413; either way the connection closes.
#[test]
fn refused_body_goes_to_the_service_then_closes() {
    let config = Config {
        max_body: 16,
        ..Config::default()
    };
    let server = Server::start(config);
    for (path, custom) in [("/custom", true), ("/echo", false)] {
        let mut stream = connect(server.addr);
        let request = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let (head, _) = read_response(&mut stream);
        assert!(head.starts_with("HTTP/1.1 413"), "{head}");
        assert_eq!(head.contains("X-Refused: custom"), custom, "{head}");
        expect_eof(&mut stream);
    }
    // Chunked: the limit is hit while reading.
    let mut stream = connect(server.addr);
    let request = "POST /custom HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                   20\r\n0123456789abcdef0123456789abcdef\r\n";
    stream.write_all(request.as_bytes()).unwrap();
    let (head, _) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("X-Refused: custom"), "{head}");
    expect_eof(&mut stream);
    server.stop();
}

/// A graceful shutdown calls `on_shutdown` once, then leaves a held request to the service
/// (which answers it, here from its timer) instead of ending it, and exits as soon as only
/// idle keep-alive connections are left, well before `shutdown_timeout` (300 ms here).
#[test]
fn shutdown_leaves_a_held_request_for_the_service_to_answer() {
    let mut server = Server::start(Config::default());
    let mut stream = connect(server.addr);
    stream
        .write_all(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let held = std::time::Instant::now() + WAIT;
    loop {
        let (tx, rx) = std::sync::mpsc::channel();
        server
            .handle
            .run(move |service, _| {
                let _ = tx.send(service.held.len());
            })
            .unwrap();
        if rx.recv_timeout(WAIT).unwrap() == 1 {
            break;
        }
        assert!(std::time::Instant::now() < held, "request held in time");
    }
    let t0 = std::time::Instant::now();
    server.handle.shutdown().unwrap();
    assert_eq!(server.next_seen(), Seen::Shutdown);
    let (head, body) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, b"late");
    server.join();
    assert!(
        t0.elapsed() < Duration::from_millis(250),
        "{:?}",
        t0.elapsed()
    );
    let mut rest = Vec::new();
    assert_eq!(
        stream.read_to_end(&mut rest).map(|_| rest.len()).ok(),
        Some(0)
    );
}
