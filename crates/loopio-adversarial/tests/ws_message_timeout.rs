//! A slowloris after the upgrade: a frame (or fragmented message) that never completes is
//! failed with 1008 at `Config::message_timeout`, even while the peer keeps trickling bytes.
//! A peer idle between messages is not timed, and a peer whose reads keep ending mid-frame
//! but that completes messages all along is not cut off.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use loopio_adversarial::recorder::Event;
use loopio_adversarial::{ws, Mode, Recorder, Server, WAIT};
use loopio_net::{CloseReason, Config, ConnId};

const TIMEOUT: Duration = Duration::from_millis(400);

fn start() -> (Server<Recorder>, mpsc::Receiver<Event>) {
    let config = Config {
        message_timeout: Some(TIMEOUT),
        ..Config::default()
    };
    let (tx, events) = mpsc::channel();
    let server = Server::start(config, move || Recorder::new(Mode::Echo, Some(tx)));
    (server, events)
}

fn open(server: &Server<Recorder>, events: &mpsc::Receiver<Event>) -> (TcpStream, ConnId) {
    let stream = ws::open(server.addr);
    match events.recv_timeout(WAIT).expect("on_open in time") {
        Event::Open(id) => (stream, id),
        other => panic!("expected an open, got {other:?}"),
    }
}

/// The peer gets 1008 and EOF; the service sees `Timeout` for it. Returns the time from `t0`.
fn expect_policy_close(
    events: &mpsc::Receiver<Event>,
    stream: &mut TcpStream,
    id: ConnId,
    t0: Instant,
) -> Duration {
    assert_eq!(ws::read_close(stream).expect("close frame"), 1008);
    let took = t0.elapsed();
    assert!(ws::ends(stream), "TCP closed after the failure");
    let event = events.recv_timeout(WAIT).expect("on_close in time");
    assert_eq!(event, Event::Closed(id, CloseReason::Timeout));
    took
}

#[test]
fn stalled_frame_trickled_frame_and_stalled_fragmented_message_are_failed_with_1008() {
    let (server, events) = start();
    let (mut bystander, bystander_id) = open(&server, &events);

    // 1. Two bytes of a header, then silence.
    let (mut stalled, id) = open(&server, &events);
    let t0 = Instant::now();
    stalled
        .write_all(&ws::header(true, 0x1, 1000)[..2])
        .expect("half a header");
    let took = expect_policy_close(&events, &mut stalled, id, t0);
    drop(stalled); // our EOF ends the server's linger
    eprintln!("stalled header: 1008 after {took:?} (timeout {TIMEOUT:?})");
    assert!(took >= TIMEOUT - Duration::from_millis(50), "{took:?}");
    assert!(took < TIMEOUT + Duration::from_secs(1), "{took:?}");

    // 2. A 1 000-byte frame trickled at 1 byte per 40 ms: activity does not save it.
    let (mut trickler, id) = open(&server, &events);
    let t0 = Instant::now();
    let mut bytes = ws::frame(true, 0x1, &[b'x'; 1000]);
    bytes.truncate(200);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let mut stream = trickler.try_clone().expect("clone");
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            for byte in bytes {
                if stop.load(Ordering::Acquire) || stream.write_all(&[byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(40)); // pacing, not synchronization
            }
        })
    };
    let took = expect_policy_close(&events, &mut trickler, id, t0);
    stop.store(true, Ordering::Release);
    eprintln!("trickled frame: 1008 after {took:?}");
    assert!(took < TIMEOUT + Duration::from_secs(1), "{took:?}");
    writer.join().expect("writer");
    drop(trickler);

    // 3. The first fragment of a message, complete, then silence.
    let (mut fragmented, id) = open(&server, &events);
    let t0 = Instant::now();
    fragmented
        .write_all(&ws::frame(false, 0x1, b"first half"))
        .expect("fragment");
    let took = expect_policy_close(&events, &mut fragmented, id, t0);
    drop(fragmented);
    eprintln!("stalled fragmented message: 1008 after {took:?}");

    // The bystander sat idle between messages for three timeouts: still open, still echoes.
    assert!(ws::echo(&mut bystander, "idle is fine"));
    let open_now = server.query(|s: &mut Recorder, _| s.open_conns());
    assert_eq!(open_now, vec![bystander_id]);
    ws::close(&mut bystander, 1000).expect("clean close");
    drop(bystander);
    let took = server.stop();
    assert!(
        took < Duration::from_secs(1),
        "nothing left lingering: {took:?}"
    );
}

#[test]
fn reads_ending_mid_frame_do_not_time_out_while_messages_complete() {
    let (server, events) = start();
    let (mut stream, _) = open(&server, &events);
    // Each write completes the previous message and starts the next, so every read the
    // server does ends inside a frame, for 3 timeouts in all.
    let count = 30;
    let frames: Vec<Vec<u8>> = (0..=count)
        .map(|i| ws::frame(true, 0x1, format!("message {i}").as_bytes()))
        .collect();
    let t0 = Instant::now();
    stream.write_all(&frames[0][..3]).expect("first part");
    for i in 0..count {
        let mut chunk = frames[i][3..].to_vec();
        chunk.extend_from_slice(&frames[i + 1][..3]);
        stream.write_all(&chunk).expect("write");
        let echo = ws::read_frame(&mut stream).expect("echo, not a close");
        assert_eq!(echo.payload, format!("message {i}").as_bytes());
        std::thread::sleep(TIMEOUT / 10); // pacing, not synchronization
    }
    stream.write_all(&frames[count][3..]).expect("last part");
    let echo = ws::read_frame(&mut stream).expect("last echo");
    assert_eq!(echo.payload, format!("message {count}").as_bytes());
    assert!(t0.elapsed() > 2 * TIMEOUT, "the test outlasted the timeout");
    ws::close(&mut stream, 1000).expect("clean close");
    drop(stream);
    server.stop();
}
