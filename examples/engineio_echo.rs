//! Engine.IO v4 echo server in the reference configuration of the protocol spec's test suite:
//! each message comes back on its session, text as text and binary as binary.
//!
//! ```text
//! cargo run --release --example engineio_echo [ADDR [PING_INTERVAL_MS PING_TIMEOUT_MS]]
//! LOOPIO_TRACE=1 cargo run --example engineio_echo       # print every packet in and out
//! ```
//!
//! Settings: address 127.0.0.1:3000, path `/engine.io/`, `pingInterval` 300 ms, `pingTimeout`
//! 200 ms, `maxPayload` 1 000 000 bytes, CORS `*`. Load tests pass a longer heartbeat: one
//! client process driving hundreds of sessions on a busy machine can stall past 200 ms.

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
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let addr = addr.parse().map_err(|_| invalid("bad address"))?;
    let mut millis = |default: u64| match args.next() {
        Some(text) => text.parse().map_err(|_| invalid("bad milliseconds")),
        None => Ok(default),
    };
    let config = Config {
        ping_interval: Duration::from_millis(millis(300)?),
        ping_timeout: Duration::from_millis(millis(200)?),
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

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, what)
}
