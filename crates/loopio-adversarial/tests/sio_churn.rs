//! Socket.IO churn: 20 000 connect/handshake/disconnect cycles over WebSocket and polling,
//! with namespace joins, room joins and a server→client ack that is never answered. Afterwards
//! sessions, sockets, rooms, pending acks, ack groups and timers are back to their starting
//! sizes and RSS is within a small margin.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use loopio::socketio::SocketIo;
use loopio_adversarial::{mib, rss_bytes, wait_until};
use serde_json::Value;
use support::sio::{Sio, SioPoll, SioWs};

const THREADS: usize = 4;
const CYCLES: usize = 20_000;
const WARMUP: usize = 1_000;
const ROOMS: usize = 50;

fn start() -> Sio {
    // Abandoned polling sessions end at the ping timeout: keep it short.
    let builder = SocketIo::builder()
        .ping_interval(Duration::from_millis(1_000))
        .ping_timeout(Duration::from_millis(1_000));
    Sio::start(builder, |io| {
        for nsp in ["/", "/chat"] {
            io.of(nsp).on_connection(|socket| {
                socket.on("join", |ctx, room: String| ctx.socket().join(&room));
                socket.on("echo", |ctx, text: String| ctx.socket().emit("echo", &text));
                // Never answered by these clients: must not outlive the socket.
                let _ = socket.emit_with_ack("need-ack", &(), |_, _: Result<Value, _>| {});
            });
        }
    })
}

/// One cycle, chosen by `i`.
fn cycle(addr: SocketAddr, i: usize) {
    let join = format!(r#"2["join","r{}"]"#, i % ROOMS);
    match i % 5 {
        // WebSocket: `/` and `/chat`, a room, an echo, then DISCONNECT and close.
        0 => {
            let mut client = SioWs::connect(addr);
            client.join("/chat");
            client.send(&join).expect("join");
            assert!(client.echo("hi"));
            client.leave_and_close();
        }
        // WebSocket: a room, then the TCP connection dropped.
        1 => {
            let mut client = SioWs::connect(addr);
            client.send(&join).expect("join");
            assert!(client.echo("hi"));
        }
        // Polling: a room, the ack request read, then DISCONNECT and the close packet.
        2 => {
            let mut client = SioPoll::connect(addr);
            client.post(&[&join, r#"2["echo","hi"]"#]);
            let mut got = Vec::new();
            while !got.iter().any(|p: &String| p == r#"2["echo","hi"]"#) {
                got.extend(client.get());
            }
            client.post_raw("41\u{1e}1");
        }
        // Polling: joined `/`, then abandoned (the ping timeout ends it).
        3 => drop(SioPoll::connect(addr)),
        // WebSocket: Engine.IO only, no namespace, dropped.
        _ => drop(SioWs::open(addr)),
    }
}

fn churn(addr: SocketAddr, range: std::ops::Range<usize>) {
    loopio_adversarial::server::spread(THREADS, range, cycle, addr);
}

#[test]
fn twenty_thousand_socketio_cycles_leave_every_table_as_it_was() {
    let server = start();
    let empty = server.counts();
    churn(server.addr, 0..WARMUP);
    let settled = wait_until(Duration::from_secs(10), || server.counts() == empty);
    assert!(
        settled,
        "warm-up settled: {:?} vs {empty:?}",
        server.counts()
    );
    // Two halves: the first grows the tables to their peak (abandoned polling sessions pile
    // up for a ping timeout), the second must not grow anything further.
    let rss_before = rss_bytes();
    let t0 = Instant::now();
    let mut rss = Vec::new();
    let mut peak_sessions = 0;
    for half in [0..CYCLES / 2, CYCLES / 2..CYCLES] {
        churn(server.addr, half);
        peak_sessions = peak_sessions.max(server.counts().0);
        let settled = wait_until(Duration::from_secs(10), || server.counts() == empty);
        assert!(settled, "back to {empty:?}: {:?}", server.counts());
        rss.push(rss_bytes());
    }
    let elapsed = t0.elapsed();
    let grown = rss[1].saturating_sub(rss_before);
    let second_half = rss[1].saturating_sub(rss[0]);
    eprintln!(
        "sio churn: {CYCLES} cycles in {elapsed:?} ({:.0}/s, with two settling waits); RSS {} \
         -> +{} (second half +{}); sessions after a half, before the ping timeouts: \
         {peak_sessions}; tables at start and after: {empty:?}",
        CYCLES as f64 / elapsed.as_secs_f64(),
        mib(rss_before),
        mib(grown),
        mib(second_half)
    );
    assert_eq!(server.counts(), empty);
    // Hash tables keep the capacity of their peak; a leak would grow in the second half.
    assert!(grown < 4 << 20, "RSS grew by {}", mib(grown));
    assert!(
        second_half < 1 << 20,
        "RSS grew by {} in the second half",
        mib(second_half)
    );
    server.stop();
}
