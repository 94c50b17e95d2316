//! Hostile frames: each must end only its own connection, with the right close code, while a
//! bystander keeps echoing and the server's memory stays put.
//!
//! Policy for many tiny fragments: RFC 6455 §5.4 lets a message be split into any number of
//! frames, and a demanding user expects a 10 000-fragment message within `max_message_size`
//! to be delivered, not refused. What bounds the attacker is memory (the assembled message is
//! capped by `max_message_size`, and an empty fragment costs no memory) and CPU (fragments
//! are decoded at the speed of any other frame; the read budget keeps other connections
//! served meanwhile). So the suite asserts acceptance and flat memory, not a refusal.

use std::io::Write;
use std::net::TcpStream;
use std::sync::mpsc;

use loopio_adversarial::recorder::Event;
use loopio_adversarial::{mib, rss_bytes, ws, Mode, Recorder, Server, WAIT};
use loopio_net::{CloseCode, CloseReason, Config, ConnId};

/// A server, a bystander that has echoed once, and the events stream.
struct Bench {
    /// RSS is measured process-wide: the tests of this file run one at a time.
    _serial: std::sync::MutexGuard<'static, ()>,
    server: Server<Recorder>,
    events: mpsc::Receiver<Event>,
    bystander: TcpStream,
    bystander_id: ConnId,
    rss_before: usize,
}

impl Bench {
    fn start() -> Bench {
        let serial = loopio_adversarial::rss_serial();
        let (tx, events) = mpsc::channel();
        let server = Server::start(Config::default(), move || {
            Recorder::new(Mode::Echo, Some(tx))
        });
        let mut bystander = ws::open(server.addr);
        let bystander_id = expect_open(&events);
        assert!(ws::echo(&mut bystander, "before"));
        Bench {
            _serial: serial,
            server,
            events,
            bystander,
            bystander_id,
            rss_before: rss_bytes(),
        }
    }

    /// Opens the attacker's WebSocket.
    fn attacker(&self) -> (TcpStream, ConnId) {
        let stream = ws::open(self.server.addr);
        (stream, expect_open(&self.events))
    }

    /// The attacker got `code` then EOF; the service saw `Protocol(code)` for it alone; the
    /// bystander still echoes. Returns the RSS growth in bytes.
    fn expect_failed(&mut self, attacker: &mut TcpStream, id: ConnId, code: u16) -> usize {
        assert_eq!(ws::read_close(attacker).expect("close frame"), code);
        assert!(ws::ends(attacker), "server closes TCP after failing");
        let event = self.events.recv_timeout(WAIT).expect("on_close in time");
        assert_eq!(
            event,
            Event::Closed(id, CloseReason::Protocol(CloseCode(code)))
        );
        self.bystander_is_fine();
        rss_bytes().saturating_sub(self.rss_before)
    }

    fn bystander_is_fine(&mut self) {
        for i in 0..10 {
            assert!(ws::echo(&mut self.bystander, &format!("still here {i}")));
        }
        let stats = self.server.query(|s: &mut Recorder, _| s.stats());
        assert!(
            self.server
                .query(|s: &mut Recorder, _| s.open_conns())
                .contains(&self.bystander_id),
            "bystander open: {stats:?}"
        );
    }

    /// Closes the bystander, then stops the loop; with every peer gone that is immediate.
    fn stop(mut self) {
        ws::close(&mut self.bystander, 1000).expect("bystander closes cleanly");
        drop(self.bystander);
        let took = self.server.stop();
        assert!(
            took < std::time::Duration::from_secs(1),
            "shutdown took {took:?}"
        );
    }
}

fn expect_open(events: &mpsc::Receiver<Event>) -> ConnId {
    match events.recv_timeout(WAIT).expect("on_open in time") {
        Event::Open(id) => id,
        other => panic!("expected an open, got {other:?}"),
    }
}

#[test]
fn header_announcing_2_pow_62_bytes_fails_with_1009_without_allocating() {
    let mut bench = Bench::start();
    let (mut attacker, id) = bench.attacker();
    let mut packet = ws::header(true, 0x2, 1 << 62);
    packet.extend(ws::mask_at(&[0xab; 4096], 0));
    // The server may close before it reads everything; only the close frame matters.
    let _ = attacker.write_all(&packet);
    let grown = bench.expect_failed(&mut attacker, id, 1009);
    eprintln!(
        "2^62 header: RSS {} -> +{}",
        mib(bench.rss_before),
        mib(grown)
    );
    assert!(grown < 8 << 20, "RSS grew by {}", mib(grown));
    drop(attacker);
    bench.stop();
}

#[test]
fn single_frame_of_16_mib_plus_1_fails_with_1009_at_the_header() {
    let mut bench = Bench::start();
    let (mut attacker, id) = bench.attacker();
    let mut packet = ws::header(true, 0x2, (16 << 20) + 1);
    packet.extend(ws::mask_at(&[0xab; 64 << 10], 0));
    let _ = attacker.write_all(&packet);
    let grown = bench.expect_failed(&mut attacker, id, 1009);
    eprintln!("16 MiB + 1 frame: RSS +{}", mib(grown));
    assert!(grown < 8 << 20, "RSS grew by {}", mib(grown));
    drop(attacker);
    bench.stop();
}

#[test]
fn fragmented_message_of_16_mib_plus_1_fails_with_1009_and_memory_returns() {
    let mut bench = Bench::start();
    let (mut attacker, id) = bench.attacker();
    let chunk = vec![0x5a; 1 << 20];
    let mut frames = Vec::with_capacity(17);
    frames.push(ws::frame(false, 0x2, &chunk));
    for _ in 1..16 {
        frames.push(ws::frame(false, 0x0, &chunk));
    }
    frames.push(ws::frame(true, 0x0, b"!"));
    drop(chunk);
    let rss_with_client_buffers = rss_bytes();
    let writer = std::thread::spawn(move || {
        for frame in &frames {
            if attacker.write_all(frame).is_err() {
                break;
            }
        }
        attacker
    });
    let mut attacker = writer.join().expect("writer thread");
    let grown = bench.expect_failed(&mut attacker, id, 1009);
    let client_buffers = rss_with_client_buffers.saturating_sub(bench.rss_before);
    eprintln!(
        "16 MiB + 1 in 17 fragments: RSS +{} after close (client buffers {})",
        mib(grown),
        mib(client_buffers)
    );
    // The server legitimately assembled 16 MiB; once the connection failed it must be gone.
    // Allow the client's own 17 MiB of frames plus 8 MiB of allocator slack.
    assert!(
        grown < client_buffers + (8 << 20),
        "RSS grew by {}",
        mib(grown)
    );
    drop(attacker);
    bench.stop();
}

#[test]
fn ten_thousand_one_byte_fragments_are_accepted_as_one_message() {
    let mut bench = Bench::start();
    let (mut attacker, _id) = bench.attacker();
    let mut packet = ws::frame(false, 0x1, b"x");
    for i in 1..9_999 {
        packet.extend(ws::frame(false, 0x0, b"x"));
        if i == 5_000 {
            // Control frames may be injected between fragments (§5.4).
            packet.extend(ws::frame(true, 0x9, b"mid"));
        }
    }
    packet.extend(ws::frame(true, 0x0, b"x"));
    attacker.write_all(&packet).expect("send fragments");
    let pong = ws::read_frame(&mut attacker).expect("pong");
    assert_eq!((pong.opcode, pong.payload.as_slice()), (0xa, &b"mid"[..]));
    let echo = ws::read_frame(&mut attacker).expect("echo of the assembled message");
    assert_eq!(echo.opcode, 0x1);
    assert_eq!(echo.payload, vec![b'x'; 10_000]);
    bench.bystander_is_fine();
    assert!(ws::echo(&mut attacker, "and it still works"));
    ws::close(&mut attacker, 1000).expect("clean close");
    drop(attacker);
    bench.stop();
}

#[test]
fn a_million_empty_fragments_cost_no_memory() {
    let mut bench = Bench::start();
    let (mut attacker, _id) = bench.attacker();
    // 10 000 empty continuations per write, 100 writes: 6 MB on the wire, 0 bytes of message.
    let mut burst = Vec::with_capacity(60_000);
    for _ in 0..10_000 {
        burst.extend(ws::frame(false, 0x0, b""));
    }
    let rss_before = rss_bytes();
    attacker
        .write_all(&ws::frame(false, 0x2, b""))
        .expect("first fragment");
    for _ in 0..100 {
        attacker.write_all(&burst).expect("fragments");
    }
    attacker
        .write_all(&ws::frame(true, 0x0, b"end"))
        .expect("last fragment");
    let echo = ws::read_frame(&mut attacker).expect("echo");
    assert_eq!((echo.opcode, echo.payload.as_slice()), (0x2, &b"end"[..]));
    let grown = rss_bytes().saturating_sub(rss_before);
    eprintln!("1 000 000 empty fragments: RSS +{}", mib(grown));
    assert!(grown < 8 << 20, "RSS grew by {}", mib(grown));
    bench.bystander_is_fine();
    ws::close(&mut attacker, 1000).expect("clean close");
    drop(attacker);
    bench.stop();
}

#[test]
fn ping_with_126_bytes_fails_with_1002() {
    let mut bench = Bench::start();
    let (mut attacker, id) = bench.attacker();
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    let packet = ws::frame(true, 0x9, &[0x11; 126]);
    assert_eq!(packet[1] & 0x7f, 126, "uses the 16-bit length form");
    attacker.write_all(&packet).expect("send ping");
    bench.expect_failed(&mut attacker, id, 1002);
    drop(attacker);
    bench.stop();
}

#[test]
fn garbage_between_valid_frames_fails_with_1002_after_the_valid_ones() {
    let mut bench = Bench::start();
    let (mut attacker, id) = bench.attacker();
    let mut packet = ws::frame(true, 0x1, b"valid");
    // A confused client speaking HTTP mid-stream: 'G' (0x47) sets RSV1 (§5.2: MUST fail).
    packet.extend(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    packet.extend(ws::frame(true, 0x1, b"never delivered"));
    attacker.write_all(&packet).expect("send");
    let echo = ws::read_frame(&mut attacker).expect("echo of the valid frame");
    assert_eq!(echo.payload, b"valid");
    bench.expect_failed(&mut attacker, id, 1002);
    drop(attacker);
    bench.stop();
}

#[test]
fn continuation_without_a_message_and_data_inside_a_message_fail_with_1002() {
    let mut bench = Bench::start();
    for packet in [
        ws::frame(true, 0x0, b"orphan"),
        [ws::frame(false, 0x1, b"open"), ws::frame(true, 0x2, b"new")].concat(),
    ] {
        let (mut attacker, id) = bench.attacker();
        attacker.write_all(&packet).expect("send");
        bench.expect_failed(&mut attacker, id, 1002);
    }
    bench.stop();
}

/// xorshift64*: deterministic garbage without a dependency.
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn garbage_storm_ends_every_attacker_and_leaves_nothing_behind() {
    let mut bench = Bench::start();
    let mut attackers = Vec::new();
    for seed in 0..64u64 {
        // Opens and closes interleave on the events channel; they are counted below.
        let mut stream = ws::open(bench.server.addr);
        // Whatever the bytes mean (a failure, or a partial giant frame), the peer then leaves.
        // Odd seeds announce a valid 1 MiB frame first, so the garbage is payload and the
        // server is left holding a partial frame when the peer vanishes.
        let mut packet = if seed % 2 == 1 {
            ws::header(false, 0x2, 1 << 20)
        } else {
            Vec::new()
        };
        packet.extend(garbage(seed * 7919 + 1, 4096));
        let _ = stream.write_all(&packet);
        attackers.push(stream);
    }
    bench.bystander_is_fine();
    drop(attackers);
    let (mut opened, mut closed) = (0, 0);
    while closed < 64 {
        match bench
            .events
            .recv_timeout(WAIT)
            .expect("every attacker ends")
        {
            Event::Open(_) => opened += 1,
            Event::Closed(id, reason) => {
                assert_ne!(id, bench.bystander_id);
                assert!(
                    matches!(reason, CloseReason::Protocol(_) | CloseReason::Dropped)
                        || matches!(reason, CloseReason::Io(_)),
                    "{reason:?}"
                );
                closed += 1;
            }
        }
    }
    assert_eq!(opened, 64);
    let stats = bench.server.query(|s: &mut Recorder, _| s.stats());
    assert_eq!(stats.open_now, 1, "{stats:?}");
    eprintln!("garbage storm: {:?}", stats.closes_by_reason);
    bench.bystander_is_fine();
    bench.stop();
}
