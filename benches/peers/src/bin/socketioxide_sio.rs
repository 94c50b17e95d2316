//! Socket.IO bench server on socketioxide + axum, one current_thread runtime.
//!
//! Same behaviour as loopio's `bench_sio` example: `echo` → `echo` back to the sender;
//! `broadcast` → `broadcast` to every socket of `/`, sender included.
//!
//! ```text
//! socketioxide_sio [ADDR]     # default 127.0.0.1:9203
//! ```

use axum::serve::ListenerExt;
use serde_json::Value;
use socketioxide::extract::{Data, SocketRef};
use socketioxide::SocketIo;
use tokio::net::TcpListener;

fn main() {
    let addr = loopio_bench_peers::listen_addr("127.0.0.1:9203");
    loopio_bench_peers::runtime().block_on(async move {
        let (layer, io) = SocketIo::new_layer();
        io.ns("/", async |socket: SocketRef| {
            socket.on("echo", async |socket: SocketRef, Data::<Value>(data)| {
                socket.emit("echo", &data).ok();
            });
            socket.on("broadcast", async |io: SocketIo, Data::<Value>(data)| {
                io.emit("broadcast", &data).await.ok();
            });
        });
        let app = axum::Router::new().layer(layer);
        let listener = TcpListener::bind(addr).await.expect("bind");
        eprintln!("socketioxide_sio listening on http://{addr}");
        // Like every other server in the matrix: no Nagle delay on small frames.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await.expect("serve");
    });
}
