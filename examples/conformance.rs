//! The reference server of the Socket.IO protocol's test suite
//! (`socket.io-protocol/test-suite`), for running that suite against loopio.
//!
//! ```text
//! cargo run --release --example conformance [ADDR]   # ADDR defaults to 127.0.0.1:3000
//! ```
//!
//! Settings as in the suite's Node server: `pingInterval` 300 ms, `pingTimeout` 200 ms,
//! `maxPayload` 1 000 000 bytes, `connectTimeout` 1000 ms, CORS origin `*`. On `/` and
//! `/custom`: emit `auth` with the CONNECT payload, answer `message` with `message-back`
//! and the same arguments, and ack `message-with-ack` with the same arguments.
//!
//! One loopio addition, for `e2e/socketio` (the suite never sends it): `server-ack` makes the
//! server emit `ack-me` with the same arguments and an ack request, then report the client's
//! answer as `ack-result`, or `ack-timeout` when none came within 500 ms.

use std::time::Duration;

use loopio::socketio::{AckError, Payload, RawArgs, Server, SocketIo};

fn main() -> std::io::Result<()> {
    let mut io = SocketIo::builder()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000)
        .connect_timeout(Duration::from_millis(1000))
        .cors_any()
        .build()?;
    for nsp in ["/", "/custom"] {
        io.of(nsp).on_connection(|socket| {
            let auth = socket.auth().clone();
            let _ = socket.emit("auth", &auth);
            // `on_any` sees every event; RawArgs sends the arguments on as they came,
            // binary attachments included.
            socket.on_any(|ctx| {
                let args = ctx.args().clone();
                match ctx.event() {
                    "message" => ctx.socket().emit("message-back", &RawArgs::new(&args)),
                    "message-with-ack" => ctx.ack(&RawArgs::new(&args)),
                    "server-ack" => {
                        // The ack callback gets the server, not the socket: reply through the
                        // socket's own room, named by its id. `Payload` keeps binary as bytes.
                        let socket = ctx.socket();
                        let (nsp, id) = (socket.namespace().to_owned(), socket.id());
                        let report = move |io: &mut Server, answer: Result<Payload, AckError>| {
                            let to_socket = io.of(&nsp).to(id.as_str());
                            let _ = match answer {
                                Ok(answer) => to_socket.emit("ack-result", &answer),
                                Err(error) => to_socket.emit("ack-timeout", &error.to_string()),
                            };
                        };
                        socket.timeout(Duration::from_millis(500)).emit_with_ack(
                            "ack-me",
                            &RawArgs::new(&args),
                            report,
                        )
                    }
                    _ => Ok(()),
                }
            });
        });
    }
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let local = io.listen(addr)?;
    println!("conformance server on http://{local}/socket.io/");
    io.run()
}
