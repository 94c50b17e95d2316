//! WebSocket echo on tokio-tungstenite, one current_thread runtime.
//!
//! ```text
//! tungstenite_echo [ADDR]     # default 127.0.0.1:9201
//! ```

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

async fn serve(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        let reply = match message {
            Message::Text(_) | Message::Binary(_) => message,
            Message::Close(_) => break,
            _ => continue,
        };
        // `send` flushes; feed + flush-when-idle would batch, but this is the idiomatic echo loop.
        if ws.send(reply).await.is_err() {
            break;
        }
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
