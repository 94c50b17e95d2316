//! The copy-free paths: a WebSocket message handed straight back, a message framed directly on
//! the WebSocket, and the writability / back-pressure getters.

use std::time::Instant;

use loopio_engine::{
    Config, Connection, Data, Event, RequestHead, Route, Server, SessionHandle, TransmitKind,
    TransportId,
};

fn head(query: &str, upgrade: bool) -> RequestHead<'_> {
    RequestHead {
        method: "GET",
        path: "/engine.io/",
        query,
        origin: None,
        upgrade,
        keep_alive: true,
        content_type: None,
        access_control_request_headers: None,
    }
}

/// A session opened over WebSocket `1`, its open packet drained.
fn ws_session(now: Instant) -> (Server, SessionHandle, Connection) {
    let mut server = Server::new(Config::default(), [9; 32]);
    let route = server.handle_request(&head("EIO=4&transport=websocket", true), &mut Vec::new());
    let Route::Incoming(incoming) = route else {
        panic!("a valid handshake")
    };
    let (handle, mut session) = server.accept(now, incoming, TransportId(1));
    let mut out = Vec::new();
    while session.poll_transmit(now, &mut out).is_some() {}
    (server, handle, session)
}

#[test]
fn websocket_messages_come_back_uncopied_when_nothing_waits() {
    let now = Instant::now();
    let (_, _, mut session) = ws_session(now);
    let frame = String::from("4hello");
    let data = session.handle_ws_message(now, TransportId(1), Data::Text(&frame));
    // The very bytes of the frame, not a copy.
    let Some(Data::Text(text)) = data else {
        panic!("a message")
    };
    assert_eq!(text, "hello");
    assert_eq!(text.as_ptr(), frame[1..].as_ptr());
    assert!(session.poll_event().is_none());

    let bytes = [1u8, 2, 3];
    let data = session.handle_ws_message(now, TransportId(1), Data::Binary(&bytes));
    assert_eq!(data, Some(Data::Binary(&bytes[..])));

    // Other packets are queued as by `handle_ws`: a pong, base64 binary, a close.
    assert_eq!(
        session.handle_ws_message(now, TransportId(1), Data::Text("3")),
        None
    );
    let data = session.handle_ws_message(now, TransportId(1), Data::Text("bAQI="));
    assert_eq!(data, None);
    assert_eq!(
        session.poll_event(),
        Some(Event::Message(Data::Binary(&[1, 2])))
    );
    assert_eq!(
        session.handle_ws_message(now, TransportId(1), Data::Text("1")),
        None
    );
    assert!(matches!(session.poll_event(), Some(Event::Closed(_))));
    assert_eq!(
        session.handle_ws_message(now, TransportId(1), Data::Text("4late")),
        None
    );
}

#[test]
fn queued_events_keep_their_order() {
    let now = Instant::now();
    let (_, _, mut session) = ws_session(now);
    session.handle_ws(now, TransportId(1), Data::Text("4first"));
    // An event still waits, so the next message queues behind it.
    assert_eq!(
        session.handle_ws_message(now, TransportId(1), Data::Text("4second")),
        None
    );
    assert_eq!(
        session.poll_event(),
        Some(Event::Message(Data::Text("first")))
    );
    assert_eq!(
        session.poll_event(),
        Some(Event::Message(Data::Text("second")))
    );
}

#[test]
fn direct_ws_only_when_nothing_is_queued() {
    let now = Instant::now();
    let (_, _, mut session) = ws_session(now);
    assert_eq!(session.direct_ws(), Some(TransportId(1)));
    assert!(session.is_writable());
    session.send(Data::Text("queued")).unwrap();
    assert_eq!(session.buffered_amount(), 6);
    assert_eq!(session.direct_ws(), None);
    let mut out = Vec::new();
    let transmit = session
        .poll_transmit(now, &mut out)
        .expect("the queued message");
    assert_eq!(transmit.kind, TransmitKind::WsText);
    assert_eq!(out, b"4queued");
    assert_eq!(session.buffered_amount(), 0);
    assert_eq!(session.direct_ws(), Some(TransportId(1)));
    session.close(now);
    assert_eq!(session.direct_ws(), None);
    assert!(!session.is_writable());
}

#[test]
fn polling_is_writable_with_a_held_get_or_an_empty_queue() {
    let now = Instant::now();
    let mut server = Server::new(Config::default(), [9; 32]);
    let route = server.handle_request(&head("EIO=4&transport=polling", false), &mut Vec::new());
    let Route::Incoming(incoming) = route else {
        panic!("a valid handshake")
    };
    let (_, mut session) = server.accept(now, incoming, TransportId(1));
    let mut out = Vec::new();
    while session.poll_transmit(now, &mut out).is_some() {}
    // No GET held, nothing queued: writable.
    assert!(session.is_writable());
    assert_eq!(session.direct_ws(), None);
    session.send(Data::Text("x")).unwrap();
    // No GET held and a packet waits: not writable (volatile messages are dropped).
    assert!(!session.is_writable());
    assert_eq!(session.buffered_amount(), 1);
}
