//! Graceful shutdown through the public handle (`IoHandle::shutdown`), per the issue: "stops
//! accepting, sends Socket.IO disconnects and WebSocket close frames, flushes what is queued
//! within a deadline, then exits; no message that was accepted for a connected client is
//! silently dropped".
//!
//! A client over WebSocket and one over polling (between two GETs, as a polling client is
//! most of the time) each have messages queued when the shutdown starts. Each must receive
//! them, then a Socket.IO DISCONNECT (`41`) or the Engine.IO close (`1`), and the WebSocket
//! a close frame.
//!
//! How (`what_shutdown_delivers` pins the bytes): `loopio_net::Service::on_shutdown` runs
//! once the listener is closed and before the loop closes anything; `SocketIoService` calls
//! `loopio_socket::Server::close` (a DISCONNECT to every socket after what was queued for it,
//! "server shutting down" to the handlers), then Engine.IO closes every session after its
//! queue. The loop keeps held GETs and idle keep-alive connections open and runs while
//! `Service::is_shutdown_pending` (Engine.IO sessions still waiting for their polling client's
//! next GET), up to `shutdown_timeout`.

mod support;

use std::time::Duration;

use loopio::socketio::SocketIo;
use loopio_adversarial::WAIT;
use support::sio::{Sio, SioPoll, SioWs};

const QUEUED: usize = 5;

struct Seen {
    websocket: Vec<String>,
    polling: Result<Vec<String>, String>,
    ended: bool,
    /// From the shutdown to the loop's exit.
    took: Duration,
}

fn run_shutdown() -> Seen {
    let mut server = Sio::start(SocketIo::builder(), |_| {});
    let mut websocket = SioWs::connect(server.addr);
    let mut polling = SioPoll::connect(server.addr);
    for i in 0..QUEUED {
        server.io.emit("m", &i).expect("emit queued");
    }
    server.shutdown();
    let t0 = std::time::Instant::now();
    // The WebSocket client reads everything up to the close frame (or EOF).
    let mut ws_seen = Vec::new();
    loop {
        match websocket.recv() {
            Ok(packet) => {
                let last = packet.starts_with("close");
                ws_seen.push(packet);
                if last {
                    let _ = std::io::Write::write_all(
                        &mut websocket.stream,
                        &loopio_adversarial::ws::frame(true, 0x8, b""),
                    );
                    break;
                }
            }
            Err(err) => {
                ws_seen.push(format!("error {}", err.kind()));
                break;
            }
        }
    }
    // Our EOF ends the server's linger, so the loop need not wait for its deadline.
    drop(websocket);
    // The polling client polls as it would: one GET after another until the session ends.
    let mut poll_seen = Ok(Vec::new());
    while let Ok(seen) = &mut poll_seen {
        match polling.try_get() {
            Ok(packets) => {
                let last = packets.iter().any(|p| p == "1" || p.starts_with("status"));
                seen.extend(packets);
                if last {
                    break;
                }
            }
            Err(err) => poll_seen = Err(err.kind().to_string()),
        }
    }
    let ended = server.ended_within(WAIT + Duration::from_secs(1));
    let took = t0.elapsed();
    Seen {
        websocket: ws_seen,
        polling: poll_seen,
        ended,
        took,
    }
}

fn messages() -> Vec<String> {
    (0..QUEUED).map(|i| format!(r#"2["m",{i}]"#)).collect()
}

#[test]
fn shutdown_flushes_queued_messages_then_disconnects_over_both_transports() {
    let seen = run_shutdown();
    assert!(seen.ended, "loop exited");
    let ws = &seen.websocket;
    assert_eq!(
        ws[..QUEUED],
        messages()[..],
        "WebSocket: queued messages first"
    );
    assert!(
        ws[QUEUED..].iter().any(|p| p == "1" || p == "41"),
        "WebSocket: a Socket.IO DISCONNECT or the Engine.IO close: {ws:?}"
    );
    assert!(ws.last().is_some_and(|p| p.starts_with("close")), "{ws:?}");
    let polling = seen.polling.as_ref().expect("polling: GETs answered");
    assert_eq!(
        polling[..QUEUED],
        messages()[..],
        "polling: queued messages first"
    );
    assert!(
        polling[QUEUED..].iter().any(|p| p == "1" || p == "41"),
        "polling: a Socket.IO DISCONNECT or the Engine.IO close: {polling:?}"
    );
}

/// Pins the exact sequence on the wire, and that the loop exits at once when the peers
/// cooperate. Socket.IO packets are shown without their Engine.IO `4`, so a lone `1` is the
/// DISCONNECT of `/` and, over polling, the second `1` is the Engine.IO close.
#[test]
fn what_shutdown_delivers() {
    let seen = run_shutdown();
    eprintln!(
        "shutdown: WebSocket saw {:?}; polling saw {:?}; loop ended: {} after {:?}",
        seen.websocket, seen.polling, seen.ended, seen.took
    );
    assert!(seen.ended);
    assert!(
        seen.took < Duration::from_secs(1),
        "exited at once: {:?}",
        seen.took
    );
    let mut expected = messages();
    expected.push("1".to_owned());
    // Engine.IO closes its WebSocket without a status, as engine.io does.
    expected.push("close 1005".to_owned());
    assert_eq!(seen.websocket, expected);
    let mut expected = messages();
    expected.extend(["1".to_owned(), "1".to_owned()]);
    assert_eq!(seen.polling, Ok(expected));
}
