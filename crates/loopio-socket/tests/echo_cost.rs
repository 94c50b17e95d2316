//! Per-packet cost of the event echo path (run with `--release -- --ignored --nocapture`).

use std::time::Instant;

use loopio_socket::{ClientId, Config, Handshake, Server};

#[test]
#[ignore = "timing, not a check"]
fn echo_cost() {
    let t0 = Instant::now();
    let mut io = Server::new(Config::new([1; 32]), t0);
    io.of("/").on_connection(|socket| {
        socket.on("echo", |ctx, data: serde_json::Value| {
            ctx.socket().emit("echo", &data)
        });
        socket.on("raw", |ctx, data: Box<serde_json::value::RawValue>| {
            ctx.socket().emit("raw", &data)
        });
    });
    io.handle_open(t0, ClientId(1), Handshake::new(t0, "x"));
    io.handle_text(t0, ClientId(1), "0");
    while io.poll_transmit().is_some() {}
    for (name, packet) in [
        ("value", r#"2["echo",{"text":"hello world","n":42}]"#),
        ("raw", r#"2["raw",{"text":"hello world","n":42}]"#),
    ] {
        let rounds = 1_000_000;
        let start = Instant::now();
        for _ in 0..rounds {
            io.handle_text(t0, ClientId(1), packet);
            while let Some(t) = io.poll_transmit() {
                std::hint::black_box(t);
            }
        }
        println!("{name}: {:?} per echo", start.elapsed() / rounds);
    }
}
