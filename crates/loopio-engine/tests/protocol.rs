//! Engine.IO v4 scenarios against the public API, time driven by hand from `t0`.

mod support;

use loopio_engine::{
    AllowedOrigins, CloseReason, Config, Cors, Data, Route, TransmitKind, TransportKind,
};
use support::{head, open_json, Ev, Harness};

#[test]
fn polling_handshake_answers_the_open_packet() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, sent) = h.open_polling();
    assert_eq!(sent.status(), 200);
    assert_eq!(
        sent.header("content-type").as_deref(),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(sent.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(sent.header("set-cookie"), None);
    let open = open_json(sent.body());
    assert_eq!(open["sid"], sid.as_str());
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(open["pingInterval"], 25_000);
    assert_eq!(open["pingTimeout"], 20_000);
    assert_eq!(open["maxPayload"], 1_000_000);
    assert_eq!(sid.len(), 20);
    assert!(sid
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // Official key order.
    assert!(sent.body_str().starts_with(r#"0{"sid":""#));
    assert_eq!(h.server.lookup(&sid), Some(handle));
    assert_eq!(h.timeout_of(handle), Some(25_000));
}

#[test]
fn websocket_handshake_sends_open_as_first_text_frame() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, sent) = h.open_ws();
    assert_eq!(sent.kind, TransmitKind::WsText);
    let open = open_json(&sent.bytes);
    assert_eq!(open["upgrades"], serde_json::json!([]));
    assert_eq!(open["sid"], sid.as_str());
    assert_eq!(h.conn(handle).transport(), Some(TransportKind::WebSocket));
}

#[test]
fn sids_are_distinct() {
    let mut h = Harness::new(Config::default());
    let sids: std::collections::HashSet<String> = (0..200).map(|_| h.open_polling().1).collect();
    assert_eq!(sids.len(), 200);
}

#[test]
fn errors_match_the_official_server() {
    let mut h = Harness::new(Config::default());
    let cases = [
        (
            head("GET", "EIO=4&transport=carrier-pigeon", false),
            400,
            0,
            "Transport unknown",
        ),
        (head("GET", "EIO=4", false), 400, 0, "Transport unknown"),
        (
            head(
                "GET",
                "EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA",
                false,
            ),
            400,
            1,
            "Session ID unknown",
        ),
        (
            head("POST", "EIO=4&transport=polling", false),
            400,
            2,
            "Bad handshake method",
        ),
        (
            head("GET", "EIO=4&transport=websocket", false),
            400,
            3,
            "Bad request",
        ),
        (
            head("GET", "EIO=3&transport=polling", false),
            400,
            5,
            "Unsupported protocol version",
        ),
        (
            head("GET", "transport=polling", false),
            400,
            5,
            "Unsupported protocol version",
        ),
        (
            head("GET", "EIO=x&transport=polling", false),
            400,
            5,
            "Unsupported protocol version",
        ),
    ];
    for (request, status, code, message) in cases {
        let sent = h.refused(&request);
        assert_eq!(sent.status(), status, "{request:?}");
        assert_eq!(
            sent.header("content-type").as_deref(),
            Some("application/json")
        );
        let body: serde_json::Value = serde_json::from_slice(sent.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"code": code, "message": message}),
            "{request:?}"
        );
        assert_eq!(
            sent.body_str(),
            format!(r#"{{"code":{code},"message":"{message}"}}"#)
        );
    }
}

#[test]
fn refused_upgrades_get_a_text_answer_and_close() {
    let mut h = Harness::new(Config::default());
    let sent = h.refused(&head(
        "GET",
        "EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA",
        true,
    ));
    assert_eq!(sent.status(), 400);
    assert_eq!(sent.kind, TransmitKind::Http { close: true });
    assert_eq!(sent.header("content-type").as_deref(), Some("text/html"));
    assert_eq!(sent.body_str(), "Session ID unknown");
}

#[test]
fn rejected_handshake_is_forbidden() {
    let mut h = Harness::new(Config::default());
    let Route::Incoming(incoming) = h.route(&head("GET", "EIO=4&transport=polling", false)).0
    else {
        panic!("expected a handshake")
    };
    let mut out = Vec::new();
    assert!(!h.server.reject(incoming, &mut out));
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 403"), "{text}");
    assert!(
        text.ends_with(r#"{"code":4,"message":"Forbidden"}"#),
        "{text}"
    );
    assert!(h.server.is_empty());
}

#[test]
fn other_paths_are_not_engine_io() {
    let mut h = Harness::new(Config {
        path: "/socket.io".into(),
        ..Config::default()
    });
    let mut request = head("GET", "EIO=4&transport=polling", false);
    assert!(
        matches!(h.route(&request).0, Route::NotEngine),
        "default path is not ours now"
    );
    request.path = "/socket.io/";
    assert!(matches!(h.route(&request).0, Route::Incoming(_)));
    request.path = "/socket.iox";
    assert!(matches!(h.route(&request).0, Route::NotEngine));
}

#[test]
fn disabled_transports_are_unknown() {
    let transports = loopio_engine::Transports {
        polling: false,
        websocket: true,
    };
    let mut h = Harness::new(Config {
        transports,
        ..Config::default()
    });
    let sent = h.refused(&head("GET", "EIO=4&transport=polling", false));
    assert_eq!(
        sent.body_str(),
        r#"{"code":0,"message":"Transport unknown"}"#
    );
}

#[test]
fn heartbeat_pings_and_times_out() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (get, sent) = h.get(&sid);
    assert!(sent.is_empty(), "the GET is held");
    assert!(h.advance_to(24_999).is_empty());
    let sent = h.advance_to(25_000);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].to, sent[0].body_str()), (get.0, "2"));
    assert_eq!(h.timeout_of(handle), Some(45_000), "pong deadline");
    // The pong arrives at 30 s: the next ping is due pingInterval later.
    h.advance_to(30_000);
    let sent = h.post(&sid, b"3");
    assert_eq!(sent[0].body_str(), "ok");
    assert_eq!(sent[0].header("content-type").as_deref(), Some("text/html"));
    assert_eq!(h.timeout_of(handle), Some(55_000));
    let (_, sent) = h.get(&sid);
    assert!(sent.is_empty());
    let sent = h.advance_to(55_000);
    assert_eq!(sent[0].body_str(), "2");
    // No pong this time: closed at 55 + 20 s.
    assert!(h.advance_to(74_999).is_empty());
    h.advance_to(75_000);
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::PingTimeout)]);
    assert!(h.server.is_empty());
}

#[test]
fn heartbeat_over_websocket() {
    let mut h = Harness::new(Config::default());
    let (handle, _, open) = h.open_ws();
    let ws = loopio_engine::TransportId(open.to);
    let sent = h.advance_to(25_000);
    assert_eq!(
        (sent[0].kind, sent[0].bytes.as_slice()),
        (TransmitKind::WsText, &b"2"[..])
    );
    h.advance_to(26_000);
    assert!(h.ws(handle, ws, Data::Text("3")).is_empty());
    assert_eq!(h.timeout_of(handle), Some(51_000));
    // A client ping is the wrong direction in protocol 4.
    let sent = h.ws(handle, ws, Data::Text("2"));
    assert_eq!(sent[0].kind, TransmitKind::WsClose);
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::TransportError)]);
}

#[test]
fn post_delivers_messages_in_order() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let sent = h.post(&sid, b"4hello\x1ebAQID\x1e6\x1e4\xc3\xa9");
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].status(), sent[0].body_str()), (200, "ok"));
    assert_eq!(
        h.events(handle),
        [
            Ev::Text("hello".into()),
            Ev::Binary(vec![1, 2, 3]),
            Ev::Text("é".into())
        ]
    );
}

#[test]
fn held_get_returns_everything_queued() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    h.send(handle, Data::Text("a"));
    h.send(handle, Data::Binary(&[1, 2, 3]));
    let (_, sent) = h.get(&sid);
    assert_eq!(sent[0].body(), b"4a\x1ebAQID");
    // Held, then released by the next send.
    let (get, sent) = h.get(&sid);
    assert!(sent.is_empty());
    let sent = h.send(handle, Data::Text("b"));
    assert_eq!((sent[0].to, sent[0].body_str()), (get.0, "4b"));
}

#[test]
fn get_responses_are_capped_at_max_payload() {
    let mut h = Harness::new(Config {
        // "4aaaa", separator, "4bbbb": exactly 11 bytes.
        max_payload: 11,
        ..Config::default()
    });
    let (handle, sid, _) = h.open_polling();
    for text in ["aaaa", "bbbb", "cccc"] {
        h.send(handle, Data::Text(text));
    }
    assert_eq!(h.get(&sid).1[0].body_str(), "4aaaa\x1e4bbbb");
    assert_eq!(h.get(&sid).1[0].body_str(), "4cccc");
    // One packet larger than the cap still goes, alone.
    h.send(handle, Data::Text("0123456789abc"));
    h.send(handle, Data::Text("d"));
    assert_eq!(h.get(&sid).1[0].body_str(), "40123456789abc");
    assert_eq!(h.get(&sid).1[0].body_str(), "4d");
}

#[test]
fn duplicate_get_closes_the_session() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (first, _) = h.get(&sid);
    let (second, sent) = h.get(&sid);
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].to, sent[0].body_str()), (first.0, "1"));
    assert_eq!(
        (sent[1].to, sent[1].status(), sent[1].body()),
        (second.0, 400, &b""[..])
    );
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::TransportError)]);
    let sent = h.refused(&head(
        "GET",
        &format!("EIO=4&transport=polling&sid={sid}"),
        false,
    ));
    assert_eq!(
        sent.body_str(),
        r#"{"code":1,"message":"Session ID unknown"}"#
    );
}

#[test]
fn oversize_post_is_413_and_closes() {
    let mut h = Harness::new(Config {
        max_payload: 8,
        ..Config::default()
    });
    let (handle, sid, _) = h.open_polling();
    let sent = h.post(&sid, b"4123456789");
    assert_eq!((sent[0].status(), sent[0].body()), (413, &b""[..]));
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::TransportError)]);
    // The loop's body decoder may also stop at the limit itself.
    let (handle, sid, _) = h.open_polling();
    let query = format!("EIO=4&transport=polling&sid={sid}");
    let (_, request) = h.session_request(&head("POST", &query, false));
    let (id, now) = (h.id(), h.now);
    h.conn(handle).handle_post_too_large(now, id, &request);
    assert_eq!(h.drain(handle)[0].status(), 413);
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::TransportError)]);
}

#[test]
fn malformed_payloads_close_only_that_session() {
    let cases: [(&[u8], Vec<Ev>); 5] = [
        (b"9", vec![]),
        (b"4ok\x1ebAQ!D", vec![Ev::Text("ok".into())]),
        (b"4a\x1e", vec![Ev::Text("a".into())]),
        (b"", vec![]),
        (b"4\xff", vec![]),
    ];
    let mut h = Harness::new(Config::default());
    let (bystander, bystander_sid, _) = h.open_polling();
    for (body, before) in cases {
        let (handle, sid, _) = h.open_polling();
        let (get, _) = h.get(&sid);
        let sent = h.post(&sid, body);
        assert_eq!((sent[0].to, sent[0].body_str()), (get.0, "1"), "{body:?}");
        assert_eq!(sent[1].body_str(), "ok");
        let mut events = h.events(handle);
        assert_eq!(
            events.pop(),
            Some(Ev::Closed(CloseReason::ParseError)),
            "{body:?}"
        );
        assert_eq!(events, before, "packets before the bad one are delivered");
    }
    assert_eq!(h.server.len(), 1);
    assert_eq!(h.post(&bystander_sid, b"4still here")[0].body_str(), "ok");
    assert_eq!(h.events(bystander), [Ev::Text("still here".into())]);
}

#[test]
fn malformed_websocket_message_closes_with_parse_error() {
    let mut h = Harness::new(Config::default());
    let (handle, _, open) = h.open_ws();
    let sent = h.ws(handle, loopio_engine::TransportId(open.to), Data::Text("x"));
    assert_eq!(sent[0].kind, TransmitKind::WsClose);
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::ParseError)]);
}

#[test]
fn client_close_packet_releases_the_get_with_noop() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (get, _) = h.get(&sid);
    let sent = h.post(&sid, b"1");
    assert_eq!((sent[0].to, sent[0].body_str()), (get.0, "6"));
    assert_eq!(sent[1].body_str(), "ok");
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::TransportClose)]);
}

#[test]
fn dropped_get_is_a_transport_error() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, _) = h.open_polling();
    let (get, _) = h.get(&sid);
    assert!(h.transport_closed(handle, get).is_empty());
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::TransportError)]);
}

#[test]
fn server_close_over_polling() {
    let mut h = Harness::new(Config::default());
    // With a held GET and nothing queued: `1` right away.
    let (handle, sid, _) = h.open_polling();
    let (get, _) = h.get(&sid);
    let sent = h.close(handle);
    assert_eq!((sent[0].to, sent[0].body_str()), (get.0, "1"));
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::ForcedClose)]);
    // Without one: queued packets then `1` on the next GET.
    let (handle, sid, _) = h.open_polling();
    h.send(handle, Data::Text("bye"));
    assert!(h.close(handle).is_empty());
    assert_eq!(
        h.conn(handle).send(Data::Text("late")),
        Err(loopio_engine::SendError::Closed)
    );
    assert_eq!(h.get(&sid).1[0].body_str(), "4bye\x1e1");
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::ForcedClose)]);
    // Nothing queued and no GET for close_timeout: closed silently.
    let (handle, sid, _) = h.open_polling();
    h.close(handle);
    assert_eq!(h.timeout_of(handle), Some(30_000));
    h.advance_to(30_000);
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::ForcedClose)]);
    assert!(h.server.lookup(&sid).is_none());
}

#[test]
fn server_close_over_websocket_flushes_first() {
    let mut h = Harness::new(Config::default());
    let (handle, _, open) = h.open_ws();
    h.conn(handle).send(Data::Text("last")).unwrap();
    let sent = h.close(handle);
    let kinds: Vec<_> = sent.iter().map(|s| (s.to, s.kind)).collect();
    assert_eq!(
        kinds,
        [
            (open.to, TransmitKind::WsText),
            (open.to, TransmitKind::WsClose)
        ]
    );
    assert_eq!(sent[0].bytes, b"4last");
    assert_eq!(h.events(handle), [Ev::Closed(CloseReason::ForcedClose)]);
}

#[test]
fn websocket_binary_is_raw_and_polling_binary_is_base64() {
    let mut h = Harness::new(Config::default());
    let (handle, _, open) = h.open_ws();
    let sent = h.send(handle, Data::Binary(&[0, 255]));
    assert_eq!(
        (sent[0].kind, sent[0].bytes.as_slice()),
        (TransmitKind::WsBinary, &[0, 255][..])
    );
    h.ws(
        handle,
        loopio_engine::TransportId(open.to),
        Data::Binary(&[9]),
    );
    assert_eq!(h.events(handle), [Ev::Binary(vec![9])]);
}

#[test]
fn cors_list_echoes_allowed_origins() {
    let cors = Cors {
        origins: AllowedOrigins::List(vec!["https://a.example".into()]),
        credentials: true,
    };
    let mut h = Harness::new(Config {
        cors,
        ..Config::default()
    });
    let mut request = head("OPTIONS", "EIO=4&transport=polling", false);
    request.origin = Some("https://a.example");
    request.access_control_request_headers = Some("content-type");
    let sent = h.refused(&request);
    assert_eq!(sent.status(), 204);
    assert_eq!(
        sent.header("access-control-allow-origin").as_deref(),
        Some("https://a.example")
    );
    assert_eq!(
        sent.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert_eq!(
        sent.header("access-control-allow-methods").as_deref(),
        Some("GET,HEAD,PUT,PATCH,POST,DELETE")
    );
    assert_eq!(
        sent.header("access-control-allow-headers").as_deref(),
        Some("content-type")
    );
    // The handshake response carries them too; an unlisted origin gets only `Vary`.
    request.method = "GET";
    let Route::Incoming(incoming) = h.route(&request).0 else {
        panic!("handshake")
    };
    let id = h.id();
    let (handle, _) = h.server.accept(h.now, incoming, id);
    let _ = handle;
    let mut request = head(
        "GET",
        "EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA",
        false,
    );
    request.origin = Some("https://evil.example");
    let sent = h.refused(&request);
    assert_eq!(sent.header("access-control-allow-origin"), None);
    assert_eq!(sent.header("vary").as_deref(), Some("Origin"));
}

#[test]
fn cors_any_and_none() {
    let cors = Cors {
        origins: AllowedOrigins::Any,
        credentials: false,
    };
    let mut h = Harness::new(Config {
        cors,
        ..Config::default()
    });
    let (_, _, sent) = h.open_polling();
    assert_eq!(
        sent.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    let mut h = Harness::new(Config::default());
    let (_, _, sent) = h.open_polling();
    assert_eq!(sent.header("access-control-allow-origin"), None);
    // Without CORS, OPTIONS is just a bad handshake method.
    let sent = h.refused(&head("OPTIONS", "EIO=4&transport=polling", false));
    assert_eq!(
        sent.body_str(),
        r#"{"code":2,"message":"Bad handshake method"}"#
    );
}

#[test]
fn cookie_is_set_on_the_handshake_only() {
    let mut h = Harness::new(Config {
        cookie: true,
        ..Config::default()
    });
    let (handle, sid, sent) = h.open_polling();
    let cookie = format!("io={sid}; Path=/; HttpOnly; SameSite=Lax");
    assert_eq!(sent.header("set-cookie"), Some(cookie));
    h.send(handle, Data::Text("x"));
    assert_eq!(h.get(&sid).1[0].header("set-cookie"), None);
}

#[test]
fn other_methods_on_a_session_get_500() {
    let mut h = Harness::new(Config::default());
    let (_, sid, _) = h.open_polling();
    let sent = h.refused(&head(
        "PUT",
        &format!("EIO=4&transport=polling&sid={sid}"),
        false,
    ));
    assert_eq!(sent.status(), 500);
}

#[test]
fn session_state_is_small() {
    let size = std::mem::size_of::<loopio_engine::Connection>();
    println!("size_of::<Connection>() = {size}");
    assert!(size <= 320, "Connection grew to {size} bytes");
}
