//! The Socket.IO server the load generator (`benches/loadgen`, modes `sio-echo` and
//! `sio-fanout`) measures.
//!
//! ```text
//! PORT=3000 cargo run --release --example bench_sio    # listens on 127.0.0.1:$PORT
//! ```
//!
//! `echo` comes back to its sender with the same arguments; `broadcast` goes to every socket
//! of `/`, sender included. Arguments are never parsed into a `serde_json::Value`: `on_any`
//! skips typed decoding and [`RawArgs`] copies the JSON as written. A broadcast is encoded
//! once; each recipient gets the same bytes.

use loopio::socketio::{RawArgs, SocketIo};

fn main() -> std::io::Result<()> {
    let mut io = SocketIo::builder().build()?;
    io.of("/").on_connection(|socket| {
        socket.on_any(|ctx| {
            let args = ctx.args().clone();
            match ctx.event() {
                "echo" => ctx.socket().emit("echo", &RawArgs::new(&args)),
                "broadcast" => ctx.io().emit("broadcast", &RawArgs::new(&args)),
                _ => Ok(()),
            }
        });
    });
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let local = io.listen(format!("127.0.0.1:{port}"))?;
    println!("bench_sio on http://{local}/socket.io/");
    io.run()
}
