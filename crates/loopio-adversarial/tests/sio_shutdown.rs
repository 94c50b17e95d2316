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
//! Today (see `what_shutdown_delivers_today`): the WebSocket client gets its messages and a
//! close 1001 but neither `41` nor `1`; the polling client gets nothing: its keep-alive
//! connection is closed with the loop's shutdown, the messages queued in its Engine.IO
//! session are dropped, and its next GET is refused. Missing pieces, in order:
//! 1. `loopio_net::Service` has no shutdown callback, so `SocketIoService` never learns of
//!    the shutdown and never calls `loopio_socket::Server::close` (which disconnects every
//!    socket with "server shutting down" and asks for every session's close).
//! 2. `EventLoop::begin_shutdown` ends every connection that is not an open WebSocket,
//!    including idle keep-alive polling connections and held GETs, so an Engine.IO session
//!    on polling has no way to hand over its queue and its `1` (engine.io waits for the next
//!    GET, up to its close timeout).
//! 3. The loop exits once no connection is live, without waiting for Engine.IO sessions
//!    whose client is between two GETs.

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
#[ignore = "known gap: Socket.IO shutdown sends no 41/1 and drops polling queues (module docs)"]
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

/// Pins today's behaviour, so a change is noticed (and this test replaced by the one above).
#[test]
fn what_shutdown_delivers_today() {
    let seen = run_shutdown();
    eprintln!(
        "shutdown today: WebSocket saw {:?}; polling saw {:?}; loop ended: {} after {:?}",
        seen.websocket, seen.polling, seen.ended, seen.took
    );
    assert!(seen.ended);
    assert!(
        seen.took < Duration::from_secs(1),
        "exited at once: {:?}",
        seen.took
    );
    let mut expected = messages();
    expected.push("close 1001".to_owned());
    assert_eq!(seen.websocket, expected);
    assert!(seen.polling.is_err(), "{:?}", seen.polling);
}
