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
