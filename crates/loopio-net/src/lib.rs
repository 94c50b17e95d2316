//! The single-threaded `mio` event loop that drives loopio's sans-I/O protocol crates.
//!
//! `loopio-net` owns sockets, the clock, OS randomness and the cross-thread [`Handle`]. It
//! does no protocol parsing of its own: HTTP heads go to `loopio-handshake`, frames to
//! `loopio-frame`. The application is a [`Service`] whose callbacks get a [`Ctx`] to send,
//! close, answer HTTP requests, connect and set timers.
//!
//! ```text
//!  socket ──read──▶ one 256 KiB buffer ─▶ head parser / frame decoder (in place)
//!                                              │ events
//!                                              ▼
//!                                     Service callbacks (&mut Ctx)
//!                                              │ sends append to the connection's out buffer
//!  socket ◀──one write per turn── out buffer ◀─┘
//! ```
//!
//! Memory per idle WebSocket: the connection struct (see the crate README for its size), no
//! read buffer, and no write buffer once output has drained.
//!
//! ```no_run
//! use loopio_net::{Config, ConnId, Ctx, Data, EventLoop, Service};
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

mod borrowed;
mod client;
mod config;
mod conn;
mod ctx;
mod engine_support;
mod entropy;
mod error;
mod event_loop;
mod handle;
mod input;
mod service;
mod timer;
mod trace;

pub use config::{Config, Keepalive, OverflowPolicy};
pub use ctx::{Ctx, SharedFrame};
pub use error::{ConnectError, HandleError, SendError};
pub use event_loop::EventLoop;
pub use handle::Handle;
pub use loopio_frame::CloseCode;
pub use loopio_handshake::Request;
pub use service::{
    CloseReason, ConnId, Data, HttpReply, Initiator, Response, Service, TimerId, Upgrade,
    UpgradeReply,
};

/// Size in bytes of one connection's state in the slab, for capacity planning.
///
/// ```
/// assert!(loopio_net::connection_state_size() < 512);
/// ```
pub fn connection_state_size() -> usize {
    std::mem::size_of::<ctx::Slot>()
}

#[cfg(test)]
mod tests {
    /// Per-connection memory is a design goal: keep the slot small and report it.
    #[test]
    fn connection_state_stays_small() {
        let slot = super::connection_state_size();
        eprintln!(
            "slot {slot} B, Conn {} B, Input {} B, Decoder {} B",
            std::mem::size_of::<crate::conn::Conn>(),
            std::mem::size_of::<crate::conn::Input>(),
            std::mem::size_of::<loopio_frame::Decoder>()
        );
        assert!(slot <= 256, "slot grew to {slot} bytes");
    }
}
