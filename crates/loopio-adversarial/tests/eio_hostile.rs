//! Hostile Engine.IO polling clients: oversized and lying POSTs, overlapping GETs, garbage
//! packets and unknown sids. Each is answered per the protocol and touches no other session:
//! a WebSocket session and a polling session keep echoing throughout.

mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use loopio::engineio;
use loopio_adversarial::{http, mib, rss_bytes, ws};
use support::eio::{self, Eio, Polling, WsSession};

const UNKNOWN: &str = r#"{"code":1,"message":"Session ID unknown"}"#;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(1);

struct Bench {
    server: Eio,
    ws: WsSession,
    polling: Polling,
    rss_before: usize,
}

impl Bench {
    fn start() -> Bench {
        let net = loopio::net::Config {
            handshake_timeout: HANDSHAKE_TIMEOUT,
            ..loopio::net::Config::default()
        };
        let server = eio::start(engineio::Config::default(), net);
        let mut ws = WsSession::open(server.addr);
        let mut polling = Polling::open(server.addr);
        assert!(ws.echo("before") && polling.echo("before"));
        Bench {
            server,
            ws,
            polling,
            rss_before: rss_bytes(),
        }
    }

    /// Both bystanders echo and are still live sessions; returns the live session count.
    fn bystanders_fine(&mut self) -> usize {
        for i in 0..5 {
            assert!(self.ws.echo(&format!("ws {i}")), "WebSocket bystander");
            assert!(self.polling.echo(&format!("poll {i}")), "polling bystander");
        }
        eio::counts(&self.server).0
    }

    fn stop(mut self) {
        self.polling.close();
        self.ws.close();
        drop(self.polling);
        self.server.stop();
    }
}

#[test]
fn post_of_10_mb_is_answered_413_without_buffering_it() {
    let mut bench = Bench::start();
    let mut victim = Polling::open(bench.server.addr);
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n",
        victim.query
    );
    victim.stream.write_all(head.as_bytes()).expect("head");
    let _ = victim.stream.write_all(&[b'4'; 64 << 10]);
    let reply = http::read_reply(&mut victim.stream).expect("413 in time");
    assert_eq!(reply.status, 413);
    assert!(ws::ends(&mut victim.stream), "connection closed after 413");

    // The same with chunked framing: the limit applies as the chunks arrive.
    let mut chunked = ws::connect(bench.server.addr);
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        victim.query
    );
    chunked.write_all(head.as_bytes()).expect("head");
    let chunk = [
        format!("{:x}\r\n", 1 << 20).into_bytes(),
        vec![b'4'; 1 << 20],
        b"\r\n".to_vec(),
    ]
    .concat();
    let mut reader = chunked.try_clone().expect("clone");
    let writer = std::thread::spawn(move || {
        for _ in 0..10 {
            if chunked.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let reply = http::read_reply(&mut reader).expect("413 in time");
    writer.join().expect("writer");
    assert_eq!(reply.status, 413);

    let grown = rss_bytes().saturating_sub(bench.rss_before);
    let live = bench.bystanders_fine();
    eprintln!("10 MB POST: 413, RSS +{}, live sessions {live}", mib(grown));
    assert!(grown < 8 << 20, "RSS grew by {}", mib(grown));
    drop((victim, reader));
    bench.stop();
}

#[test]
fn post_with_a_short_content_length_delivers_only_what_it_announced() {
    let mut bench = Bench::start();
    let mut victim = Polling::open(bench.server.addr);
    // Content-Length 3 covers "4he"; the rest is read as the next request: not HTTP, so 400.
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n4hello\r\n\r\n",
        victim.query
    );
    victim.stream.write_all(head.as_bytes()).expect("send");
    let first = http::read_reply(&mut victim.stream).expect("reply to the POST");
    assert_eq!((first.status, first.body.as_str()), (200, "ok"));
    let second = http::read_reply(&mut victim.stream).expect("reply to the rest");
    assert_eq!(second.status, 400, "{second:?}");
    assert!(ws::ends(&mut victim.stream));
    // The session lives on, holding exactly the announced message.
    let mut stream = ws::connect(bench.server.addr);
    let pending = http::request(&mut stream, "GET", &victim.query, b"").expect("GET");
    assert_eq!((pending.status, pending.body.as_str()), (200, "4he"));
    bench.bystanders_fine();
    drop((victim, stream));
    bench.stop();
}

#[test]
fn post_with_a_long_content_length_times_out_and_the_session_survives() {
    let mut bench = Bench::start();
    let mut victim = Polling::open(bench.server.addr);
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n4hello",
        victim.query
    );
    let t0 = Instant::now();
    victim.stream.write_all(head.as_bytes()).expect("send");
    let mut rest = Vec::new();
    let _ = victim.stream.read_to_end(&mut rest);
    let waited = t0.elapsed();
    assert!(rest.is_empty(), "no answer to an incomplete body: {rest:?}");
    assert!(
        waited >= HANDSHAKE_TIMEOUT - Duration::from_millis(100),
        "{waited:?}"
    );
    assert!(
        waited < HANDSHAKE_TIMEOUT + Duration::from_secs(2),
        "{waited:?}"
    );
    let mut again = Polling {
        stream: ws::connect(bench.server.addr),
        query: victim.query.clone(),
        sid: victim.sid.clone(),
    };
    assert!(again.echo("the session was never told"));
    // An idle keep-alive connection is itself closed after `handshake_timeout` (the loop's
    // keep-alive idle limit), so the polling bystander dials again, as real clients do.
    bench.polling.stream = ws::connect(bench.server.addr);
    bench.bystanders_fine();
    again.close();
    drop((victim, again));
    bench.stop();
}

#[test]
fn overlapping_gets_are_refused_400_and_end_the_session() {
    let mut bench = Bench::start();
    let mut victim = Polling::open(bench.server.addr);
    let live_before = eio::counts(&bench.server).0;
    http::send(&mut victim.stream, "GET", &victim.query, b"").expect("held GET");
    let mut second = ws::connect(bench.server.addr);
    let reply = http::request(&mut second, "GET", &victim.query, b"").expect("second GET");
    assert_eq!(reply.status, 400, "{reply:?}");
    // The held GET is released (with the close packet, or by closing the connection).
    let held = http::read_reply(&mut victim.stream);
    let mut third = ws::connect(bench.server.addr);
    let after = http::request(&mut third, "GET", &victim.query, b"").expect("third GET");
    assert_eq!((after.status, after.body.as_str()), (400, UNKNOWN));
    let live = bench.bystanders_fine();
    let (_, _, closes) = eio::counts(&bench.server);
    eprintln!("overlapping GET: held GET got {held:?}; closes {closes:?}");
    assert_eq!(live, live_before - 1);
    drop((victim, second, third));
    bench.stop();
}

#[test]
fn garbage_packets_end_only_their_session() {
    let mut bench = Bench::start();
    let payloads: [&[u8]; 4] = [
        b"\x00\xffgarbage",
        b"9nope",
        b"bnot base64!",
        b"4ok\x1e\x1e",
    ];
    let mut answers = Vec::new();
    for payload in payloads {
        let live_before = eio::counts(&bench.server).0;
        let mut victim = Polling::open(bench.server.addr);
        let reply = http::request(&mut victim.stream, "POST", &victim.query, payload);
        let mut probe = ws::connect(bench.server.addr);
        let after = http::request(&mut probe, "GET", &victim.query, b"").expect("GET");
        answers.push((
            String::from_utf8_lossy(payload).into_owned(),
            reply.ok(),
            after.status,
        ));
        // A payload the engine cannot parse ends that session: its sid is unknown afterwards.
        assert_eq!(
            (after.status, after.body.as_str()),
            (400, UNKNOWN),
            "{answers:?}"
        );
        assert_eq!(bench.bystanders_fine(), live_before, "{answers:?}");
    }
    let (_, _, closes) = eio::counts(&bench.server);
    eprintln!("garbage: {answers:?}; closes {closes:?}");
    bench.stop();
}

#[test]
fn unknown_sids_are_refused_with_code_1() {
    let mut bench = Bench::start();
    let target = format!("{}&sid=AAAAAAAAAAAAAAAAAAAA", eio::POLLING);
    let mut stream = ws::connect(bench.server.addr);
    for method in ["GET", "POST"] {
        let reply = http::request(&mut stream, method, &target, b"4x").expect("answer");
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (400, UNKNOWN),
            "{method}"
        );
    }
    let mut upgrade = ws::connect(bench.server.addr);
    let path = "/engine.io/?EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA";
    upgrade
        .write_all(&ws::upgrade_request(path))
        .expect("upgrade");
    let reply = http::read_reply(&mut upgrade).expect("answer");
    // As engine.io's `abortUpgrade`: a refused upgrade carries the bare message, not JSON.
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (400, "Session ID unknown")
    );
    bench.bystanders_fine();
    drop((stream, upgrade));
    bench.stop();
}
