//! `Config::max_connections`: at the limit accepting pauses (new peers wait in the kernel's
//! backlog, unanswered), open connections keep working, and accepting resumes as slots free.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use loopio_adversarial::recorder::Event;
use loopio_adversarial::{ws, Mode, Recorder, Server, WAIT};
use loopio_net::Config;

const LIMIT: usize = 8;
const WAITING: usize = 20;
/// How long "nothing happens" is watched for: absence cannot be awaited as an event.
const QUIET: Duration = Duration::from_millis(300);

/// Sends the upgrade request without waiting for the answer.
fn knock(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = ws::connect(addr);
    stream
        .write_all(&ws::upgrade_request("/"))
        .expect("the kernel accepts the request bytes");
    stream
}

/// Asserts that `stream` gets no byte for `QUIET`.
fn unanswered(stream: &mut TcpStream) {
    stream.set_read_timeout(Some(QUIET)).expect("timeout");
    let mut byte = [0];
    match stream.read(&mut byte) {
        Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("a peer past the limit was answered: {other:?}"),
    }
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
}

fn answered_101(stream: &mut TcpStream) {
    let head = ws::read_head(stream).expect("101 once a slot frees");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
}

#[test]
fn accept_pauses_at_max_connections_and_resumes_as_slots_free() {
    let config = Config {
        max_connections: LIMIT,
        ..Config::default()
    };
    let (tx, events) = mpsc::channel();
    let server = Server::start(config, move || Recorder::new(Mode::Echo, Some(tx)));
    let mut open: Vec<TcpStream> = (0..LIMIT).map(|_| ws::open(server.addr)).collect();
    for _ in 0..LIMIT {
        assert!(matches!(events.recv_timeout(WAIT), Ok(Event::Open(_))));
    }

    let mut waiting: Vec<TcpStream> = (0..WAITING).map(|_| knock(server.addr)).collect();
    unanswered(&mut waiting[0]);
    assert!(
        events.recv_timeout(QUIET).is_err(),
        "no open past the limit"
    );
    for (i, stream) in open.iter_mut().enumerate() {
        assert!(ws::echo(stream, &format!("served while paused {i}")));
    }

    // One slot frees: exactly one waiting peer is let in (the kernel's order is FIFO).
    let mut first = open.pop().expect("LIMIT > 0");
    ws::close(&mut first, 1000).expect("clean close");
    drop(first);
    answered_101(&mut waiting[0]);
    unanswered(&mut waiting[1]);

    // Free everything: every waiting peer is served, never more than LIMIT at once.
    for mut stream in open.drain(..) {
        ws::close(&mut stream, 1000).expect("clean close");
    }
    for (i, mut stream) in waiting.into_iter().enumerate() {
        if i > 0 {
            answered_101(&mut stream);
        }
        assert!(ws::echo(&mut stream, "late but served"));
        ws::close(&mut stream, 1000).expect("clean close");
    }
    let stats = server.query(|s: &mut Recorder, _| s.stats());
    assert_eq!(stats.opens, (LIMIT + WAITING) as u64, "{stats:?}");
    assert!(
        (stats.max_index as usize) < LIMIT,
        "the slab never grew past the limit: {stats:?}"
    );
    eprintln!("max_connections {LIMIT}: {stats:?}");
    server.stop();
}
