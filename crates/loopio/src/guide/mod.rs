//! The loopio guide: how the stack works, shown with the bytes it puts on the wire.
//!
//! This module holds no code, only chapters. Read them in order the first time; each one also
//! stands on its own.
//!
//! | chapter | what it shows |
//! |---|---|
//! | [`journey`] | one chat message from an official client, byte by byte: the polling handshake, the Socket.IO CONNECT, the upgrade, a masked frame decoded bit by bit, binary attachments, an ack, the heartbeat and the close handshake |
//! | [`event_loop`] | how the one-thread loop turns (scratch read buffer, in-place decoding, one write per connection per turn, back-pressure, timers, the `Handle`) and why it is built that way |
//! | [`limits`] | every limit and timeout, its default, and what happens to a peer that passes it |
//! | [`tracing`] | `LOOPIO_TRACE=1`: what it prints for one real session, line by line |
//! | [`layers`] | choosing a layer: a raw WebSocket [`Service`](crate::net::Service), an Engine.IO [`Handler`](crate::engineio::Handler) or Socket.IO's [`SocketIo`](crate::socketio::SocketIo) |
//!
//! # Where the bytes come from
//!
//! Nothing in these chapters was typed from memory. The wire bytes were captured from the
//! `chat` example (`LOOPIO_TRACE=1 cargo run --example chat`) talking to the official Node
//! `socket.io-client` 4.8.4, through a small TCP relay on port 3001 that printed every chunk
//! in hex (which is why the `Host` header says `3001`). Session ids, masking keys and the `t=`
//! cache-busters are random, so a run of your own shows other values in the same places.
//! Where a chapter says "checked", a doc test below it feeds the captured bytes to the crates
//! (or has the crates produce them) and `assert_eq!`s them, so `cargo test -p loopio --doc`
//! fails if the text and the code ever disagree.
//!
//! The doc tests use the layer crates by their own names (`loopio_frame`, `loopio_engine`,
//! `loopio_socket`, `loopio_handshake`): the facade re-exports the first and the last as
//! [`crate::frame`] and [`crate::handshake`], and wires the other two into
//! [`crate::engineio`] and [`crate::socketio`].

pub mod event_loop;
pub mod journey;
pub mod layers;
pub mod limits;
pub mod tracing;
