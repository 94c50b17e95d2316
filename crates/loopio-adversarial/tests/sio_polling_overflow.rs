//! Socket.IO over polling, a client that stops polling while its room is sent more than the
//! Engine.IO session's `max_buffered` (16 MiB): the issue requires that no message accepted
//! for a connected client is dropped silently, except `volatile` ones or by a documented
//! overload policy that reports each drop. So when the client polls again it must either get
//! every message in order, or find its session closed (and the server's user told).
//!
//! Today the Socket.IO glue (`loopio/src/socketio/glue.rs`, `Glue::send`) ignores
//! `SendError::BufferFull` ("its ping timeout will end it"): the messages past the limit are
//! dropped with no report, the session stays open, and the client's next GETs deliver a
//! stream with a hole in it. `polling_client_over_the_engine_buffer_sees_a_gap_today` pins
//! that; the ignored test states the requirement.

mod support;

use loopio::socketio::SocketIo;
use support::sio::{Sio, SioPoll};

const SIZE: usize = 64 << 10;
/// 20 MiB in all, past Engine.IO's 16 MiB `max_buffered`.
const MESSAGES: u64 = 320;

/// Emits the messages while the client does not poll, then polls; after its first GET one
/// more message (`MESSAGES`) is emitted. Polls until that one or the end of the session;
/// returns the sequence numbers received and whether the session ended.
fn run() -> (Vec<u64>, bool) {
    let server = Sio::start(SocketIo::builder(), |io| {
        io.of("/").on_connection(|socket| socket.join("room"));
    });
    let mut client = SioPoll::connect(server.addr);
    let blob = "y".repeat(SIZE);
    for seq in 0..MESSAGES {
        server
            .io
            .to("room")
            .emit("m", &(seq, &blob))
            .expect("queued");
    }
    let mut seqs = Vec::new();
    let mut marked = false;
    let ended = loop {
        let packets = match client.try_get() {
            Ok(packets) => packets,
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => break true,
            Err(err) => panic!("GET: {err}"),
        };
        if !marked {
            // The first GET made room in the session's buffer: this one is accepted again.
            server
                .io
                .to("room")
                .emit("m", &(MESSAGES, "last"))
                .expect("queued");
            marked = true;
        }
        for packet in &packets {
            if packet == "1" || packet.starts_with("status") {
                return (seqs, true);
            }
            let seq = packet
                .strip_prefix(r#"2["m","#)
                .and_then(|rest| rest.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected packet {}", &packet[..packet.len().min(40)]));
            seqs.push(seq);
        }
        if seqs.last() == Some(&MESSAGES) {
            break false;
        }
    };
    drop(client);
    server.stop();
    (seqs, ended)
}

fn gaps(seqs: &[u64]) -> Vec<(u64, u64)> {
    seqs.windows(2)
        .filter(|w| w[1] != w[0] + 1)
        .map(|w| (w[0], w[1]))
        .collect()
}

#[test]
#[ignore = "known bug: the Socket.IO glue drops messages silently on BufferFull (module docs)"]
fn polling_client_gets_everything_or_its_session_closes() {
    let (seqs, ended) = run();
    assert!(gaps(&seqs).is_empty(), "gaps {:?}", gaps(&seqs));
    assert!(
        ended || seqs.len() as u64 == MESSAGES + 1,
        "{} of {}",
        seqs.len(),
        MESSAGES + 1
    );
}

#[test]
fn polling_client_over_the_engine_buffer_sees_a_gap_today() {
    let (seqs, ended) = run();
    let gaps = gaps(&seqs);
    eprintln!(
        "polling overflow: {} of {MESSAGES} x 64 KiB received, gaps {gaps:?}, session \
         ended: {ended}",
        seqs.len()
    );
    assert!(!ended, "the session stays open");
    assert_eq!(seqs.first(), Some(&0));
    assert_eq!(seqs.last(), Some(&MESSAGES));
    assert_eq!(gaps.len(), 1, "one hole where the buffer was full");
}
