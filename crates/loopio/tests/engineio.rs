//! Engine.IO on the loop over real sockets (std `TcpStream`, one keep-alive connection per
//! test): polling echo, error answers, the user HTTP handler. The official client's tests are in
//! `e2e/engineio/`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use loopio::engineio::{self, CloseReason, Config, Data, Handler, SendError, SessionId, Sessions};
use loopio::net::{ConnId, Ctx, HttpReply, Request, Response};

/// Echoes; "close me" makes the server close the session; reports each close reason.
struct Echo {
    closed: mpsc::Sender<String>,
}

impl Handler for Echo {
    fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
        let _ = sessions.send(session, data);
        if data == Data::Text("close me") {
            sessions.close(session);
            assert_eq!(sessions.send(session, data), Err(SendError::Closed));
        }
    }

    fn on_close(&mut self, _: &mut Sessions<'_>, _: SessionId, reason: CloseReason) {
        let _ = self.closed.send(reason.to_string());
    }

    fn on_http(&mut self, _: &mut Ctx, _: ConnId, request: &Request, _: &[u8]) -> HttpReply {
        HttpReply::Respond(match request.path.as_str() {
            "/health" => Response::new(200).with_body(b"up".to_vec()),
            _ => Response::new(404),
        })
    }
}

/// Starts an echo server on its own thread (it runs until the test process ends); returns its
/// address and the close reasons its handler sees.
fn server() -> (SocketAddr, mpsc::Receiver<String>) {
    server_with(Config {
        max_payload: 1_000,
        ..Config::default()
    })
}

/// [`server`] with other settings.
fn server_with(config: Config) -> (SocketAddr, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel();
    let (closed, closes) = mpsc::channel();
    std::thread::spawn(move || {
        let mut event_loop = engineio::event_loop(config, Echo { closed }).expect("event loop");
        let addr = event_loop.listen("127.0.0.1:0".parse().unwrap());
        tx.send(addr.expect("bind 127.0.0.1:0")).unwrap();
        event_loop.run().expect("loop runs");
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("server starts");
    (addr, closes)
}

/// One keep-alive HTTP/1.1 client connection.
struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            reader: BufReader::new(stream),
        }
    }

    /// Sends a request and returns (status, body).
    fn request(&mut self, method: &str, target: &str, body: &[u8]) -> (u16, String) {
        // No `Content-Length: 0` on bodiless requests: see `empty_content_length_is_answered`.
        let length = match body.len() {
            0 => String::new(),
            n => format!("Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {n}\r\n"),
        };
        let head = format!("{method} {target} HTTP/1.1\r\nHost: test\r\n{length}\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        (status, String::from_utf8(body).unwrap())
    }
}

fn sid_of(open: &str) -> String {
    let start = open.find(r#""sid":""#).expect("a sid") + 7;
    open[start..start + 20].to_owned()
}

#[test]
fn polling_echo_on_one_keep_alive_connection() {
    let (addr, closes) = server();
    let mut client = Client::connect(addr);
    let (status, open) = client.request("GET", "/engine.io/?EIO=4&transport=polling", b"");
    assert_eq!(status, 200);
    assert!(open.starts_with(r#"0{"sid":""#), "{open}");
    assert!(open.ends_with(r#""maxPayload":1000}"#), "{open}");
    let query = format!("/engine.io/?EIO=4&transport=polling&sid={}", sid_of(&open));
    assert_eq!(
        client.request("POST", &query, b"4hello\x1ebAQID"),
        (200, "ok".to_owned())
    );
    assert_eq!(
        client.request("GET", &query, b""),
        (200, "4hello\x1ebAQID".to_owned())
    );
    // The client's close packet ends the session and its sid is forgotten.
    assert_eq!(client.request("POST", &query, b"1"), (200, "ok".to_owned()));
    let (status, body) = client.request("GET", &query, b"");
    assert_eq!(status, 400);
    assert_eq!(body, r#"{"code":1,"message":"Session ID unknown"}"#);
    let reason = closes.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(reason, "transport close");
}

#[test]
fn server_close_over_polling_sends_queued_packets_then_close() {
    let (addr, closes) = server();
    let mut client = Client::connect(addr);
    let (_, open) = client.request("GET", "/engine.io/?EIO=4&transport=polling", b"");
    let query = format!("/engine.io/?EIO=4&transport=polling&sid={}", sid_of(&open));
    assert_eq!(
        client.request("POST", &query, b"4close me"),
        (200, "ok".to_owned())
    );
    // The echo queued before the close goes out first, then the close packet.
    assert_eq!(
        client.request("GET", &query, b""),
        (200, "4close me\x1e1".to_owned())
    );
    let reason = closes.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(reason, "forced close");
    assert_eq!(client.request("GET", &query, b"").0, 400);
}

#[test]
fn errors_oversized_posts_and_other_paths() {
    let (addr, _) = server();
    let mut client = Client::connect(addr);
    let cases = [
        (
            "GET",
            "/engine.io/?EIO=4",
            400,
            r#"{"code":0,"message":"Transport unknown"}"#,
        ),
        (
            "POST",
            "/engine.io/?EIO=4&transport=polling",
            400,
            r#"{"code":2,"message":"Bad handshake method"}"#,
        ),
        (
            "GET",
            "/engine.io/?EIO=3&transport=polling",
            400,
            r#"{"code":5,"message":"Unsupported protocol version"}"#,
        ),
        ("GET", "/health", 200, "up"),
        ("GET", "/elsewhere", 404, ""),
    ];
    for (method, target, status, body) in cases {
        let answer = client.request(method, target, b"");
        assert_eq!(answer, (status, body.to_owned()), "{method} {target}");
    }
    let (_, open) = client.request("GET", "/engine.io/?EIO=4&transport=polling", b"");
    let query = format!("/engine.io/?EIO=4&transport=polling&sid={}", sid_of(&open));
    let big = [b'4'; 1_001];
    assert_eq!(client.request("POST", &query, &big).0, 413);
}

/// A POST over `max_payload` is answered 413 by the session (with its CORS headers), the
/// TCP connection closes, and the session ends with "transport error", as the official server.
#[test]
fn oversized_post_closes_the_session() {
    let config = Config {
        max_payload: 1_000,
        cors: engineio::Cors {
            origins: engineio::AllowedOrigins::Any,
            credentials: false,
        },
        ..Config::default()
    };
    let (addr, closes) = server_with(config);
    let mut client = Client::connect(addr);
    let (_, open) = client.request("GET", "/engine.io/?EIO=4&transport=polling", b"");
    let query = format!("/engine.io/?EIO=4&transport=polling&sid={}", sid_of(&open));

    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST {query} HTTP/1.1\r\nHost: test\r\nOrigin: http://page.test\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 1001\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = String::new();
    // The server answers and closes without reading the body.
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains("Access-Control-Allow-Origin: *"),
        "{response}"
    );
    assert!(response.contains("Connection: close"), "{response}");
    let reason = closes.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(reason, "transport error");
    let (status, body) = client.request("GET", &query, b"");
    assert_eq!(status, 400);
    assert_eq!(body, r#"{"code":1,"message":"Session ID unknown"}"#);
}

/// Some HTTP clients send `Content-Length: 0` on GETs and empty POSTs; the request must be
/// answered at once, not left waiting for body bytes that never come.
#[test]
fn empty_content_length_is_answered() {
    let mut stream = TcpStream::connect(server().0).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let head = "GET /engine.io/?EIO=4 HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let mut status = [0u8; 12];
    stream
        .read_exact(&mut status)
        .expect("an answer within 2 s");
    assert_eq!(&status, b"HTTP/1.1 400");
}

#[test]
fn idle_session_state_is_small() {
    let session = engineio::session_state_size();
    let connection = loopio::net::connection_state_size();
    eprintln!("session slot {session} B, loop connection slot {connection} B");
    assert!(session <= 384, "session slot grew to {session} bytes");
}
