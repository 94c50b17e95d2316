//! WebSocket server scenarios over real sockets on 127.0.0.1:0.

mod support;

use std::io::Write;
use std::net::Shutdown;
use std::time::Duration;

use loopio_net::{CloseCode, CloseReason, Config, Initiator};
use support::*;

#[test]
fn echoes_text_and_binary() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    ws.write_all(&frame(true, 0x1, b"Hello")).unwrap();
    assert_eq!(read_frame(&mut ws), (true, 0x1, b"Hello".to_vec()));
    let big = vec![0xa5; 70_000];
    ws.write_all(&frame(true, 0x2, &big)).unwrap();
    assert_eq!(read_frame(&mut ws), (true, 0x2, big));
    server.stop();
}

/// A message and the peer's FIN arrive together: the read that takes the message does not
/// fill the buffer, yet the loop must read on to the EOF, since no later event reports it.
#[test]
fn message_and_fin_together_are_both_seen() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let Seen::Open(id) = server.next_seen() else {
        panic!("expected the open first");
    };
    ws.write_all(&frame(true, 0x1, b"last words")).unwrap();
    ws.shutdown(Shutdown::Write).unwrap();
    assert_eq!(server.next_seen(), Seen::Message(id, "last words".into()));
    assert_eq!(server.next_seen(), Seen::Closed(id, CloseReason::Dropped));
    server.stop();
}

/// `send_text_parts` frames its parts as one message.
#[test]
fn text_parts_are_one_frame() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    ws.write_all(&frame(true, 0x1, b"parts")).unwrap();
    assert_eq!(read_frame(&mut ws), (true, 0x1, b"4parts".to_vec()));
    server.stop();
}

/// Parts adding up to each header length form (7-bit up to 125, 16-bit, 64-bit).
#[test]
fn text_parts_use_every_length_form() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    ws.write_all(&frame(true, 0x1, b"long parts")).unwrap();
    for len in [124, 125, 70_000] {
        let text = format!("4{}", "x".repeat(len));
        assert_eq!(read_frame(&mut ws), (true, 0x1, text.into_bytes()));
    }
    server.stop();
}

#[test]
fn frames_pipelined_with_the_upgrade_are_not_lost() {
    let server = Server::start(Config::default());
    let mut ws = connect(server.addr);
    let mut packet = upgrade_request("/");
    packet.extend(frame(true, 0x1, b"one"));
    packet.extend(frame(true, 0x1, b"two"));
    ws.write_all(&packet).unwrap();
    assert!(read_head(&mut ws).starts_with("HTTP/1.1 101"));
    assert_eq!(read_frame(&mut ws).2, b"one");
    assert_eq!(read_frame(&mut ws).2, b"two");
    server.stop();
}

#[test]
fn fragmented_message_is_assembled_around_a_ping() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let mut packet = frame(false, 0x1, b"Hel");
    packet.extend(frame(true, 0x9, b"are you there"));
    packet.extend(frame(true, 0x0, b"lo"));
    ws.write_all(&packet).unwrap();
    // §5.5.2: the pong echoes the ping's payload; it may overtake the fragmented message.
    assert_eq!(read_frame(&mut ws), (true, 0xa, b"are you there".to_vec()));
    assert_eq!(read_frame(&mut ws), (true, 0x1, b"Hello".to_vec()));
    server.stop();
}

#[test]
fn peer_close_is_echoed_then_server_closes_tcp() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let Seen::Open(id) = server.next_seen() else {
        panic!("open first")
    };
    ws.write_all(&frame(true, 0x8, &3001u16.to_be_bytes()))
        .unwrap();
    assert_eq!(read_close(&mut ws), 3001);
    expect_eof(&mut ws);
    let reason = CloseReason::Closed {
        code: CloseCode(3001),
        initiator: Initiator::Remote,
    };
    assert_eq!(server.next_seen(), Seen::Closed(id, reason));
    server.stop();
}

#[test]
fn empty_peer_close_is_answered_with_1000() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    ws.write_all(&frame(true, 0x8, b"")).unwrap();
    assert_eq!(read_close(&mut ws), 1000);
    expect_eof(&mut ws);
    server.stop();
}

#[test]
fn server_close_waits_for_the_peer_then_closes_tcp() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let Seen::Open(id) = server.next_seen() else {
        panic!("open first")
    };
    ws.write_all(&frame(true, 0x1, b"close")).unwrap();
    assert_eq!(read_close(&mut ws), 4000);
    // Data sent after the server's close is dropped, not echoed.
    ws.write_all(&frame(true, 0x1, b"late")).unwrap();
    ws.write_all(&frame(true, 0x8, &4000u16.to_be_bytes()))
        .unwrap();
    expect_eof(&mut ws);
    let reason = CloseReason::Closed {
        code: CloseCode(4000),
        initiator: Initiator::Local,
    };
    assert_eq!(server.next_seen(), Seen::Closed(id, reason));
    server.stop();
}

#[test]
fn close_timeout_drops_a_silent_peer() {
    let config = Config {
        close_timeout: Duration::from_millis(100),
        ..Config::default()
    };
    let server = Server::start(config);
    let mut ws = open_ws(server.addr);
    ws.write_all(&frame(true, 0x1, b"close")).unwrap();
    assert_eq!(read_close(&mut ws), 4000);
    expect_eof(&mut ws);
    server.stop();
}

fn expect_failure(payload: Vec<u8>, config: Config, code: u16) {
    let server = Server::start(config);
    let mut ws = open_ws(server.addr);
    let Seen::Open(id) = server.next_seen() else {
        panic!("open first")
    };
    ws.write_all(&payload).unwrap();
    assert_eq!(read_close(&mut ws), code);
    expect_eof(&mut ws);
    assert_eq!(
        server.next_seen(),
        Seen::Closed(id, CloseReason::Protocol(CloseCode(code)))
    );
    server.stop();
}

#[test]
fn reserved_opcode_fails_with_1002() {
    expect_failure(frame(true, 0x3, b""), Config::default(), 1002);
}

#[test]
fn unmasked_client_frame_fails_with_1002() {
    expect_failure(vec![0x81, 0x02, b'h', b'i'], Config::default(), 1002);
}

#[test]
fn invalid_utf8_fails_with_1007() {
    expect_failure(
        frame(true, 0x1, &[0xce, 0xba, 0xff]),
        Config::default(),
        1007,
    );
}

#[test]
fn oversized_message_fails_with_1009() {
    let mut config = Config::default();
    config.frame_limits.max_frame_size = 1024;
    config.frame_limits.max_message_size = 1024;
    expect_failure(frame(true, 0x2, &[0; 2000]), config, 1009);
}

#[test]
fn slow_reader_is_dropped_while_others_keep_working() {
    let config = Config {
        max_buffered: 2 << 20,
        high_water: 1 << 20,
        ..Config::default()
    };
    let server = Server::start(config);
    let mut slow = open_ws(server.addr);
    let Seen::Open(slow_id) = server.next_seen() else {
        panic!("open first")
    };
    let mut fast = open_ws(server.addr);
    let Seen::Open(_) = server.next_seen() else {
        panic!("open second")
    };
    // The slow peer asks for 8 MiB and never reads.
    slow.write_all(&frame(true, 0x1, b"flood")).unwrap();
    assert_eq!(
        server.next_seen(),
        Seen::Closed(slow_id, CloseReason::Overflow)
    );
    fast.write_all(&frame(true, 0x1, b"still here")).unwrap();
    assert_eq!(read_frame(&mut fast).2, b"still here");
    server.stop();
}

#[test]
fn shutdown_sends_1001_and_the_loop_exits() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let Seen::Open(id) = server.next_seen() else {
        panic!("open first")
    };
    server
        .handle
        .send_text(id, "from another thread".to_owned())
        .unwrap();
    assert_eq!(
        read_frame(&mut ws),
        (true, 0x1, b"from another thread".to_vec())
    );
    server.handle.shutdown().unwrap();
    assert_eq!(read_close(&mut ws), 1001);
    ws.write_all(&frame(true, 0x8, &1001u16.to_be_bytes()))
        .unwrap();
    expect_eof(&mut ws);
    let mut server = server;
    server.join();
    assert_eq!(
        server.handle.shutdown(),
        Err(loopio_net::HandleError::Stopped)
    );
}

#[test]
fn handle_runs_closures_on_the_loop() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let Seen::Open(id) = server.next_seen() else {
        panic!("open first")
    };
    server
        .handle
        .run(move |service, ctx| {
            assert!(service.held.is_empty());
            ctx.send_binary(id, &[1, 2, 3]).unwrap();
        })
        .unwrap();
    assert_eq!(read_frame(&mut ws), (true, 0x2, vec![1, 2, 3]));
    server.stop();
}

#[test]
fn keepalive_pings_a_quiet_peer_then_closes_with_1001() {
    let keepalive = loopio_net::Keepalive {
        interval: Duration::from_millis(50),
        timeout: Duration::from_millis(50),
    };
    let server = Server::start(Config {
        keepalive: Some(keepalive),
        ..Config::default()
    });
    let mut ws = open_ws(server.addr);
    let Seen::Open(id) = server.next_seen() else {
        panic!("open first")
    };
    assert_eq!(read_frame(&mut ws), (true, 0x9, Vec::new()));
    // Answering keeps it alive: the next ping comes after another quiet interval.
    ws.write_all(&frame(true, 0xa, b"")).unwrap();
    assert_eq!(read_frame(&mut ws), (true, 0x9, Vec::new()));
    // Silence after a ping: close 1001.
    assert_eq!(read_close(&mut ws), 1001);
    assert_eq!(server.next_seen(), Seen::Closed(id, CloseReason::Timeout));
    server.stop();
}
