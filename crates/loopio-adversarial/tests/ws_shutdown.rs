//! Graceful shutdown: the listener closes, every WebSocket gets its queued output and then a
//! close 1001, half-read requests are dropped, and the loop exits: at once when every peer
//! cooperates, at `Config::shutdown_timeout` when one does not.

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use loopio_adversarial::recorder::Event;
use loopio_adversarial::{ws, Mode, Recorder, Server};
use loopio_net::{CloseCode, CloseReason, Config, Data, Initiator};

const CLIENTS: usize = 8;
const QUEUED: usize = 2 << 20;
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// Reads `QUEUED` bytes of binary frames, then expects close 1001, answers it, expects EOF.
fn cooperative(mut stream: TcpStream) -> usize {
    let mut got = 0;
    let code = loop {
        let frame = ws::read_frame(&mut stream).expect("queued output, then the close");
        match frame.opcode {
            0x2 => got += frame.payload.len(),
            0x8 => break frame.close_code(),
            other => panic!("unexpected opcode {other}"),
        }
    };
    assert_eq!(code, 1001, "going away");
    stream
        .write_all(&ws::frame(true, 0x8, &1001u16.to_be_bytes()))
        .expect("answer the close");
    assert!(ws::ends(&mut stream), "server closes TCP");
    got
}

/// Starts a server with `CLIENTS` WebSockets (one of them `silent` if asked) holding 2 MiB of
/// queued output each, and a half-sent request head; then shuts it down.
fn run(silent: bool) -> (Duration, Vec<Event>) {
    let config = Config {
        shutdown_timeout: SHUTDOWN_TIMEOUT,
        ..Config::default()
    };
    let (tx, events) = mpsc::channel();
    let mut server = Server::start(config, move || Recorder::new(Mode::Echo, Some(tx)));
    let clients: Vec<TcpStream> = (0..CLIENTS).map(|_| ws::open(server.addr)).collect();
    let mut half = ws::connect(server.addr);
    half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .expect("half a head");
    let opened = server.query(|s: &mut Recorder, _| s.stats().opens);
    assert_eq!(opened, CLIENTS as u64);
    // Queue the output and start the shutdown in one loop turn: nothing is flushed yet.
    let queued = server.query(|service: &mut Recorder, ctx| {
        // 8 KiB messages stay below the loop's direct-write size (16 KiB), so they queue in
        // the connection's out buffer instead of going straight to the socket.
        let chunk = vec![0x42; 8 << 10];
        for _ in 0..QUEUED / chunk.len() {
            service.broadcast(ctx, Data::Binary(&chunk));
        }
        let queued = service
            .open_conns()
            .iter()
            .map(|&c| ctx.buffered_amount(c))
            .min();
        ctx.shutdown();
        queued
    });
    let t0 = Instant::now();
    assert!(
        queued > Some(QUEUED / 2),
        "output was still queued: {queued:?}"
    );

    let mut clients = clients.into_iter();
    let silent_client = silent.then(|| clients.next().expect("CLIENTS > 0"));
    let readers: Vec<_> = clients
        .map(|stream| std::thread::spawn(move || cooperative(stream)))
        .collect();
    for reader in readers {
        assert_eq!(
            reader.join().expect("reader"),
            QUEUED,
            "all queued output flushed"
        );
    }
    // The listener is gone: new peers are refused.
    let refused = TcpStream::connect(server.addr).map(|_| ());
    assert_eq!(
        refused.map_err(|e| e.kind()),
        Err(ErrorKind::ConnectionRefused)
    );
    assert!(ws::ends(&mut half), "a half-read request is dropped");
    assert!(
        server.ended_within(SHUTDOWN_TIMEOUT + Duration::from_secs(1)),
        "loop exited"
    );
    let took = t0.elapsed();
    drop(silent_client);
    let seen: Vec<Event> = events.try_iter().collect();
    (took, seen)
}

fn closes(events: &[Event]) -> Vec<CloseReason> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Closed(_, reason) => Some(reason.clone()),
            Event::Open(_) => None,
        })
        .collect()
}

const GOING_AWAY: CloseReason = CloseReason::Closed {
    code: CloseCode::GOING_AWAY,
    initiator: Initiator::Local,
};

#[test]
fn shutdown_flushes_queued_output_sends_1001_and_exits_once_all_closed() {
    let (took, events) = run(false);
    eprintln!("shutdown, all cooperative: {took:?}");
    assert!(
        took < SHUTDOWN_TIMEOUT / 2,
        "did not wait for the deadline: {took:?}"
    );
    assert_eq!(closes(&events), vec![GOING_AWAY; CLIENTS]);
}

#[test]
fn shutdown_ends_at_the_deadline_when_a_peer_never_reads() {
    let (took, events) = run(true);
    eprintln!("shutdown, one silent peer: {took:?}");
    // The deadline counts from the loop turn's clock, read a little before `t0`.
    assert!(
        took >= SHUTDOWN_TIMEOUT - Duration::from_millis(300),
        "{took:?}"
    );
    assert!(took < SHUTDOWN_TIMEOUT + Duration::from_secs(1), "{took:?}");
    let mut reasons = closes(&events);
    assert_eq!(reasons.len(), CLIENTS);
    reasons.retain(|r| *r != GOING_AWAY);
    assert_eq!(reasons, vec![CloseReason::Shutdown], "the silent peer");
}
