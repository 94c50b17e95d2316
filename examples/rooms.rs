//! Rooms: sockets join named rooms and messages reach exactly one room.
//!
//! ```text
//! cargo run --release --example rooms [ADDR]   # ADDR defaults to 127.0.0.1:$PORT (3000)
//! ```
//!
//! `join room "lobby"` puts the socket in `lobby` and tells the others already there;
//! `send to room {"room":"lobby","msg":"hi"}` reaches everyone in `lobby`, sender included.

use loopio::socketio::{Socket, SocketIo};
use serde::Deserialize;
use serde_json::Value;

/// The data of `send to room`.
#[derive(Deserialize)]
struct RoomMessage {
    room: String,
    msg: Value,
}

/// The room handlers for one socket (also used by the `seed_demo` example).
pub fn handlers(socket: &mut Socket<'_>) {
    socket.on("join room", |ctx, room: String| {
        ctx.socket().join(&room);
        // `socket.to(room)`: the room's sockets except this one.
        ctx.socket()
            .to(&room)
            .emit("notice", &"새로운 유저가 입장했습니다.")
    });
    socket.on("send to room", |ctx, message: RoomMessage| {
        // `io.to(room)`: every socket in the room, this one included, and nobody else.
        ctx.io().to(message.room).emit("new message", &message.msg)
    });
}

/// `ADDR` from the first argument, else `127.0.0.1:$PORT`, else `127.0.0.1:3000`.
#[allow(dead_code)]
fn address() -> String {
    std::env::args().nth(1).unwrap_or_else(|| {
        let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
        format!("127.0.0.1:{port}")
    })
}

#[allow(dead_code)] // `seed_demo` includes this file for `handlers`, not its `main`
fn main() -> std::io::Result<()> {
    let mut io = SocketIo::builder().build()?;
    io.of("/").on_connection(handlers);
    let local = io.listen(address())?;
    println!("rooms on http://{local}/");
    io.run()
}
