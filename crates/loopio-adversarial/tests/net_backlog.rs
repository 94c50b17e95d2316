//! `Config::listen_backlog`: a burst of 600 connects while the loop is busy is held by the
//! kernel (backlog 1 024, the `listen-backlog` feature) and every one is served once the loop is free. With mio's
//! fixed backlog of 128 the connects past it had their SYNs dropped and waited for the 1 s
//! retransmission.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use loopio_adversarial::{Mode, Recorder, Server, WAIT};
use loopio_net::Config;

const BURST: usize = 600;
const THREADS: usize = 6;

#[test]
fn a_burst_of_600_connects_while_the_loop_is_busy_is_accepted_promptly() {
    let config = Config {
        listen_backlog: Some(1024),
        ..Config::default()
    };
    let server = Server::start(config, || Recorder::new(Mode::Echo, None));
    let addr = server.addr;
    // Keep the loop thread busy (it cannot accept) until every connect returned.
    let (release, released) = mpsc::channel::<()>();
    let (busy, is_busy) = mpsc::channel();
    server
        .handle
        .run(move |_: &mut Recorder, _| {
            busy.send(()).expect("test waits");
            let _ = released.recv_timeout(WAIT);
        })
        .expect("loop accepts commands");
    is_busy.recv_timeout(WAIT).expect("loop busy");
    let t0 = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            std::thread::spawn(move || {
                (0..BURST / THREADS)
                    .map(|_| {
                        let t = Instant::now();
                        let stream = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
                        (stream, t.elapsed())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut streams = Vec::new();
    let mut slowest = Duration::ZERO;
    for thread in threads {
        for (stream, took) in thread.join().expect("connect thread") {
            slowest = slowest.max(took);
            streams.push(stream);
        }
    }
    let connected = t0.elapsed();
    release.send(()).expect("loop waits");
    // Every connection is served: one HTTP request each, answered 404.
    let t1 = Instant::now();
    for stream in &mut streams {
        stream.set_read_timeout(Some(WAIT)).expect("timeout");
        stream
            .write_all(b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .expect("request");
    }
    for stream in &mut streams {
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("reply");
        assert!(reply.starts_with("HTTP/1.1 404"), "{reply}");
    }
    let served = t1.elapsed();
    eprintln!(
        "backlog: {BURST} connects while the loop was busy in {connected:?} (slowest \
         {slowest:?}); all answered {served:?} later"
    );
    // A dropped SYN is retransmitted after 1 s: no connect may have waited for that.
    assert!(slowest < Duration::from_millis(900), "{slowest:?}");
    assert!(served < Duration::from_secs(5), "{served:?}");
    drop(streams);
    server.stop();
}
