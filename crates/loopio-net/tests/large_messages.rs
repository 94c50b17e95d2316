//! Large messages: written straight to the socket while nothing is queued, buffered (in order)
//! once the socket is full.

mod support;

use std::io::Write;

use loopio_net::Config;
use support::*;

/// The peer sends 64 messages of 70 000 bytes before reading any echo, so the server's socket
/// fills: early echoes go out directly, a later one only in part, and the rest queue behind it.
/// Every echo must come back whole and in order.
#[test]
fn large_echoes_survive_a_full_socket_in_order() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let message = |i: usize| vec![i as u8; 70_000];
    for i in 0..64 {
        ws.write_all(&frame(true, 0x2, &message(i))).unwrap();
    }
    for i in 0..64 {
        assert_eq!(read_frame(&mut ws), (true, 0x2, message(i)), "message {i}");
    }
    server.stop();
}

/// A frame that arrives in pieces is read into the decoder's own buffer after its first
/// piece; bytes after the frame in the same read (here a small message, then a second split
/// frame reusing the buffer) must still be decoded from the loop's buffer, in order.
#[test]
fn frames_split_across_reads_echo_whole_with_what_follows() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let big = |seed: u8| -> Vec<u8> { (0..70_000u32).map(|i| (i % 251) as u8 ^ seed).collect() };
    let pause = || std::thread::sleep(std::time::Duration::from_millis(30));
    for seed in [1, 2] {
        let first = frame(true, 0x2, &big(seed));
        let mut wire = first.clone();
        wire.extend_from_slice(&frame(true, 0x2, b"after"));
        for piece in [
            &wire[..1000],
            &wire[1000..1003],
            &wire[1003..40_001],
            &wire[40_001..],
        ] {
            ws.write_all(piece).unwrap();
            pause();
        }
        assert_eq!(read_frame(&mut ws), (true, 0x2, big(seed)), "seed {seed}");
        assert_eq!(read_frame(&mut ws), (true, 0x2, b"after".to_vec()));
    }
    server.stop();
}

/// Large echoes of frames that arrived whole go out from the loop's read buffer after the
/// read (several in one `writev`), small replies to frames of the same read (pongs, small
/// echoes) through the out buffer after them. The peer sends rounds of two large messages
/// and a ping, one round per read, and reads nothing until the server's socket is full: the
/// round that fills it has its large echoes go out in part while its pong already waits, and
/// every reply must still come back whole and in the order of the requests.
#[test]
fn large_and_small_replies_keep_request_order_with_a_full_socket() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let big = |i: u8| -> Vec<u8> { (0..100_000u32).map(|j| (j % 253) as u8 ^ i).collect() };
    const ROUNDS: u8 = 64;
    for i in 0..ROUNDS {
        let mut wire = frame(true, 0x2, &big(2 * i));
        wire.extend_from_slice(&frame(true, 0x2, &big(2 * i + 1)));
        wire.extend_from_slice(&frame(true, 0x9, &[i]));
        if i % 3 == 0 {
            wire.extend_from_slice(&frame(true, 0x2, &[i; 10]));
        }
        ws.write_all(&wire).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    for i in 0..ROUNDS {
        assert_eq!(
            read_frame(&mut ws),
            (true, 0x2, big(2 * i)),
            "message {}",
            2 * i
        );
        assert_eq!(
            read_frame(&mut ws),
            (true, 0x2, big(2 * i + 1)),
            "message {}",
            2 * i + 1
        );
        assert_eq!(read_frame(&mut ws), (true, 0xA, vec![i]), "pong {i}");
        if i % 3 == 0 {
            assert_eq!(read_frame(&mut ws), (true, 0x2, vec![i; 10]), "small {i}");
        }
    }
    server.stop();
}

/// A close that arrives in the same read as large messages is answered after their echoes.
#[test]
fn close_after_large_messages_follows_their_echoes() {
    let server = Server::start(Config::default());
    let mut ws = open_ws(server.addr);
    let mut wire = Vec::new();
    for i in 0..3u8 {
        wire.extend_from_slice(&frame(true, 0x2, &[i; 40_000]));
    }
    wire.extend_from_slice(&frame(true, 0x8, &1000u16.to_be_bytes()));
    ws.write_all(&wire).unwrap();
    for i in 0..3u8 {
        assert_eq!(
            read_frame(&mut ws),
            (true, 0x2, vec![i; 40_000]),
            "message {i}"
        );
    }
    assert_eq!(read_close(&mut ws), 1000);
    expect_eof(&mut ws);
    server.stop();
}
