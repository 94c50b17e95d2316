//! Disconnect reasons, the disconnect sequence, shutdown and table hygiene.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use loopio_socket::{AckError, DisconnectReason};
use serde_json::Value;
use support::Harness;

type Log = Rc<RefCell<Vec<String>>>;

/// Logs `disconnecting` (with the rooms then visible) and `disconnect` for every socket.
fn logging_server(log: &Log) -> Harness {
    let mut h = Harness::new();
    let log = log.clone();
    h.io.of("/").on_connection(move |socket| {
        socket.join("lobby");
        let (a, b) = (log.clone(), log.clone());
        socket.on_disconnecting(move |socket, reason| {
            let own = socket.id();
            let rooms = socket.rooms().filter(|r| *r != own.as_str()).count();
            a.borrow_mut()
                .push(format!("disconnecting {reason} rooms={rooms}"));
        });
        socket.on_disconnect(move |socket, reason| {
            let visible = socket.io().to("lobby").fetch_sockets().len();
            b.borrow_mut()
                .push(format!("disconnect {reason} lobby={visible}"));
        });
        socket.on("bye", |ctx, close: bool| ctx.socket().disconnect(close));
    });
    h
}

fn reason_for(action: impl FnOnce(&mut Harness)) -> Vec<String> {
    let log = Log::default();
    let mut h = logging_server(&log);
    h.connect(1);
    action(&mut h);
    let out = log.borrow().clone();
    out
}

#[test]
fn each_disconnect_reason() {
    type Action = Box<dyn FnOnce(&mut Harness)>;
    let cases: Vec<(Action, &str)> = vec![
        (Box::new(|h| h.text(1, "1")), "client namespace disconnect"),
        (
            Box::new(|h| h.text(1, r#"2["bye",false]"#)),
            "server namespace disconnect",
        ),
        (
            Box::new(|h| h.close(1, DisconnectReason::TransportClose)),
            "transport close",
        ),
        (
            Box::new(|h| h.close(1, DisconnectReason::TransportError)),
            "transport error",
        ),
        (
            Box::new(|h| h.close(1, DisconnectReason::PingTimeout)),
            "ping timeout",
        ),
        (Box::new(|h| h.text(1, "2[")), "parse error"),
        (
            Box::new(|h| {
                let now = h.now;
                h.io.close(now)
            }),
            "server shutting down",
        ),
    ];
    for (action, reason) in cases {
        assert_eq!(
            reason_for(action),
            [
                format!("disconnecting {reason} rooms=1"),
                format!("disconnect {reason} lobby=0")
            ]
        );
    }
}

#[test]
fn server_disconnect_sends_disconnect_and_optionally_closes() {
    let log = Log::default();
    let mut h = logging_server(&log);
    h.io.of("/admin");
    h.connect(1);
    h.connect_to(1, "/admin");
    h.text(1, r#"2["bye",false]"#);
    assert_eq!(h.drain(), [(1, "1".to_owned())]);
    assert_eq!(h.io.stats().clients, 1);
    h.connect(1);
    h.text(1, r#"2["bye",true]"#);
    let out: Vec<String> = h.drain().into_iter().map(|(_, t)| t).collect();
    // One DISCONNECT per socket of the client, in joining order, then the close.
    assert_eq!(out, ["1/admin,", "1", "<close>"]);
    assert_eq!(h.io.stats().clients, 0);
    // The engine's later close report is ignored.
    h.close(1, DisconnectReason::TransportClose);
    assert_eq!(log.borrow().len(), 4);
}

#[test]
fn shutdown_sends_disconnect_to_every_socket_then_closes_every_session() {
    let mut h = Harness::new();
    h.io.of("/admin");
    h.connect(1);
    h.connect_to(1, "/admin");
    h.open(2);
    h.drain();
    h.io.emit("last", &1).unwrap();
    let now = h.now;
    h.io.close(now);
    let out = h.drain();
    let for_client = |client| -> Vec<&str> {
        out.iter()
            .filter(|(c, _)| *c == client)
            .map(|(_, t)| t.as_str())
            .collect()
    };
    // What was queued first, a DISCONNECT per socket in joining order, then the close.
    assert_eq!(
        for_client(1),
        [r#"2["last",1]"#, "1", "1/admin,", "<close>"]
    );
    assert_eq!(for_client(2), ["<close>"]);
    assert_eq!(h.io.stats().clients, 0);
}

#[test]
fn tables_return_to_empty_after_many_cycles() {
    let mut h = Harness::new();
    h.io.of("/chat").on_connection(|socket| {
        socket.join("room-1");
        socket.join("room-2");
        socket
            .timeout(Duration::from_secs(5))
            .emit_with_ack("hi", &(), |_, _: Result<Value, AckError>| {})
            .unwrap();
        socket.on("x", |ctx, _: Value| {
            ctx.socket().to("room-1").emit("y", &())
        });
    });
    h.io.of_dynamic(|name| name.starts_with("/dyn-"))
        .on_connection(|socket| socket.join("r"));
    for cycle in 0..10_000u64 {
        let client = cycle % 7;
        h.open(client);
        h.text(client, "0/chat,");
        h.text(client, &format!("0/dyn-{cycle},"));
        h.text(client, r#"2/chat,["x",1]"#);
        if cycle % 3 == 0 {
            h.text(client, "3/chat,0[]");
        }
        h.io.to("room-1").emit("noise", &()).unwrap();
        match cycle % 4 {
            0 => h.close(client, DisconnectReason::TransportClose),
            1 => {
                h.text(client, "1/chat,");
                h.text(client, &format!("1/dyn-{cycle},"));
                h.close(client, DisconnectReason::PingTimeout);
            }
            2 => h.text(client, "9"),
            _ => {
                let now = h.now;
                h.io.of("/chat").broadcast().disconnect_sockets(true);
                h.io.handle_close(
                    now,
                    loopio_socket::ClientId(client),
                    DisconnectReason::ForcedClose,
                );
            }
        }
        h.drain();
        while h.io.poll_event().is_some() {}
    }
    let stats = h.io.stats();
    assert_eq!(
        (
            stats.clients,
            stats.sockets,
            stats.rooms,
            stats.pending_acks,
            stats.ack_groups,
            stats.timers
        ),
        (0, 0, 0, 0, 0, 0)
    );
    assert_eq!(stats.namespaces, 2, "only / and /chat remain");
}
