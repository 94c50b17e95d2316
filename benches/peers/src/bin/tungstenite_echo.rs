//! WebSocket echo on tokio-tungstenite, one current_thread runtime.
//!
//! ```text
//! tungstenite_echo [ADDR]     # default 127.0.0.1:9201
//! ```

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

async fn serve(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        if !echo(&mut ws, message).await {
            return;
        }
        // Queue whatever else is already readable, then flush once: what `StreamExt::forward`
        // (tokio-tungstenite's own echo example) does, so a batch costs one write, as in loopio.
        while let Some(Some(Ok(message))) = ws.next().now_or_never() {
            if !echo(&mut ws, message).await {
                return;
            }
        }
        if ws.flush().await.is_err() {
            return;
        }
    }
}

/// Queues the echo of a data message; false once the connection is done.
async fn echo(ws: &mut WebSocketStream<TcpStream>, message: Message) -> bool {
    match message {
        Message::Text(_) | Message::Binary(_) => ws.feed(message).await.is_ok(),
        Message::Close(_) => false,
        _ => true,
    }
}

fn main() {
    let addr = loopio_bench_peers::listen_addr("127.0.0.1:9201");
    loopio_bench_peers::runtime().block_on(async move {
        let listener = TcpListener::bind(addr).await.expect("bind");
        eprintln!("tungstenite_echo listening on ws://{addr}");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(serve(stream));
        }
    });
}
