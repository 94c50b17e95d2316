//! The Autobahn testee: echoes every WebSocket message, text as text and binary as binary.
//!
//! ```text
//! cargo run --release --example echo_server [ADDR]     # default 127.0.0.1:9001
//! ```

use loopio::net::{Config, ConnId, Ctx, Data, EventLoop, Service};

struct Echo;

impl Service for Echo {
    fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
        // A failed send means the connection is already closing; nothing to do.
        let _ = match data {
            Data::Text(text) => ctx.send_text(conn, text),
            Data::Binary(bytes) => ctx.send_binary(conn, bytes),
        };
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let addr = addr.parse().map_err(|err| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{addr}: {err}"))
    })?;
    let mut event_loop = EventLoop::new(Config::default(), Echo)?;
    let bound = event_loop.listen(addr)?;
    eprintln!("echo_server listening on ws://{bound}");
    event_loop.run()
}
