//! Socket.IO: a client in a room that never reads while the server broadcasts to the room is
//! dropped at the loop's hard limit (`max_buffered`), the server's memory stays bounded, and
//! every other client in the room gets every message once, in order.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use loopio::socketio::SocketIo;
use loopio_adversarial::{mib, rss_bytes, wait_until, WAIT};
use support::sio::{Sio, SioWs};

const READERS: usize = 4;
const MESSAGES: u64 = 2_000;
const SIZE: usize = 16 << 10;
const BATCH: u64 = 64;
const MAX_BUFFERED: usize = 4 << 20;

/// Reads `MESSAGES` room events `["m", seq, blob]`, in order; counts into `seen`.
fn reader(mut client: SioWs, seen: Arc<AtomicU64>) -> SioWs {
    for expected in 0..MESSAGES {
        let packet = client.recv().expect("honest reader gets every message");
        let prefix = format!(r#"2["m",{expected},""#);
        assert!(
            packet.starts_with(&prefix),
            "in order, nothing lost: {}",
            &packet[..40]
        );
        assert_eq!(packet.len(), prefix.len() + SIZE + 2);
        seen.fetch_add(1, Ordering::Release);
    }
    client
}

#[test]
fn never_reading_socketio_client_is_dropped_and_the_room_gets_everything() {
    let net = loopio::net::Config {
        max_buffered: MAX_BUFFERED,
        high_water: 256 << 10,
        ..loopio::net::Config::default()
    };
    let builder = SocketIo::builder().net(net);
    let server = Sio::start(builder, |io| {
        io.of("/").on_connection(|socket| socket.join("room"));
    });
    let slow = SioWs::connect(server.addr);
    let mut readers = Vec::new();
    for _ in 0..READERS {
        let client = SioWs::connect(server.addr);
        let seen = Arc::new(AtomicU64::new(0));
        let thread = {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || reader(client, seen))
        };
        readers.push((seen, thread));
    }
    let (sessions, stats) = server.counts();
    assert_eq!((sessions, stats.sockets), (READERS + 1, READERS + 1));
    let rss_before = rss_bytes();
    let mut rss_peak = rss_before;
    let mut dropped_after = None;
    let blob = "x".repeat(SIZE);
    let t0 = Instant::now();
    for first in (0..MESSAGES).step_by(BATCH as usize) {
        let last = (first + BATCH).min(MESSAGES);
        for seq in first..last {
            server
                .io
                .to("room")
                .emit("m", &(seq, &blob))
                .expect("emit queued");
        }
        // Flow control for the honest readers only: the slow one is never waited for.
        let caught_up = wait_until(WAIT, || {
            readers
                .iter()
                .all(|(seen, _)| seen.load(Ordering::Acquire) >= last)
        });
        assert!(caught_up, "readers stalled at message {first}");
        rss_peak = rss_peak.max(rss_bytes());
        if dropped_after.is_none() && server.counts().1.sockets == READERS {
            dropped_after = Some(last);
        }
    }
    let elapsed = t0.elapsed();
    let (sessions, stats) = server.counts();
    for (_, thread) in readers {
        let client = thread.join().expect("reader thread");
        client.leave_and_close();
    }
    let grown = rss_peak.saturating_sub(rss_before);
    eprintln!(
        "sio slow reader: dropped after message {dropped_after:?} of {MESSAGES}; {READERS} \
         readers got all {MESSAGES} x 16 KiB in {elapsed:?}; RSS {} -> peak +{}; then \
         {sessions} sessions, {stats:?}",
        mib(rss_before),
        mib(grown)
    );
    let dropped_after = dropped_after.expect("the slow reader was dropped");
    assert!(
        dropped_after < MESSAGES / 2,
        "dropped while the broadcast went on"
    );
    assert_eq!((sessions, stats.sockets), (READERS, READERS));
    assert!(grown < 24 << 20, "RSS grew by {}", mib(grown));
    drop(slow);
    server.stop();
}
