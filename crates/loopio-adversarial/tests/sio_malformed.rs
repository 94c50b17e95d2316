//! Malformed Socket.IO packets. Each either closes only its own client or is ignored, as the
//! official `socket.io` 4.x server does, while a WebSocket and a polling bystander keep
//! echoing.
//!
//! | packet | socket.io 4.x | here |
//! |---|---|---|
//! | bad JSON `2["echo",` | parser error → Engine.IO session closed | closed |
//! | unknown type `7[]` | parser error → closed | closed |
//! | `59999-[...]` (attachment flood) | waits for 59 999 buffers (no limit) | closed at once (`max_attachments` 10) |
//! | binary with no packet waiting | parser error → closed | closed |
//! | event for a namespace not joined `2/admin,[...]` | `invalid state` → client closed | client closed ("forced server close") |
//! | CONNECT to an unknown namespace `0/nope,` | `CONNECT_ERROR`, stays open | `CONNECT_ERROR`, stays open |
//! | ack for an unknown id `3999[...]` | `bad ack`, ignored | ignored |
//!
//! As socket.io's `Client::ondecoded`, `loopio_socket::Server::receive_packet` closes the whole
//! client for any packet that is not a CONNECT to a namespace it has not joined nor a packet
//! (other than CONNECT_ERROR) to one it has; its sockets disconnect with "forced server close".

mod support;

use std::io::Write;

use loopio::socketio::SocketIo;
use loopio_adversarial::{wait_until, ws, WAIT};
use support::sio::{Sio, SioPoll, SioWs};

/// What became of a client after its bad packet.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The server ended the session (close frame and/or EOF); the packets seen on the way.
    Closed(Vec<String>),
    /// The session still echoes; the packets seen before the echo.
    Alive(Vec<String>),
}

/// Sends `bad` (text packets, or raw WebSocket frames when `raw`), then probes with an echo.
fn attack(server: &Sio, bad: &[u8], raw: bool) -> Outcome {
    let mut client = SioWs::connect(server.addr);
    if raw {
        client.stream.write_all(bad).expect("raw frames sent");
    } else {
        client
            .send(std::str::from_utf8(bad).expect("text"))
            .expect("packet sent");
    }
    let probe = r#"2["echo","probe"]"#;
    let _ = client.send(probe);
    let mut seen = Vec::new();
    loop {
        match client.recv() {
            Ok(packet) if packet == probe => return Outcome::Alive(seen),
            Ok(packet) if packet.starts_with("close") => {
                seen.push(packet);
                // Answer the close so the server need not wait for `close_timeout`.
                let _ = client.stream.write_all(&ws::frame(true, 0x8, b""));
                assert!(ws::ends(&mut client.stream), "TCP closed");
                return Outcome::Closed(seen);
            }
            Ok(packet) => seen.push(packet),
            Err(_) => return Outcome::Closed(seen),
        }
    }
}

#[test]
fn each_malformed_packet_ends_or_is_ignored_for_its_own_client_only() {
    let server = Sio::start(SocketIo::builder(), |io| {
        io.of("/").on_connection(|socket| {
            socket.on("echo", |ctx, text: String| ctx.socket().emit("echo", &text));
        });
    });
    let mut ws_bystander = SioWs::connect(server.addr);
    let mut poll_bystander = SioPoll::connect(server.addr);
    let mut bystanders_echo = |round: &str| {
        assert!(
            ws_bystander.echo(round),
            "WebSocket bystander after {round}"
        );
        let packet = format!(r#"2["echo","{round}"]"#);
        poll_bystander.post(&[&packet]);
        assert_eq!(poll_bystander.get(), vec![packet], "polling bystander");
    };

    let flood = r#"59999-["echo",{"_placeholder":true,"num":0}]"#;
    // Over WebSocket an Engine.IO binary message is a bare binary frame.
    let orphan = ws::frame(true, 0x2, b"\x00\x01");
    let closed: [(&str, &[u8], bool); 4] = [
        ("bad JSON", br#"2["echo","#, false),
        ("unknown type", b"7[]", false),
        ("attachment flood", flood.as_bytes(), false),
        ("orphan binary", &orphan, true),
    ];
    for (name, bad, raw) in closed {
        let outcome = attack(&server, bad, raw);
        eprintln!("{name}: {outcome:?}");
        assert!(matches!(outcome, Outcome::Closed(_)), "{name}: {outcome:?}");
        bystanders_echo(name);
    }

    // socket.io's "invalid state": the whole client is closed (see the module docs).
    let outcome = attack(&server, br#"2/admin,["echo","x"]"#, false);
    eprintln!("namespace not joined: {outcome:?}");
    assert!(matches!(outcome, Outcome::Closed(_)), "{outcome:?}");
    bystanders_echo("namespace not joined");

    let outcome = attack(&server, b"0/nope,", false);
    eprintln!("unknown namespace: {outcome:?}");
    let Outcome::Alive(seen) = outcome else {
        panic!("unknown namespace: {outcome:?}")
    };
    assert_eq!(seen, vec![r#"4/nope,{"message":"Invalid namespace"}"#]);
    bystanders_echo("unknown namespace");

    let outcome = attack(&server, br#"3999["x"]"#, false);
    eprintln!("unknown ack id: {outcome:?}");
    assert_eq!(outcome, Outcome::Alive(vec![]));
    bystanders_echo("unknown ack");

    // Every attacker is gone (closed, or its TCP dropped by `attack`): the bystanders remain.
    let settled = wait_until(WAIT, || {
        let (sessions, stats) = server.counts();
        (sessions, stats.sockets, stats.pending_acks) == (2, 2, 0)
    });
    let (sessions, stats) = server.counts();
    eprintln!("after the attacks: {sessions} sessions, {stats:?}");
    assert!(settled, "only the bystanders are left");
    ws_bystander.leave_and_close();
    drop(poll_bystander);
    server.stop();
}
