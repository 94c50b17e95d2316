//! Events, acks both ways, binary attachments and malformed input.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use loopio_socket::{AckError, Binary, DisconnectReason, Event, ParseError};
use serde_json::{json, Value};
use support::Harness;

fn echo_server() -> Harness {
    let mut h = Harness::new();
    h.io.of("/").on_connection(|socket| {
        socket.on("echo", |ctx, data: Value| ctx.socket().emit("echo", &data));
        socket.on("sum", |ctx, (a, b): (i64, i64)| ctx.ack(&(a + b)));
        socket.on("file", |ctx, (name, file): (String, Binary)| {
            ctx.socket()
                .emit("file", &(name, file.0.len(), Binary(file.0.clone())))
        });
        socket.on("raw", |ctx, data: Value| {
            let sizes: Vec<usize> = ctx.attachments().iter().map(Vec::len).collect();
            ctx.ack(&(data, sizes))
        });
    });
    h
}

#[test]
fn echo_round_trip() {
    let mut h = echo_server();
    h.connect(1);
    h.text(1, r#"2["echo",{"a":[1,2]}]"#);
    assert_eq!(h.drain_for(1), [r#"2["echo",{"a":[1,2]}]"#]);
}

#[test]
fn client_requested_ack_with_several_arguments() {
    let mut h = echo_server();
    h.connect(1);
    h.text(1, r#"27["sum",2,3]"#);
    assert_eq!(h.drain_for(1), ["37[5]"]);
}

#[test]
fn ack_is_sent_once_and_only_when_asked() {
    let mut h = Harness::new();
    h.io.of("/").on_connection(|socket| {
        socket.on("twice", |ctx, _: Value| {
            let asked = ctx.wants_ack();
            ctx.ack(&"first").unwrap();
            assert!(!ctx.wants_ack());
            ctx.ack(&asked)
        });
    });
    h.connect(1);
    h.text(1, r#"212["twice"]"#);
    assert_eq!(h.drain_for(1), [r#"312["first"]"#]);
    h.text(1, r#"2["twice"]"#);
    assert!(h.drain_for(1).is_empty());
}

#[test]
fn on_any_runs_before_the_event_handler() {
    let mut h = Harness::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (a, b) = (log.clone(), log.clone());
    h.io.of("/").on_connection(move |socket| {
        let a = a.clone();
        socket.on_any(move |ctx| {
            a.borrow_mut()
                .push(format!("any {} {}", ctx.event(), ctx.args().json()))
        });
        let b = b.clone();
        socket.on("x", move |_, n: u8| b.borrow_mut().push(format!("x {n}")));
    });
    h.connect(1);
    h.text(1, r#"2["x",1]"#);
    h.text(1, r#"2["y","z"]"#);
    assert_eq!(*log.borrow(), ["any x 1", "x 1", r#"any y "z""#]);
}

#[test]
fn undecodable_arguments_are_reported_not_fatal() {
    let mut h = echo_server();
    h.connect(1);
    h.text(1, r#"2["sum","a"]"#);
    assert!(h.drain_for(1).is_empty());
    assert!(
        matches!(h.io.poll_event(), Some(Event::HandlerFailed { event, .. }) if event == "sum")
    );
    assert_eq!(h.io.stats().sockets, 1);
}

#[test]
fn server_ack_single_reply_and_timeout() {
    let mut h = Harness::new();
    let got = Rc::new(RefCell::new(Vec::new()));
    let sink = got.clone();
    h.io.of("/").on_connection(move |socket| {
        let (a, b) = (sink.clone(), sink.clone());
        socket
            .timeout(Duration::from_millis(500))
            .emit_with_ack("ask", &1, move |_, r: Result<String, AckError>| {
                a.borrow_mut().push(format!("{r:?}"))
            })
            .unwrap();
        socket
            .timeout(Duration::from_millis(500))
            .emit_with_ack("ask", &2, move |_, r: Result<String, AckError>| {
                b.borrow_mut().push(format!("{r:?}"))
            })
            .unwrap();
    });
    h.open(1);
    h.text(1, "0");
    let out = h.drain_for(1);
    assert_eq!(out[1..], [r#"20["ask",1]"#, r#"21["ask",2]"#]);
    assert_eq!(h.io.stats().pending_acks, 2);
    h.text(1, r#"30["yes"]"#);
    h.text(1, r#"30["again"]"#); // unknown by now: ignored
    h.timeout(499);
    assert_eq!(*got.borrow(), [r#"Ok("yes")"#]);
    h.timeout(500);
    assert_eq!(*got.borrow(), [r#"Ok("yes")"#, "Err(Timeout)"]);
    assert_eq!((h.io.stats().pending_acks, h.io.stats().timers), (0, 0));
}

#[test]
fn pending_acks_fail_when_the_socket_disconnects() {
    let mut h = Harness::new();
    let got = Rc::new(RefCell::new(None));
    let sink = got.clone();
    h.io.of("/").on_connection(move |socket| {
        let sink = sink.clone();
        socket
            .emit_with_ack("ask", &(), move |_, r: Result<Value, AckError>| {
                *sink.borrow_mut() = Some(r.is_err())
            })
            .unwrap();
    });
    h.connect(1);
    h.text(1, "1");
    assert_eq!(*got.borrow(), Some(true));
    assert_eq!(h.io.stats().pending_acks, 0);
}

#[test]
fn binary_event_is_reassembled_before_the_handler() {
    let mut h = echo_server();
    h.connect(1);
    h.text(1, r#"51-["file","a.png",{"_placeholder":true,"num":0}]"#);
    assert!(h.drain().is_empty(), "waits for the attachment");
    h.binary(1, &[1, 2, 3]);
    assert_eq!(
        h.drain_for(1),
        [
            r#"51-["file","a.png",3,{"_placeholder":true,"num":0}]"#,
            "<bin 01 02 03>"
        ]
    );
}

#[test]
fn nested_attachments_reach_value_handlers_as_placeholders() {
    let mut h = echo_server();
    h.connect(1);
    h.text(
        1,
        r#"52-3["raw",{"a":[{"_placeholder":true,"num":1}],"b":{"_placeholder":true,"num":0}}]"#,
    );
    h.binary(1, &[0xaa]);
    h.binary(1, &[0xbb, 0xcc]);
    let out = h.drain_for(1);
    assert_eq!(
        out,
        [r#"33[{"a":[{"_placeholder":true,"num":1}],"b":{"_placeholder":true,"num":0}},[1,2]]"#]
    );
}

#[test]
fn binary_ack_from_client() {
    let mut h = Harness::new();
    let got = Rc::new(RefCell::new(Vec::new()));
    let sink = got.clone();
    h.io.of("/").on_connection(move |socket| {
        let sink = sink.clone();
        socket
            .emit_with_ack(
                "photo",
                &(),
                move |_, r: Result<(String, Binary), AckError>| sink.borrow_mut().push(r.unwrap()),
            )
            .unwrap();
    });
    h.connect(1);
    h.drain();
    h.text(1, r#"61-0["ok",{"_placeholder":true,"num":0}]"#);
    h.binary(1, &[7, 7]);
    assert_eq!(*got.borrow(), [("ok".to_owned(), Binary(vec![7, 7]))]);
}

fn assert_rejected(input: &[&[u8]], error: ParseError) {
    let mut h = echo_server();
    h.connect(1);
    h.connect(2);
    for message in input {
        match std::str::from_utf8(message) {
            Ok(text) if !text.starts_with("\u{0}") => h.text(1, text),
            _ => h.binary(1, &message[1..]),
        }
    }
    assert_eq!(h.drain(), [(1, "<close>".to_owned())], "{input:?}");
    assert!(matches!(h.io.poll_event(), Some(Event::Rejected { error: e, .. }) if e == error));
    // Only that client is closed.
    h.text(2, r#"2["echo",1]"#);
    assert_eq!(h.drain_for(2), [r#"2["echo",1]"#]);
    assert_eq!(h.io.stats().sockets, 1);
}

#[test]
fn malformed_packets_close_only_their_client() {
    use ParseError::*;
    assert_rejected(&[b"9"], UnknownType);
    assert_rejected(&[b""], UnknownType);
    assert_rejected(&[b"2[\"echo\""], InvalidPayload);
    assert_rejected(&[b"2{\"echo\":1}"], InvalidPayload);
    assert_rejected(&[b"2[]"], InvalidPayload);
    assert_rejected(&[b"2[1.5e999999]"], InvalidPayload);
    assert_rejected(&[b"2"], InvalidPayload);
    assert_rejected(&[b"2[{}]"], InvalidPayload);
    assert_rejected(&[b"2[\"disconnect\"]"], ReservedEvent);
    assert_rejected(&[b"299999999999999999999[\"echo\"]"], BadAckId);
    assert_rejected(&[b"3{}"], InvalidPayload);
    assert_rejected(&[b"1[]"], InvalidPayload);
    assert_rejected(&[b"4[]"], InvalidPayload);
    assert_rejected(&[b"511-[\"echo\"]"], TooManyAttachments);
    assert_rejected(&[b"5-[\"echo\"]"], IllegalAttachments);
    assert_rejected(&[b"\0\x01"], UnexpectedBinary);
    assert_rejected(&[b"51-[\"echo\"]", b"2[\"echo\"]"], UnexpectedText);
    let bad = br#"51-["echo",{"_placeholder":true,"num":1}]"#;
    assert_rejected(&[bad, b"\0\x01"], IllegalPlaceholder);
}

#[test]
fn numeric_event_names_are_accepted() {
    let mut h = Harness::new();
    h.io.of("/")
        .on_connection(|socket| socket.on("42", |ctx, _: ()| ctx.ack(&"ok")));
    h.connect(1);
    h.text(1, "21[42]");
    assert_eq!(h.drain_for(1), [r#"31["ok"]"#]);
}

/// socket.io's `Client::ondecoded`: a packet for a namespace the client has not joined is an
/// "invalid state" that closes the whole client, its other sockets included.
#[test]
fn packets_for_unjoined_namespaces_close_the_client() {
    let unjoined = [
        r#"2/admin,["echo",1]"#,
        r#"2/admin,7["echo",1]"#,
        r#"3/admin,0[]"#,
        "1/admin,",
    ];
    for packet in unjoined {
        let mut h = Harness::new();
        h.io.of("/admin");
        let reasons = Rc::new(RefCell::new(Vec::new()));
        let sink = reasons.clone();
        h.io.of("/").on_connection(move |socket| {
            let sink = sink.clone();
            socket.on_disconnect(move |_, reason| sink.borrow_mut().push(reason));
        });
        h.connect(1);
        h.connect(2);
        h.text(1, packet);
        assert_eq!(h.drain(), [(1, "<close>".to_owned())], "{packet}");
        assert!(matches!(
            h.io.poll_event(),
            Some(Event::InvalidState { client, .. }) if client.0 == 1
        ));
        assert_eq!(
            *reasons.borrow(),
            [DisconnectReason::ForcedServerClose],
            "{packet}"
        );
        assert_eq!(h.io.stats().clients, 1, "{packet}: the other client stays");
        // The closed client's later packets (already in flight) are ignored.
        h.text(1, r#"2["echo",1]"#);
        assert!(h.drain().is_empty());
    }
}

/// `2[…`, the EVENT on `/` that skips the header parse, from a client joined only to another
/// namespace is the same invalid state; on `/` it reaches the handler.
#[test]
fn main_namespace_event_shortcut_checks_the_client_joined_it() {
    let mut h = Harness::new();
    h.io.of("/admin").on_connection(|socket| {
        socket.on("echo", |ctx, data: Value| ctx.socket().emit("echo", &data));
    });
    h.connect_to(1, "/admin");
    h.text(1, r#"2/admin,["echo",1]"#);
    assert_eq!(h.drain(), [(1, r#"2/admin,["echo",1]"#.to_owned())]);
    h.text(1, r#"2["echo",1]"#);
    assert_eq!(h.drain(), [(1, "<close>".to_owned())]);
    assert!(matches!(
        h.io.poll_event(),
        Some(Event::InvalidState { client, .. }) if client.0 == 1
    ));
}

/// A malformed packet for a namespace not joined is a parse error first, as in
/// socket.io-parser, which throws before `ondecoded` sees the namespace.
#[test]
fn malformed_packet_for_an_unjoined_namespace_is_a_parse_error() {
    let mut h = echo_server();
    h.connect(1);
    h.text(1, r#"2/admin,{"not":"an array"}"#);
    assert_eq!(h.drain(), [(1, "<close>".to_owned())]);
    assert!(matches!(h.io.poll_event(), Some(Event::Rejected { .. })));
}

/// A client never sends CONNECT_ERROR; socket.io closes it even on a joined namespace.
#[test]
fn connect_error_from_a_client_closes_it() {
    let mut h = echo_server();
    h.connect(1);
    h.text(1, r#"4{"message":"x"}"#);
    assert_eq!(h.drain(), [(1, "<close>".to_owned())]);
    assert_eq!(h.io.stats().sockets, 0);
}

#[test]
fn reserved_names_cannot_be_emitted() {
    let mut h = Harness::new();
    let result = Rc::new(RefCell::new(None));
    let sink = result.clone();
    h.io.of("/").on_connection(move |socket| {
        *sink.borrow_mut() = Some(socket.emit("connect", &()).is_err());
    });
    h.connect(1);
    assert_eq!(*result.borrow(), Some(true));
}

#[test]
fn split_inputs_byte_by_byte_do_not_matter_for_binary() {
    // Attachments arrive as whole Engine.IO messages; feed several packets back to back.
    let mut h = echo_server();
    h.connect(1);
    for _ in 0..3 {
        h.text(1, r#"51-["file","x",{"_placeholder":true,"num":0}]"#);
        h.binary(1, &[9]);
    }
    assert_eq!(h.drain_for(1).len(), 6);
    assert_eq!(json!(h.io.stats().sockets), json!(1));
}

#[test]
fn a_later_registration_replaces_the_handler_of_its_event() {
    let mut h = Harness::new();
    h.io.of("/").on_connection(|socket| {
        socket.on("greet", |ctx, _: Value| ctx.socket().emit("old", &()));
        socket.on("other", |ctx, _: Value| ctx.socket().emit("other", &()));
        socket.on("greet", |ctx, _: Value| ctx.socket().emit("new", &()));
    });
    h.connect(1);
    h.text(1, r#"2["greet"]"#);
    h.text(1, r#"2["other"]"#);
    assert_eq!(h.drain_for(1), [r#"2["new"]"#, r#"2["other"]"#]);
}

/// Once its socket is gone, a handler's `extensions()` is a stand-in that keeps what the
/// handler stores for the rest of the handler, and the next handle starts without it.
#[test]
fn extensions_of_a_gone_socket_are_a_fresh_stand_in() {
    struct Mark(u32);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut h = Harness::new();
    let log = seen.clone();
    h.io.of("/").on_connection(move |socket| {
        let log = log.clone();
        socket.on_any(move |ctx| {
            ctx.socket().disconnect(false);
            let socket = ctx.socket();
            let before = socket.extensions().get::<Mark>().map(|m| m.0);
            socket.extensions().insert(Mark(7));
            let after = socket.extensions().get::<Mark>().map(|m| m.0);
            log.borrow_mut().push((before, after));
        });
    });
    h.connect(1);
    h.connect(2);
    h.text(1, r#"2["x"]"#);
    h.text(2, r#"2["x"]"#);
    assert_eq!(*seen.borrow(), [(None, Some(7)), (None, Some(7))]);
}

/// A handle whose socket is gone refuses emits and acks; one whose socket stays still sends
/// after other sockets were removed.
#[test]
fn emits_follow_the_socket_not_the_handle() {
    let results = Rc::new(RefCell::new(Vec::new()));
    let mut h = Harness::new();
    let log = results.clone();
    h.io.of("/").on_connection(move |socket| {
        let log = log.clone();
        socket.on_any(move |ctx| {
            let mut log = log.borrow_mut();
            if ctx.event() == "others" {
                ctx.socket().broadcast().disconnect_sockets(false);
                log.push(ctx.socket().emit("still", &1).is_ok());
                log.push(ctx.ack(&2).is_ok());
            } else {
                ctx.socket().disconnect(false);
                log.push(ctx.socket().emit("gone", &1).is_ok());
                log.push(ctx.ack(&2).is_ok());
            }
        });
    });
    h.connect(1);
    h.connect(2);
    h.drain();
    h.text(1, r#"21["others"]"#);
    assert_eq!(h.drain_for(1), [r#"2["still",1]"#, "31[2]"]);
    h.connect(3);
    h.text(3, r#"22["self"]"#);
    assert_eq!(*results.borrow(), [true, true, false, false]);
    assert!(h.drain_for(3).iter().all(|p| !p.contains("gone")));
}
