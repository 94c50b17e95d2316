//! CONNECT, namespaces, middlewares and the connect timeout.

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use loopio_socket::{path_pattern, Config, ConnectError};
use serde_json::json;
use support::Harness;

#[test]
fn connect_to_main_namespace_replies_with_a_fresh_sid() {
    let mut h = Harness::new();
    h.open(1);
    h.text(1, "0");
    let out = h.drain_for(1);
    assert_eq!(out.len(), 1);
    let value: serde_json::Value = serde_json::from_str(&out[0][1..]).unwrap();
    let sid = value["sid"].as_str().unwrap();
    assert_eq!(sid.len(), 20);
    assert_eq!(out[0], format!(r#"0{{"sid":"{sid}"}}"#));
    assert_ne!(h.connect(2), sid);
}

#[test]
fn connect_to_custom_namespace_and_multiplex() {
    let mut h = Harness::new();
    h.io.of("/admin");
    h.open(1);
    h.text(1, "0/admin,");
    let out = h.drain_for(1);
    assert!(out[0].starts_with(r#"0/admin,{"sid":""#), "{out:?}");
    h.text(1, "0");
    assert!(h.drain_for(1)[0].starts_with(r#"0{"sid":""#));
    assert_eq!(h.io.stats().sockets, 2);
}

#[test]
fn unknown_namespace_is_refused() {
    let mut h = Harness::new();
    h.open(1);
    h.text(1, "0/nope,");
    assert_eq!(
        h.drain_for(1),
        [r#"4/nope,{"message":"Invalid namespace"}"#]
    );
    assert_eq!(h.io.stats().sockets, 0);
    assert_eq!(h.io.stats().clients, 1, "the connection stays open");
}

#[test]
fn middleware_sees_auth_and_handshake_and_can_refuse_with_data() {
    let mut h = Harness::new();
    h.io.of("/admin").use_middleware(|socket| {
        assert_eq!(socket.handshake().header("x-test"), Some("1"));
        assert_eq!(socket.handshake().query_value("EIO"), Some("4"));
        match socket.auth()["token"].as_str() {
            Some("good") => Ok(()),
            _ => Err(ConnectError::new("not authorized").with_data(json!({"content": "retry"}))),
        }
    });
    h.open(1);
    h.text(1, r#"0/admin,{"token":"bad"}"#);
    assert_eq!(
        h.drain_for(1),
        [r#"4/admin,{"message":"not authorized","data":{"content":"retry"}}"#]
    );
    h.text(1, r#"0/admin,{"token":"good"}"#);
    assert!(h.drain_for(1)[0].starts_with(r#"0/admin,{"sid":"#));
}

#[test]
fn middlewares_run_in_order_and_stop_at_the_first_refusal() {
    let mut h = Harness::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (a, b) = (seen.clone(), seen.clone());
    h.io.of("/")
        .use_middleware(move |_| {
            a.borrow_mut().push(1);
            Err(ConnectError::new("first"))
        })
        .use_middleware(move |_| {
            b.borrow_mut().push(2);
            Ok(())
        });
    h.open(1);
    h.text(1, "0");
    assert_eq!(h.drain_for(1), [r#"4{"message":"first"}"#]);
    assert_eq!(*seen.borrow(), [1]);
}

#[test]
fn middleware_data_reaches_the_connection_handler() {
    struct User(String);
    let mut h = Harness::new();
    h.io.of("/")
        .use_middleware(|socket| {
            let name = socket.auth()["name"].as_str().unwrap_or("anon").to_owned();
            socket.extensions().insert(User(name));
            Ok(())
        })
        .on_connection(|socket| {
            let name = socket.extensions().get::<User>().unwrap().0.clone();
            socket.emit("hello", &name).unwrap();
        });
    h.open(1);
    h.text(1, r#"0{"name":"ada"}"#);
    let out = h.drain_for(1);
    assert!(out[0].starts_with("0{"));
    assert_eq!(out[1], r#"2["hello","ada"]"#);
}

#[test]
fn connect_timeout_closes_idle_clients_in_virtual_time() {
    let mut h = Harness::new();
    h.open(1);
    assert_eq!(
        h.io.poll_timeout(),
        Some(h.t0 + std::time::Duration::from_millis(45_000))
    );
    h.timeout(44_999);
    assert!(h.drain().is_empty());
    h.timeout(45_000);
    assert_eq!(h.drain(), [(1, "<close>".to_owned())]);
    assert_eq!(h.io.stats().clients, 0);
    assert_eq!(h.io.poll_timeout(), None);
}

#[test]
fn connecting_cancels_the_connect_timeout_even_if_refused_later() {
    let mut config = Config::new([1; 32]);
    config.connect_timeout = std::time::Duration::from_millis(100);
    let mut h = Harness::with_config(config);
    h.open(1);
    h.text(1, "0/missing,");
    h.drain();
    // A refused CONNECT does not count: the timer still runs.
    assert!(h.io.poll_timeout().is_some());
    h.text(1, "0");
    h.drain();
    assert_eq!(h.io.poll_timeout(), None);
    h.timeout(1_000);
    assert!(h.drain().is_empty());
    // Leaving every namespace does not re-arm it, as in socket.io.
    h.text(1, "1");
    assert_eq!(h.io.stats().sockets, 0);
    assert_eq!(h.io.poll_timeout(), None);
}

#[test]
fn dynamic_namespaces_are_created_on_first_use_and_dropped_when_empty() {
    let mut h = Harness::new();
    h.io.of_dynamic(path_pattern("/team/*"))
        .on_connection(|socket| {
            let nsp = socket.namespace().to_owned();
            socket.emit("welcome", &nsp).unwrap();
        });
    h.open(1);
    h.text(1, "0/team/7,");
    let out = h.drain_for(1);
    assert!(out[0].starts_with(r#"0/team/7,{"sid""#));
    assert_eq!(out[1], r#"2/team/7,["welcome","/team/7"]"#);
    assert_eq!(h.io.stats().namespaces, 2);
    h.text(1, "0/other,");
    assert_eq!(
        h.drain_for(1),
        [r#"4/other,{"message":"Invalid namespace"}"#]
    );
    h.text(1, "1/team/7,");
    assert_eq!(h.io.stats().namespaces, 1);
}

/// socket.io's `Client::ondecoded`: a CONNECT to a namespace already joined is an "invalid
/// state" that closes the client.
#[test]
fn duplicate_connect_closes_the_client() {
    let mut h = Harness::new();
    h.connect(1);
    h.text(1, "0");
    assert_eq!(h.drain(), [(1, "<close>".to_owned())]);
    assert_eq!(h.io.stats().sockets, 0);
    assert_eq!(h.io.stats().clients, 0);
}

#[test]
fn connect_payload_must_be_an_object() {
    let mut h = Harness::new();
    h.open(1);
    h.text(1, r#"0"token""#);
    assert_eq!(h.drain(), [(1, "<close>".to_owned())]);
}
