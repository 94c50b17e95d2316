//! Engine.IO churn: 20 000 sessions opened and closed over WebSocket and polling, 5 000
//! upgrades abandoned after the probe (never `5`), and 100 probes held open until the
//! upgrade timeout. Afterwards no session is left, every open has its close, and RSS is back
//! within a small margin.

mod support;

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use loopio::engineio;
use loopio_adversarial::{mib, rss_bytes, wait_until, ws};
use support::eio::{self, Eio, Polling, WsSession};

const THREADS: usize = 4;
const CYCLES: usize = 20_000;
const HALF_UPGRADES: usize = 5_000;
const HELD_PROBES: usize = 100;
const UPGRADE_TIMEOUT: Duration = Duration::from_millis(500);

/// Starts the upgrade of `session` and gets the probe answered; returns the probe socket.
fn probe(addr: SocketAddr, session: &Polling) -> std::net::TcpStream {
    let mut stream = ws::connect(addr);
    let path = format!("/engine.io/?EIO=4&transport=websocket&sid={}", session.sid);
    stream
        .write_all(&ws::upgrade_request(&path))
        .expect("upgrade");
    let head = ws::read_head(&mut stream).expect("101");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
        .write_all(&ws::frame(true, 0x1, b"2probe"))
        .expect("probe");
    let answer = ws::read_frame(&mut stream).expect("probe answer");
    assert_eq!(answer.payload, b"3probe");
    stream
}

/// One cycle, chosen by `i`: WebSocket session, polling session, or abandoned upgrade.
fn cycle(addr: SocketAddr, i: usize) {
    if i < HALF_UPGRADES {
        let mut session = Polling::open(addr);
        drop(probe(addr, &session));
        // The session carries on over polling; the client then leaves properly.
        session.close();
    } else if i % 2 == 0 {
        let mut session = WsSession::open(addr);
        assert!(session.echo("hi"));
        session.close();
    } else {
        let mut session = Polling::open(addr);
        session.close();
    }
}

fn churn(addr: SocketAddr, range: std::ops::Range<usize>) {
    loopio_adversarial::server::spread(THREADS, range, cycle, addr);
}

fn settled(server: &Eio, opens: u64) {
    let done = wait_until(Duration::from_secs(10), || {
        let (live, opened, closes) = eio::counts(server);
        live == 0 && opened == opens && closes.values().sum::<u64>() == opens
    });
    assert!(done, "every session closed: {:?}", eio::counts(server));
}

#[test]
fn twenty_thousand_sessions_and_abandoned_upgrades_leave_nothing_behind() {
    let config = engineio::Config {
        upgrade_timeout: UPGRADE_TIMEOUT,
        ..engineio::Config::default()
    };
    let server = eio::start(config, loopio::net::Config::default());
    // Warm-up: the first thousand of each kind of cycle, so allocator pools exist.
    churn(server.addr, HALF_UPGRADES - 400..HALF_UPGRADES + 400);
    settled(&server, 800);
    let rss_before = rss_bytes();
    let t0 = Instant::now();
    churn(server.addr, 0..CYCLES);
    let elapsed = t0.elapsed();

    // Probes held open: the server gives up on each at the upgrade timeout.
    let sessions: Vec<Polling> = (0..HELD_PROBES)
        .map(|_| Polling::open(server.addr))
        .collect();
    let t1 = Instant::now();
    let mut probes: Vec<_> = sessions.iter().map(|s| probe(server.addr, s)).collect();
    let mut codes = std::collections::BTreeSet::new();
    for stream in &mut probes {
        codes.insert(ws::read_close(stream).expect("the upgrade timeout closes the probe"));
    }
    let held_for = t1.elapsed();
    for stream in &mut probes {
        let _ = stream.write_all(&ws::frame(true, 0x8, b""));
        assert!(ws::ends(stream), "probe's TCP closed");
    }
    for mut session in sessions {
        assert!(session.echo("still polling"));
        session.close();
    }
    drop(probes);
    settled(&server, (800 + CYCLES + HELD_PROBES) as u64);
    let grown = rss_bytes().saturating_sub(rss_before);
    let (_, opens, closes) = eio::counts(&server);
    eprintln!(
        "eio churn: {CYCLES} sessions ({HALF_UPGRADES} abandoned upgrades) in {elapsed:?}; \
         {HELD_PROBES} held probes closed (codes {codes:?}) within {held_for:?}; RSS {} -> +{}; opens {opens}, \
         closes {closes:?}",
        mib(rss_before),
        mib(grown)
    );
    assert!(
        held_for < UPGRADE_TIMEOUT + Duration::from_secs(2),
        "{held_for:?}"
    );
    assert!(grown < 2 << 20, "RSS grew by {}", mib(grown));
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    let took = server.stop();
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");
}
