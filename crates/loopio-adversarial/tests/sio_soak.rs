//! Soak (ignored by default): 1 000 Socket.IO clients chatting in 50 rooms for
//! `LOOPIO_SOAK_SECS` seconds (default 600), each leaving after a random lifetime (cleanly,
//! or by dropping TCP) and coming back to a random room. Checks that nothing is lost for
//! connected clients and that memory stays flat.
//!
//! ```sh
//! LOOPIO_SOAK_SECS=120 CARGO_TARGET_DIR=target-adv \
//!     cargo test -p loopio-adversarial --test sio_soak -- --ignored --nocapture
//! ```
//!
//! "Nothing lost" is checked exactly. The server numbers each room's broadcasts (on the loop
//! thread, so in the order it sends them). Joining is an event with an ack that carries the
//! room's next number; everything the room is sent after the join reaches the socket after
//! that ack, so the client must then see exactly the following numbers, in order, no gap and
//! no duplicate. A clean leave is acked with the room's next number, which must be the
//! number the client expects next: everything sent while it was in the room arrived once.
//! A client that drops TCP is checked up to the drop.

mod support;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loopio::socketio::SocketIo;
use loopio_adversarial::{mib, rss_bytes, wait_until, ws};
use support::sio::{Sio, SioWs};

const CLIENTS: usize = 1_000;
const ROOMS: usize = 50;
/// Chat messages per second, all rooms together (each fans out to ~20 clients).
const RATE: u64 = 250;
/// Mean client lifetime before it leaves (then reconnects at once).
const MEAN_LIFETIME_MS: u64 = 30_000;

/// A small xorshift generator: no dependency, reproducible per client.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the chat driver may do with a client: write to it while it is in a room.
#[derive(Default)]
struct Slot {
    /// Writer and room while joined; every write to the socket goes through this lock.
    joined: Mutex<Option<(TcpStream, usize)>>,
}

#[derive(Default)]
struct Totals {
    received: AtomicU64,
    sent: AtomicU64,
    sessions: AtomicU64,
    clean_leaves: AtomicU64,
    drops: AtomicU64,
    failures: Mutex<Vec<String>>,
}

fn start() -> Sio {
    Sio::start(SocketIo::builder(), |io| {
        let next: Rc<RefCell<HashMap<String, u64>>> = Rc::default();
        io.of("/").on_connection(move |socket| {
            let counters = Rc::clone(&next);
            socket.on("join", move |ctx, room: String| {
                ctx.socket().join(&room);
                let seq = *counters.borrow().get(&room).unwrap_or(&0);
                ctx.ack(&seq)
            });
            let counters = Rc::clone(&next);
            socket.on("leave", move |ctx, room: String| {
                ctx.socket().leave(&room);
                let seq = *counters.borrow().get(&room).unwrap_or(&0);
                ctx.ack(&seq)
            });
            let counters = Rc::clone(&next);
            socket.on("chat", move |ctx, (room, text): (String, String)| {
                let seq = {
                    let mut counters = counters.borrow_mut();
                    let seq = counters.entry(room.clone()).or_default();
                    *seq += 1;
                    *seq - 1
                };
                ctx.io().to(room.as_str()).emit("chat", &(&room, seq, text))
            });
        });
    })
}

/// Sends a packet through the slot's lock (or directly when not joined).
fn send(stream: &mut TcpStream, packet: &str) -> std::io::Result<()> {
    stream.write_all(&ws::frame(true, 0x1, format!("4{packet}").as_bytes()))
}

/// Reads packets until the ack `3<id>[n]`, checking room messages on the way; returns `n`.
fn until_ack(
    client: &mut SioWs,
    slot: &Slot,
    id: u64,
    room: usize,
    expect: &mut u64,
) -> Result<u64, String> {
    let prefix = format!("3{id}[");
    loop {
        let packet = recv(client, slot)?;
        if let Some(rest) = packet.strip_prefix(&prefix) {
            return rest
                .trim_end_matches(']')
                .parse()
                .map_err(|_| format!("bad ack {packet}"));
        }
        check(&packet, room, expect)?;
    }
}

/// The next packet; pings are answered through the slot's lock.
fn recv(client: &mut SioWs, slot: &Slot) -> Result<String, String> {
    loop {
        let frame = ws::read_frame(&mut client.stream).map_err(|e| format!("read: {e}"))?;
        let text = String::from_utf8(frame.payload).map_err(|_| "not UTF-8".to_owned())?;
        if text == "2" {
            let mut joined = slot.joined.lock().expect("lock");
            let pong = ws::frame(true, 0x1, b"3");
            let result = match joined.as_mut() {
                Some((writer, _)) => writer.write_all(&pong),
                None => client.stream.write_all(&pong),
            };
            result.map_err(|e| format!("pong: {e}"))?;
            continue;
        }
        return text
            .strip_prefix('4')
            .map(str::to_owned)
            .ok_or(format!("unexpected {text}"));
    }
}

/// A room message must be the next number of the client's room.
fn check(packet: &str, room: usize, expect: &mut u64) -> Result<(), String> {
    let prefix = format!(r#"2["chat","r{room}","#);
    let rest = packet
        .strip_prefix(&prefix)
        .ok_or_else(|| format!("unexpected packet {packet}"))?;
    let seq: u64 = rest
        .split(',')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no number in {packet}"))?;
    if seq != *expect {
        return Err(format!("room r{room}: got {seq}, expected {}", *expect));
    }
    *expect += 1;
    Ok(())
}

/// One session: connect, join a room, read until the lifetime ends, leave or drop.
fn session(addr: SocketAddr, slot: &Slot, rng: &mut Rng, totals: &Totals, until: Instant) {
    let mut client = SioWs::connect(addr);
    totals.sessions.fetch_add(1, Ordering::Relaxed);
    let room = rng.below(ROOMS as u64) as usize;
    let mut expect = 0;
    let result = (|| {
        send(&mut client.stream, &format!(r#"20["join","r{room}"]"#)).map_err(|e| e.to_string())?;
        // No room message may come before the join's ack: any would fail the check.
        let mut none_yet = u64::MAX;
        expect = until_ack(&mut client, slot, 0, room, &mut none_yet)?;
        let writer = client.stream.try_clone().map_err(|e| e.to_string())?;
        *slot.joined.lock().expect("lock") = Some((writer, room));
        let lifetime = Duration::from_millis(rng.below(2 * MEAN_LIFETIME_MS));
        let leave_at = (Instant::now() + lifetime).min(until);
        while Instant::now() < leave_at {
            let packet = recv(&mut client, slot)?;
            check(&packet, room, &mut expect)?;
            totals.received.fetch_add(1, Ordering::Relaxed);
        }
        let writer = slot.joined.lock().expect("lock").take();
        if Instant::now() < until && rng.below(3) == 0 {
            totals.drops.fetch_add(1, Ordering::Relaxed);
            return Ok(()); // drop TCP mid-stream
        }
        drop(writer);
        send(&mut client.stream, &format!(r#"21["leave","r{room}"]"#))
            .map_err(|e| e.to_string())?;
        let mut counted = expect;
        let end = until_ack(&mut client, slot, 1, room, &mut counted)?;
        totals
            .received
            .fetch_add(counted - expect, Ordering::Relaxed);
        if end != counted {
            return Err(format!(
                "room r{room}: left at {end}, received up to {counted}"
            ));
        }
        totals.clean_leaves.fetch_add(1, Ordering::Relaxed);
        client.leave_and_close();
        Ok(())
    })();
    *slot.joined.lock().expect("lock") = None;
    if let Err(error) = result {
        totals.failures.lock().expect("lock").push(error);
    }
}

/// Writes chat messages to random joined clients at `RATE` per second until `until`; then,
/// until `stop`, one to every client still joined every 100 ms, so that each sees a message
/// after its lifetime ended and goes on to leave.
fn drive(slots: &[Arc<Slot>], totals: &Totals, until: Instant, stop: &AtomicBool) {
    let mut rng = Rng(0x5eed);
    let t0 = Instant::now();
    let mut sent = 0u64;
    drive_until(&mut rng, slots, totals, until, t0, &mut sent);
    while !stop.load(Ordering::Acquire) {
        for slot in slots {
            let mut joined = slot.joined.lock().expect("lock");
            if let Some((writer, room)) = joined.as_mut() {
                let packet = format!(r#"2["chat","r{room}","last call"]"#);
                if send(writer, &packet).is_ok() {
                    totals.sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100)); // pacing, not synchronization
    }
}

fn drive_until(
    rng: &mut Rng,
    slots: &[Arc<Slot>],
    totals: &Totals,
    until: Instant,
    t0: Instant,
    sent: &mut u64,
) {
    while Instant::now() < until {
        let due = t0.elapsed().as_millis() as u64 * RATE / 1000;
        while *sent < due {
            let slot = &slots[rng.below(CLIENTS as u64) as usize];
            let mut joined = slot.joined.lock().expect("lock");
            if let Some((writer, room)) = joined.as_mut() {
                let packet = format!(r#"2["chat","r{room}","message {sent}"]"#);
                if send(writer, &packet).is_ok() {
                    totals.sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            *sent += 1;
        }
        std::thread::sleep(Duration::from_millis(5)); // pacing, not synchronization
    }
}

#[test]
#[ignore = "soak: minutes long; run explicitly (see module docs)"]
fn a_thousand_clients_chat_in_fifty_rooms_with_churn_and_lose_nothing() {
    let secs: u64 = std::env::var("LOOPIO_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let server = start();
    let addr = server.addr;
    let totals = Arc::new(Totals::default());
    let slots: Vec<Arc<Slot>> = (0..CLIENTS).map(|_| Arc::default()).collect();
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs(secs);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (slot, totals) = (Arc::clone(&slots[i]), Arc::clone(&totals));
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || {
                    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((i as u64 + 1) * 0x2545_f491));
                    while Instant::now() < until {
                        session(addr, &slot, &mut rng, &totals, until);
                    }
                })
                .expect("spawn client")
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let driver = {
        let (slots, totals, stop) = (slots.clone(), Arc::clone(&totals), Arc::clone(&stop));
        std::thread::spawn(move || drive(&slots, &totals, until, &stop))
    };
    // RSS every tenth of the run.
    let mut samples = Vec::new();
    while Instant::now() < until {
        std::thread::sleep(Duration::from_secs(secs.max(10) / 10)); // sampling interval
        let (sessions, stats) = server.counts();
        samples.push((t0.elapsed().as_secs(), rss_bytes(), sessions, stats.sockets));
    }
    for client in clients {
        client.join().expect("client thread");
    }
    stop.store(true, Ordering::Release);
    driver.join().expect("driver");
    let settled = wait_until(Duration::from_secs(30), || {
        let (sessions, stats) = server.counts();
        (sessions, stats.sockets, stats.rooms, stats.pending_acks) == (0, 0, 0, 0)
    });
    let failures = totals.failures.lock().expect("lock").clone();
    for (secs, rss, sessions, sockets) in &samples {
        eprintln!(
            "soak t={secs:>4}s RSS {} sessions {sessions} sockets {sockets}",
            mib(*rss)
        );
    }
    let settled_rss = rss_bytes();
    eprintln!(
        "soak: {secs} s, {CLIENTS} clients, {ROOMS} rooms: {} sessions, {} clean leaves (each \
         checked complete), {} TCP drops; {} chat messages sent, {} deliveries checked in \
         order; {} failures {:?}; RSS after all left {}; settled {settled}",
        totals.sessions.load(Ordering::Relaxed),
        totals.clean_leaves.load(Ordering::Relaxed),
        totals.drops.load(Ordering::Relaxed),
        totals.sent.load(Ordering::Relaxed),
        totals.received.load(Ordering::Relaxed),
        failures.len(),
        failures.iter().take(5).collect::<Vec<_>>(),
        mib(settled_rss)
    );
    assert!(failures.is_empty());
    assert!(settled, "all sessions gone: {:?}", server.counts());
    // Flat: the growth slows down as the allocator's arenas (1 000 client threads share this
    // process) reach their working size; over the second half (up to the sample before the
    // final leaves) it must stay within 2 MiB, and within 8 MiB from the second sample on.
    let (first, half, late) = (
        samples[1].1,
        samples[samples.len() / 2 - 1].1,
        samples[samples.len() - 2].1,
    );
    assert!(
        late.saturating_sub(first) < 8 << 20,
        "RSS grew from {} to {}",
        mib(first),
        mib(late)
    );
    assert!(
        late.saturating_sub(half) < 2 << 20,
        "RSS grew from {} to {} in the second half",
        mib(half),
        mib(late)
    );
    server.stop();
}
