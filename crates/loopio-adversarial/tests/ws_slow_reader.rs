//! A client that never reads while the server broadcasts to everyone: it is dropped at
//! `Config::max_buffered`, the server's memory stays bounded, and every other client gets
//! every message, in order.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use loopio_adversarial::recorder::Event;
use loopio_adversarial::{mib, rss_bytes, wait_until, ws, Mode, Recorder, Server, WAIT};
use loopio_net::{CloseReason, Config, ConnId, Data};

const READERS: usize = 4;
const MESSAGES: u64 = 2_000;
const SIZE: usize = 16 << 10;
const BATCH: u64 = 64;
const MAX_BUFFERED: usize = 4 << 20;

/// Reads `MESSAGES` binary frames, checking their sequence numbers; counts into `seen`.
fn reader(mut stream: TcpStream, seen: Arc<AtomicU64>) -> TcpStream {
    for expected in 0..MESSAGES {
        let frame = ws::read_frame(&mut stream).expect("honest reader gets every message");
        assert_eq!(frame.opcode, 0x2);
        assert_eq!(frame.payload.len(), SIZE);
        let seq = u64::from_be_bytes(frame.payload[..8].try_into().expect("8 bytes"));
        assert_eq!(seq, expected, "in order, nothing lost");
        seen.fetch_add(1, Ordering::Release);
    }
    stream
}

fn expect_open(events: &mpsc::Receiver<Event>) -> ConnId {
    match events.recv_timeout(WAIT).expect("on_open in time") {
        Event::Open(id) => id,
        other => panic!("expected an open, got {other:?}"),
    }
}

#[test]
fn never_reading_client_is_dropped_at_max_buffered_and_the_others_get_everything() {
    let config = Config {
        max_buffered: MAX_BUFFERED,
        high_water: 256 << 10,
        ..Config::default()
    };
    let (tx, events) = mpsc::channel();
    let server = Server::start(config, move || Recorder::new(Mode::Broadcast, Some(tx)));
    let slow = ws::open(server.addr);
    let slow_id = expect_open(&events);
    let mut readers = Vec::new();
    for _ in 0..READERS {
        let stream = ws::open(server.addr);
        expect_open(&events);
        let seen = Arc::new(AtomicU64::new(0));
        let thread = {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || reader(stream, seen))
        };
        readers.push((seen, thread));
    }
    let rss_before = rss_bytes();
    let mut rss_peak = rss_before;
    let mut dropped_after = None;
    let t0 = Instant::now();
    for batch in 0..MESSAGES / BATCH + 1 {
        let first = batch * BATCH;
        let last = (first + BATCH).min(MESSAGES);
        if first >= last {
            break;
        }
        server
            .handle
            .run(move |service: &mut Recorder, ctx| {
                let mut message = vec![0xc3; SIZE];
                for seq in first..last {
                    message[..8].copy_from_slice(&seq.to_be_bytes());
                    service.broadcast(ctx, Data::Binary(&message));
                }
            })
            .expect("loop accepts commands");
        // Flow control for the honest readers only: the slow one is never waited for.
        let caught_up = wait_until(WAIT, || {
            readers
                .iter()
                .all(|(seen, _)| seen.load(Ordering::Acquire) >= last)
        });
        assert!(caught_up, "readers stalled at batch {batch}");
        rss_peak = rss_peak.max(rss_bytes());
        if dropped_after.is_none() {
            if let Ok(Event::Closed(id, reason)) = events.try_recv() {
                assert_eq!((id, reason), (slow_id, CloseReason::Overflow));
                dropped_after = Some(last);
            }
        }
    }
    let elapsed = t0.elapsed();
    for (_, thread) in readers {
        let mut stream = thread.join().expect("reader thread");
        ws::close(&mut stream, 1000).expect("honest reader closes cleanly");
    }
    let stats = server.query(|s: &mut Recorder, _| s.stats());
    let dropped_after = dropped_after.expect("the slow reader was dropped for overflow");
    // What the slow client can still read is what the kernel buffered: no close frame.
    let mut slow = slow;
    slow.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let mut kernel_held = 0;
    let tail = loop {
        match ws::read_frame(&mut slow) {
            Ok(frame) if frame.opcode == 0x2 => kernel_held += 1,
            Ok(frame) => break format!("unexpected {frame:?}"),
            Err(err) => break err.kind().to_string(),
        }
    };
    let _ = slow.flush();
    let grown = rss_peak.saturating_sub(rss_before);
    eprintln!(
        "slow reader: dropped after message {dropped_after} of {MESSAGES} (kernel held \
         {kernel_held} x 16 KiB, then {tail}); {READERS} readers got all {MESSAGES} in \
         {elapsed:?}; max buffered {} (limit {}); RSS {} -> peak +{}; {stats:?}",
        mib(stats.max_buffered_seen),
        mib(MAX_BUFFERED),
        mib(rss_before),
        mib(grown)
    );
    assert!(
        dropped_after < MESSAGES,
        "dropped while the broadcast went on"
    );
    assert!(stats.max_buffered_seen <= MAX_BUFFERED, "{stats:?}");
    assert!(kernel_held < MESSAGES);
    // The dropped reader's buffer (≤ 4 MiB, 8 MiB of capacity at most) plus allocator slack.
    assert!(grown < 16 << 20, "RSS grew by {}", mib(grown));
    assert_eq!(
        stats.closes_by_reason.get("Overflow"),
        Some(&1),
        "{stats:?}"
    );
    drop(slow);
    server.stop();
}
