//! The polling → WebSocket upgrade, as the official client performs it.

mod support;

use loopio_engine::{CloseReason, Config, Data, TransmitKind, TransportKind};
use support::{head, Ev, Harness};

#[test]
fn upgrade_delivers_queued_packets_exactly_once_in_order() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (get, _) = h.get(&sid);
    let (ws, sent) = h.ws_open(&sid);
    assert!(sent.is_empty());
    assert!(h.conn(handle).is_upgrading());
    assert_eq!(
        h.timeout_of(handle),
        Some(10_000),
        "upgrade deadline before the ping"
    );

    // 2probe → 3probe on the WebSocket, and the held GET is released with a noop.
    let sent = h.ws(handle, ws, Data::Text("2probe"));
    assert_eq!(sent.len(), 2);
    assert_eq!(
        (sent[0].to, sent[0].kind, sent[0].bytes.as_slice()),
        (ws.0, TransmitKind::WsText, &b"3probe"[..])
    );
    assert_eq!((sent[1].to, sent[1].body_str()), (get.0, "6"));

    // While waiting for "5", a GET is answered at once: with a noop when nothing is
    // queued (the official server forces this polling cycle), else with the queue.
    let (_, sent) = h.get(&sid);
    assert_eq!(sent[0].body_str(), "6");
    h.send(handle, Data::Text("a"));
    let (_, sent) = h.get(&sid);
    assert_eq!(sent[0].body_str(), "4a");
    // "b" and the binary one wait for the WebSocket.
    h.send(handle, Data::Text("b"));
    h.send(handle, Data::Binary(&[3]));

    let sent = h.ws(handle, ws, Data::Text("5"));
    let frames: Vec<_> = sent
        .iter()
        .map(|s| (s.to, s.kind, s.bytes.clone()))
        .collect();
    assert_eq!(
        frames,
        [
            (ws.0, TransmitKind::WsText, b"4b".to_vec()),
            (ws.0, TransmitKind::WsBinary, vec![3])
        ]
    );
    assert_eq!(h.events(handle), [Ev::Upgraded]);
    assert_eq!(h.conn(handle).transport(), Some(TransportKind::WebSocket));
    assert!(!h.conn(handle).is_upgrading());

    // From now on only the WebSocket carries packets.
    let sent = h.send(handle, Data::Text("d"));
    assert_eq!((sent[0].to, sent[0].bytes.as_slice()), (ws.0, &b"4d"[..]));
    assert!(h.ws(handle, ws, Data::Text("4hi")).is_empty());
    assert_eq!(h.events(handle), [Ev::Text("hi".into())]);
}

#[test]
fn polling_after_upgrade_is_a_bad_request() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (ws, _) = h.ws_open(&sid);
    h.ws(handle, ws, Data::Text("2probe"));
    h.ws(handle, ws, Data::Text("5"));
    let (_, sent) = h.get(&sid);
    assert_eq!(sent[0].status(), 400);
    assert_eq!(sent[0].body_str(), r#"{"code":3,"message":"Bad request"}"#);
    let sent = h.post(&sid, b"4x");
    assert_eq!(sent[0].body_str(), r#"{"code":3,"message":"Bad request"}"#);
    assert!(
        h.events(handle).iter().all(|e| *e == Ev::Upgraded),
        "no message from the POST"
    );
    // A second WebSocket with the same sid is refused.
    let (second, sent) = h.ws_open(&sid);
    assert_eq!(
        (sent[0].to, sent[0].kind),
        (second.0, TransmitKind::WsClose)
    );
    assert_eq!(h.conn(handle).transport(), Some(TransportKind::WebSocket));
}

#[test]
fn second_websocket_during_upgrade_is_refused() {
    let mut h = Harness::new(Config::default());
    let (_, sid, _) = h.open_polling();
    let (_, _) = h.ws_open(&sid);
    let (second, sent) = h.ws_open(&sid);
    assert_eq!(
        (sent[0].to, sent[0].kind),
        (second.0, TransmitKind::WsClose)
    );
}

#[test]
fn websocket_only_session_refuses_upgrades() {
    let mut h = Harness::new(Config::default());
    let (_, sid, _) = h.open_ws();
    let (second, sent) = h.ws_open(&sid);
    assert_eq!(
        (sent[0].to, sent[0].kind),
        (second.0, TransmitKind::WsClose)
    );
}

#[test]
fn unfinished_upgrade_times_out() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (ws, _) = h.ws_open(&sid);
    h.ws(handle, ws, Data::Text("2probe"));
    assert!(h.advance_to(9_999).is_empty());
    let sent = h.advance_to(10_000);
    assert_eq!((sent[0].to, sent[0].kind), (ws.0, TransmitKind::WsClose));
    assert!(!h.conn(handle).is_upgrading());
    assert_eq!(h.timeout_of(handle), Some(25_000));
    // The session carries on over polling; a late "5" on the dropped socket is ignored.
    assert!(h.ws(handle, ws, Data::Text("5")).is_empty());
    assert_eq!(h.conn(handle).transport(), Some(TransportKind::Polling));
    h.send(handle, Data::Text("still polling"));
    assert_eq!(h.get(&sid).1[0].body_str(), "4still polling");
    // And may try again.
    let (_, sent) = h.ws_open(&sid);
    assert!(sent.is_empty());
}

#[test]
fn unexpected_packet_on_the_probe_cancels_the_upgrade() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (ws, _) = h.ws_open(&sid);
    let sent = h.ws(handle, ws, Data::Text("4nope"));
    assert_eq!((sent[0].to, sent[0].kind), (ws.0, TransmitKind::WsClose));
    assert!(h.events(handle).is_empty(), "the session is still open");
}

#[test]
fn probe_closing_cancels_the_upgrade_only() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (ws, _) = h.ws_open(&sid);
    assert!(h.transport_closed(handle, ws).is_empty());
    assert!(!h.conn(handle).is_upgrading());
    assert!(h.events(handle).is_empty());
}

#[test]
fn session_close_during_upgrade_closes_the_probe() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (ws, _) = h.ws_open(&sid);
    let sent = h.advance_to(45_000);
    assert!(sent
        .iter()
        .any(|s| s.to == ws.0 && s.kind == TransmitKind::WsClose));
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::PingTimeout)]);
}

#[test]
fn websocket_closed_by_peer_ends_the_session() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (ws, _) = h.ws_open(&sid);
    h.ws(handle, ws, Data::Text("2probe"));
    h.ws(handle, ws, Data::Text("5"));
    h.events(handle);
    assert!(
        h.transport_closed(handle, ws).is_empty(),
        "no close for a gone socket"
    );
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::TransportClose)]);
    let query = format!("EIO=4&transport=websocket&sid={sid}");
    assert_eq!(
        h.refused(&head("GET", &query, true)).body_str(),
        "Session ID unknown"
    );
}
