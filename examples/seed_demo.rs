//! The `chat`, `rooms` and `namespaces` examples in one server, with the chat page at `/`.
//!
//! ```text
//! PORT=3000 cargo run --release --example seed_demo    # listens on 127.0.0.1:$PORT
//! ```
//!
//! - `/`: `chat message` to everyone; `join room` and `send to room`.
//! - `/customer-chat`: `msg` → `msg` "고객 문의: …" to the namespace.
//! - `/admin-alert` (needs `auth: { token: "admin-secret" }`): `order` → `new_order`.

#[path = "chat.rs"]
mod chat;
#[path = "namespaces.rs"]
mod namespaces;
#[path = "rooms.rs"]
mod rooms;

use loopio::socketio::SocketIo;

fn main() -> std::io::Result<()> {
    let mut io = SocketIo::builder().build()?;
    // One connection handler per namespace: the main one gets both sets of handlers.
    io.of("/").on_connection(|socket| {
        chat::handlers(socket);
        rooms::handlers(socket);
    });
    namespaces::register(&mut io);
    chat::serve_page(&mut io);
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let local = io.listen(format!("127.0.0.1:{port}"))?;
    println!("seed_demo on http://{local}/");
    io.run()
}
