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
