//! Slowloris: 500 connections trickle one byte per second (450 in the request head, 50 in a
//! POST body). `Config::handshake_timeout` must end every one of them, on time, while a normal
//! WebSocket client keeps its usual echo latency. For the first `SUSTAIN` every ended attacker
//! is replaced at once, so the loop keeps 500 slow connections for several timeout periods.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loopio_adversarial::{mib, rss_bytes, ws, Latency, Mode, Recorder, Server};
use loopio_net::Config;

const ATTACKERS: usize = 500;
const BODY_ATTACKERS: usize = 50;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_millis(1500);
const SUSTAIN: Duration = Duration::from_secs(3);

/// One slow connection: what it still has to send, and when it connected and ended.
struct Slow {
    stream: TcpStream,
    rest: Vec<u8>,
    connected: Instant,
    ended: Option<Instant>,
}

impl Slow {
    fn connect(addr: std::net::SocketAddr, body: bool) -> Slow {
        let mut stream = TcpStream::connect(addr).expect("connect");
        let rest = if body {
            // A complete head announcing a body that then trickles in.
            let head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
            stream.write_all(head.as_bytes()).expect("head");
            vec![b'b'; 1000]
        } else {
            ws::upgrade_request("/")
        };
        stream.set_nonblocking(true).expect("nonblocking");
        Slow {
            stream,
            rest,
            connected: Instant::now(),
            ended: None,
        }
    }

    /// Notices EOF or reset (discarding any response bytes).
    /// The end is stamped when seen: a stamp taken earlier in the sweep could be stale by as
    /// much as a blocked `connect` (a SYN retransmit is 1 s).
    fn poll_end(&mut self) {
        let mut buf = [0; 512];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => break self.ended = Some(Instant::now()),
                Ok(_) => {}
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(_) => break self.ended = Some(Instant::now()),
            }
        }
    }

    /// Sends the next byte: the attack's pacing.
    fn trickle(&mut self) {
        if self.rest.is_empty() {
            return;
        }
        let byte = self.rest.remove(0);
        match self.stream.write(&[byte]) {
            Ok(_) => {}
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            Err(_) => self.ended = Some(Instant::now()),
        }
    }
}

/// Echo round trips every 5 ms until `stop`; returns each round trip's time.
fn normal_client(addr: std::net::SocketAddr, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut stream = ws::open(addr);
    let mut samples = Vec::new();
    let mut i = 0u64;
    while !stop.load(Ordering::Acquire) {
        let t0 = Instant::now();
        assert!(ws::echo(&mut stream, &format!("ping {i}")), "echo {i}");
        samples.push(t0.elapsed());
        i += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    ws::close(&mut stream, 1000).expect("clean close");
    samples
}

#[test]
fn slowloris_connections_end_at_the_handshake_timeout_while_others_are_served() {
    let config = Config {
        handshake_timeout: HANDSHAKE_TIMEOUT,
        ..Config::default()
    };
    let server = Server::start(config, || Recorder::new(Mode::Echo, None));
    let rss_before = rss_bytes();
    let stop = Arc::new(AtomicBool::new(false));
    let client = {
        let (addr, stop) = (server.addr, Arc::clone(&stop));
        std::thread::spawn(move || normal_client(addr, stop))
    };

    let mut slow: Vec<Slow> = (0..ATTACKERS)
        .map(|i| Slow::connect(server.addr, i < BODY_ATTACKERS))
        .collect();
    let started = Instant::now();
    let give_up = started + SUSTAIN + HANDSHAKE_TIMEOUT + Duration::from_secs(5);
    let mut next_byte = started;
    let mut rss_peak = 0;
    let mut ended = Vec::new();
    while slow.iter().any(|s| s.ended.is_none()) && Instant::now() < give_up {
        let now = Instant::now();
        let tick = now >= next_byte;
        // Sweep first, then replace: a blocked connect must not delay noticing ends.
        for s in slow.iter_mut().filter(|s| s.ended.is_none()) {
            s.poll_end();
            if tick && s.ended.is_none() {
                s.trickle();
            }
        }
        if now < started + SUSTAIN {
            for (i, s) in slow.iter_mut().enumerate() {
                if s.ended.is_some() {
                    let replacement = Slow::connect(server.addr, i < BODY_ATTACKERS);
                    ended.push(std::mem::replace(s, replacement));
                }
            }
        }
        if tick {
            next_byte += Duration::from_secs(1);
        }
        rss_peak = rss_peak.max(rss_bytes());
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Release);
    let mut samples = client.join().expect("normal client thread");

    let total = slow.len() + ended.len();
    let lifetimes: Vec<Duration> = slow
        .iter()
        .chain(&ended)
        .map(|s| {
            s.ended
                .expect("every slowloris connection was ended by the server")
                .duration_since(s.connected)
        })
        .collect();
    let shortest = lifetimes.iter().min().copied().unwrap_or_default();
    let longest = lifetimes.iter().max().copied().unwrap_or_default();
    let mut sorted = lifetimes.clone();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    let latency = Latency::of(&mut samples);
    let stats = server.query(|s: &mut Recorder, _| s.stats());
    eprintln!(
        "slowloris {ATTACKERS} at a time, {total} in all: lifetimes {shortest:?}..{longest:?} median {median:?} \
         (timeout {HANDSHAKE_TIMEOUT:?}); normal client {latency:?}; RSS {} -> peak +{}; {stats:?}",
        mib(rss_before),
        mib(rss_peak.saturating_sub(rss_before)),
    );
    // The server's clock starts at accept; the client's at `connect`. With mio's old fixed
    // `listen(128)` a burst of replacements could overflow the accept queue, and the kernel
    // then completed the connection only after a 1 s SYN-ACK retransmission; the default
    // `listen_backlog` is now 1 024 (`net_backlog`). The median is held tight; the worst case
    // still allows one retransmission plus loop lag on a loaded box.
    assert!(
        shortest >= HANDSHAKE_TIMEOUT - Duration::from_millis(50),
        "{shortest:?}"
    );
    assert!(
        median <= HANDSHAKE_TIMEOUT + Duration::from_millis(250),
        "{median:?}"
    );
    assert!(
        longest <= HANDSHAKE_TIMEOUT + Duration::from_secs(3),
        "{longest:?}"
    );
    assert!(total >= 2 * ATTACKERS, "attack sustained: {total}");
    assert!(latency.count >= 200, "{latency:?}");
    assert!(latency.p99_us < 100_000, "{latency:?}");
    assert!(latency.max_us < 500_000, "{latency:?}");
    // Only the normal client ever reached the service.
    assert_eq!((stats.opens, stats.closes), (1, 1), "{stats:?}");
    assert!(rss_peak.saturating_sub(rss_before) < 8 << 20);
    drop((slow, ended));
    let took = server.stop();
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");
}
