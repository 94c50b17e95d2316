//! loopio: a real-time web stack on one `mio` event loop.
//!
//! Today it serves and dials RFC 6455 WebSockets; Engine.IO and Socket.IO layers join through the
//! same [`net::Service`] interface.
//!
//! | module | what |
//! |---|---|
//! | [`net`] | the event loop, the [`net::Service`] trait, the cross-thread [`net::Handle`] |
//! | [`frame`] | the RFC 6455 frame codec |
//! | [`handshake`] | HTTP/1.1 heads and the upgrade |
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
pub mod socketio;

pub use loopio_frame as frame;
pub use loopio_handshake as handshake;
pub use loopio_net as net;

pub use loopio_net::{
    CloseCode, Config, ConnId, Ctx, Data, EventLoop, Handle, HttpReply, Response, Service,
    UpgradeReply,
};
