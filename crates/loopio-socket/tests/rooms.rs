//! Rooms, broadcast selection, encode-once sharing, broadcast acks and commands.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use loopio_socket::{AckError, Binary, Message, Selection, Transmit};
use serde_json::Value;
use support::Harness;

/// Clients 1..=4 on `/`: 1 and 2 in "a", 2 and 3 in "b", 4 in none.
fn rooms_server() -> Harness {
    let mut h = Harness::new();
    h.io.of("/").on_connection(|socket| {
        socket.on("join", |ctx, room: String| ctx.socket().join(&room));
        socket.on("leave", |ctx, room: String| ctx.socket().leave(&room));
        socket.on("to", |ctx, rooms: Vec<String>| {
            let mut op = ctx.socket().broadcast();
            for room in rooms {
                op = op.to(room);
            }
            op.emit("msg", &"to")
        });
        socket.on("except", |ctx, room: String| {
            ctx.socket().except(&room).emit("msg", &"except")
        });
        socket.on("broadcast", |ctx, _: ()| {
            ctx.socket().broadcast().emit("msg", &"broadcast")
        });
        socket.on("all", |ctx, _: ()| ctx.io().emit("msg", &"all"));
        socket.on("rooms", |ctx, _: ()| {
            let rooms: Vec<String> = ctx.socket().rooms().map(str::to_owned).collect();
            ctx.ack(&rooms.len())
        });
    });
    for client in 1..=4 {
        h.connect(client);
    }
    for (client, room) in [(1, "a"), (2, "a"), (2, "b"), (3, "b")] {
        h.text(client, &format!(r#"2["join","{room}"]"#));
    }
    h
}

fn sorted(mut out: Vec<support::Out>) -> Vec<support::Out> {
    out.sort();
    out
}

fn recipients(h: &mut Harness) -> Vec<u64> {
    let mut clients: Vec<u64> = h.drain().into_iter().map(|(c, _)| c).collect();
    clients.sort_unstable();
    clients
}

#[test]
fn socket_to_room_excludes_the_sender() {
    let mut h = rooms_server();
    h.text(1, r#"2["to",["a"]]"#);
    assert_eq!(recipients(&mut h), [2]);
    h.text(4, r#"2["to",["a"]]"#);
    assert_eq!(recipients(&mut h), [1, 2]);
}

#[test]
fn several_rooms_are_a_union_without_duplicates() {
    let mut h = rooms_server();
    h.text(4, r#"2["to",["a","b"]]"#);
    assert_eq!(recipients(&mut h), [1, 2, 3]);
    h.text(2, r#"2["to",["a","b"]]"#);
    assert_eq!(recipients(&mut h), [1, 3]);
}

#[test]
fn broadcast_and_except_from_a_socket() {
    let mut h = rooms_server();
    h.text(1, r#"2["broadcast"]"#);
    assert_eq!(recipients(&mut h), [2, 3, 4]);
    h.text(4, r#"2["except","b"]"#);
    assert_eq!(recipients(&mut h), [1]);
}

#[test]
fn io_level_emits_include_everyone_addressed() {
    let mut h = rooms_server();
    h.text(1, r#"2["all"]"#);
    assert_eq!(recipients(&mut h), [1, 2, 3, 4]);
    h.io.to("a").emit("x", &1).unwrap();
    assert_eq!(recipients(&mut h), [1, 2]);
    h.io.to("a").to("b").except("b").emit("x", &1).unwrap();
    assert_eq!(recipients(&mut h), [1]);
    h.io.of("/").except("a").emit("x", &1).unwrap();
    assert_eq!(recipients(&mut h), [3, 4]);
    h.io.to("nobody").emit("x", &1).unwrap();
    assert!(recipients(&mut h).is_empty());
}

#[test]
fn own_room_and_leaving() {
    let mut h = rooms_server();
    h.text(2, r#"21["rooms"]"#);
    assert_eq!(h.drain_for(2), ["31[3]"]); // own id, "a", "b"
    h.text(2, r#"2["leave","a"]"#);
    h.io.to("a").emit("x", &()).unwrap();
    assert_eq!(recipients(&mut h), [1]);
    h.text(1, r#"2["leave","a"]"#);
    // "a" is gone: 4 own rooms + "b".
    assert_eq!(h.io.stats().rooms, 5);
}

#[test]
fn a_socket_id_addresses_that_socket() {
    let mut h = Harness::new();
    let sid = h.connect(1);
    h.connect(2);
    h.io.to(sid.as_str()).emit("private", &"hi").unwrap();
    assert_eq!(h.drain(), [(1, r#"2["private","hi"]"#.to_owned())]);
}

#[test]
fn a_broadcast_is_encoded_once_and_shared() {
    let mut h = rooms_server();
    h.io.emit("big", &("payload", Binary(vec![1, 2]))).unwrap();
    let transmits = h.transmits();
    assert_eq!(transmits.len(), 8);
    let (mut texts, mut bins) = (Vec::new(), Vec::new());
    for transmit in transmits {
        match transmit {
            Transmit::Send {
                message: Message::Text(t),
                ..
            } => texts.push(t),
            Transmit::Send {
                message: Message::Binary(b),
                ..
            } => bins.push(b),
            other => panic!("{other:?}"),
        }
    }
    assert!(texts.windows(2).all(|w| Rc::ptr_eq(&w[0], &w[1])));
    assert!(bins.windows(2).all(|w| Rc::ptr_eq(&w[0], &w[1])));
    assert_eq!(
        &*texts[0],
        r#"51-["big","payload",{"_placeholder":true,"num":0}]"#
    );
}

#[test]
fn volatile_is_a_flag_on_each_send() {
    let mut h = rooms_server();
    h.io.to("a").volatile().emit("tick", &1).unwrap();
    let out = h.drain();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|(_, t)| t == r#"~2["tick",1]"#));
}

#[test]
fn server_side_membership_and_disconnect_operations() {
    let mut h = rooms_server();
    let mut ids = h.io.to("b").fetch_sockets();
    ids.sort();
    assert_eq!(ids.len(), 2);
    h.io.to("a").sockets_join("c");
    h.io.to("c").emit("x", &()).unwrap();
    assert_eq!(recipients(&mut h), [1, 2]);
    h.io.to("c").except("b").sockets_leave("c");
    h.io.to("c").emit("x", &()).unwrap();
    assert_eq!(recipients(&mut h), [2]);
    h.io.to("b").disconnect_sockets(false);
    assert_eq!(
        sorted(h.drain()),
        [(2, "1".to_owned()), (3, "1".to_owned())]
    );
    assert_eq!(h.io.stats().sockets, 2);
    assert_eq!(
        h.io.stats().clients,
        4,
        "disconnect(false) keeps the sessions"
    );
    h.io.broadcast().disconnect_sockets(true);
    let out = h.drain();
    assert!(out.contains(&(1, "1".to_owned())) && out.contains(&(1, "<close>".to_owned())));
    assert_eq!(h.io.stats().clients, 2);
}

#[test]
fn broadcast_ack_collects_every_answer() {
    let mut h = rooms_server();
    let got = Rc::new(RefCell::new(Vec::new()));
    let sink = got.clone();
    h.io.to("a")
        .timeout(Duration::from_millis(100))
        .emit_with_ack(
            "vote",
            &(),
            move |_, error: Option<AckError>, replies: Vec<u32>| {
                sink.borrow_mut().push((error.is_some(), replies));
            },
        )
        .unwrap();
    let vote = r#"20["vote"]"#.to_owned();
    assert_eq!(sorted(h.drain()), [(1, vote.clone()), (2, vote)]);
    h.text(1, "30[1]");
    assert!(got.borrow().is_empty());
    h.text(2, "30[2]");
    assert_eq!(*got.borrow(), [(false, vec![1, 2])]);
    assert_eq!(
        (
            h.io.stats().ack_groups,
            h.io.stats().timers,
            h.io.stats().pending_acks
        ),
        (0, 0, 0)
    );
}

#[test]
fn broadcast_ack_times_out_with_partial_answers() {
    let mut h = rooms_server();
    let got = Rc::new(RefCell::new(Vec::new()));
    let sink = got.clone();
    h.io.broadcast()
        .timeout(Duration::from_millis(100))
        .emit_with_ack(
            "vote",
            &(),
            move |_, error: Option<AckError>, replies: Vec<Value>| {
                sink.borrow_mut()
                    .push((error.map(|e| e.to_string()), replies.len()));
            },
        )
        .unwrap();
    h.drain();
    h.text(3, r#"30["yes"]"#);
    h.text(4, "1"); // leaving: no longer waited for
    h.timeout(100);
    assert_eq!(
        *got.borrow(),
        [(Some("operation has timed out".to_owned()), 1)]
    );
    assert_eq!((h.io.stats().ack_groups, h.io.stats().pending_acks), (0, 0));
}

#[test]
fn broadcast_ack_to_nobody_completes_at_once() {
    let mut h = Harness::new();
    let got = Rc::new(RefCell::new(None));
    let sink = got.clone();
    h.io.to("empty")
        .emit_with_ack(
            "x",
            &(),
            move |_, error: Option<AckError>, replies: Vec<Value>| {
                *sink.borrow_mut() = Some((error.is_none(), replies.len()));
            },
        )
        .unwrap();
    assert_eq!(*got.borrow(), Some((true, 0)));
}

#[test]
fn commands_are_send_data_run_on_the_loop() {
    let mut h = rooms_server();
    let command = std::thread::spawn(|| {
        Selection::new("/")
            .to("b")
            .emit("from-thread", &42)
            .unwrap()
    })
    .join()
    .unwrap();
    let now = h.now;
    h.io.execute(now, command);
    let out = h.drain();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|(_, t)| t == r#"2["from-thread",42]"#));
}
