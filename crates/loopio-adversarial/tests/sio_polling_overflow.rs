//! Socket.IO over polling, a client that stops polling while its room is sent more than the
//! Engine.IO session's `max_buffered` (16 MiB): the issue requires that no message accepted
//! for a connected client is dropped silently, except `volatile` ones or by a documented
//! overload policy that reports each drop. So when the client polls again it must either get
//! every message in order, or find its session closed (and the server's user told).
//!
//! The policy (`loopio/src/socketio/glue.rs`, `Glue::send`), the same as for a WebSocket past
//! the loop's `max_buffered` (`OverflowPolicy::Close`): the message that does not fit is not
//! queued, the session is closed and its sockets disconnect at once with "transport error";
//! what was queued before still goes out, followed by the Engine.IO close `1`, so the client
//! sees no hole.

mod support;

use std::sync::{Arc, Mutex};

use loopio::socketio::{DisconnectReason, SocketIo};
use support::sio::{Sio, SioPoll};

const SIZE: usize = 64 << 10;
/// 20 MiB in all, past Engine.IO's 16 MiB `max_buffered`.
const MESSAGES: u64 = 320;

/// Emits the messages while the client does not poll, then polls; after its first GET one
/// more message (`MESSAGES`) is emitted. Polls until that one or the end of the session;
/// returns the sequence numbers received, whether the session ended and the disconnect
/// reasons the server's handlers saw.
fn run() -> (Vec<u64>, bool, Vec<DisconnectReason>) {
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reasons);
    let server = Sio::start(SocketIo::builder(), move |io| {
        io.of("/").on_connection(move |socket| {
            socket.join("room");
            let sink = Arc::clone(&sink);
            socket.on_disconnect(move |_, reason| sink.lock().unwrap().push(reason));
        });
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
    let ended = 'polling: loop {
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
                break 'polling true;
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
    let reasons = reasons.lock().unwrap().clone();
    (seqs, ended, reasons)
}

fn gaps(seqs: &[u64]) -> Vec<(u64, u64)> {
    seqs.windows(2)
        .filter(|w| w[1] != w[0] + 1)
        .map(|w| (w[0], w[1]))
        .collect()
}

#[test]
fn polling_client_gets_everything_or_its_session_closes() {
    let (seqs, ended, reasons) = run();
    eprintln!(
        "polling overflow: {} of {} x 64 KiB received, session ended: {ended}, server saw \
         {reasons:?}",
        seqs.len(),
        MESSAGES + 1
    );
    assert!(gaps(&seqs).is_empty(), "gaps {:?}", gaps(&seqs));
    assert_eq!(seqs.first(), Some(&0));
    assert!(
        ended || seqs.len() as u64 == MESSAGES + 1,
        "{} of {}",
        seqs.len(),
        MESSAGES + 1
    );
    // 20 MiB do not fit in 16: the documented policy closed the session and said so.
    assert!(ended, "closed past max_buffered");
    assert_eq!(reasons, [DisconnectReason::TransportError]);
}
