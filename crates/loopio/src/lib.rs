//! loopio: a real-time web stack on one `mio` event loop: Socket.IO v5 over Engine.IO v4
//! (HTTP long-polling that upgrades to WebSocket) over RFC 6455 WebSockets.
//!
//! | module | what |
//! |---|---|
//! | [`socketio`] | Socket.IO servers: namespaces, rooms, acks, binary, the cross-thread [`socketio::IoHandle`] |
//! | [`engineio`] | Engine.IO sessions on the loop, for a protocol of your own above them |
//! | [`net`] | the event loop, the [`net::Service`] trait, the cross-thread [`net::Handle`] |
//! | [`frame`] | the RFC 6455 frame codec |
//! | [`handshake`] | HTTP/1.1 heads and the upgrade |
//! | [`guide`] | how it all works, with real bytes on the wire (docs only) |
//!
//! A chat server the official `socket.io-client` connects to:
//!
//! ```no_run
//! use loopio::socketio::SocketIo;
//! use serde_json::Value;
//!
//! let mut io = SocketIo::builder().cors_any().build()?;
//! io.of("/").on_connection(|socket| {
//!     // Every socket of `/`, the sender included, gets each message.
//!     socket.on("chat message", |ctx, msg: Value| ctx.io().emit("chat message", &msg));
//! });
//! io.listen("127.0.0.1:3000")?;
//! io.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! A plain WebSocket echo server on the same loop:
//!
//! ```no_run
//! use loopio::net::{Config, ConnId, Ctx, Data, EventLoop, Service};
//!
//! struct Echo;
//! impl Service for Echo {
//!     fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
//!         let _ = match data {
//!             Data::Text(text) => ctx.send_text(conn, text),
//!             Data::Binary(bytes) => ctx.send_binary(conn, bytes),
//!         };
//!     }
//! }
//!
//! let mut event_loop = EventLoop::new(Config::default(), Echo)?;
//! event_loop.listen("127.0.0.1:9001".parse().unwrap())?;
//! event_loop.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub mod engineio;
pub mod guide;
pub mod socketio;

pub use loopio_frame as frame;
pub use loopio_handshake as handshake;
pub use loopio_net as net;

pub use loopio_net::{
    CloseCode, Config, ConnId, Ctx, Data, EventLoop, Handle, HttpReply, Response, Service,
    UpgradeReply,
};
