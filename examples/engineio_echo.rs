//! Engine.IO v4 echo server in the reference configuration of the protocol spec's test suite:
//! each message comes back on its session, text as text and binary as binary.
//!
//! ```text
//! cargo run --release --example engineio_echo [ADDR]     # ADDR defaults to 127.0.0.1:3000
//! LOOPIO_TRACE=1 cargo run --example engineio_echo       # print every packet in and out
//! ```
//!
//! Settings: path `/engine.io/`, `pingInterval` 300 ms, `pingTimeout` 200 ms, `maxPayload`
//! 1 000 000 bytes, CORS `*`.

use std::time::Duration;

use loopio::engineio::{self, AllowedOrigins, Config, Cors, Data, Handler, SessionId, Sessions};

struct Echo;

impl Handler for Echo {
    fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
        // A full outbox means the client stopped reading; its ping timeout will end it.
        let _ = sessions.send(session, data);
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let addr = addr
        .parse()
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad address"))?;
    let config = Config {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        max_payload: 1_000_000,
        path: "/engine.io/".to_owned(),
        cors: Cors {
            origins: AllowedOrigins::Any,
            credentials: false,
        },
        ..Config::default()
    };
    let mut event_loop = engineio::event_loop(config, Echo)?;
    let local = event_loop.listen(addr)?;
    eprintln!("engineio_echo listening on http://{local}/engine.io/");
    event_loop.run()
}
