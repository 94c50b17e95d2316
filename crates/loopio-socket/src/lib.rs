//! Sans-I/O Socket.IO v5 server: packets and binary attachments, namespaces, rooms,
//! acknowledgements and encode-once broadcast, exactly as the `socket.io` 4.x server behaves.
//!
//! **Owns:** the Socket.IO packet codec, reassembly of binary attachments, the CONNECT
//! handshake (middlewares, dynamic namespaces, connect timeout), sockets and their rooms, event
//! dispatch to handlers, acks both ways with timeouts, broadcast selection and the handler API.
//!
//! **Does not own:** sockets, clocks, threads or entropy (callers pass `Instant`s and a seed);
//! Engine.IO (sids, heartbeats, transports, message framing) lives in `loopio-engine` and is
//! seen here only as opaque sessions keyed by [`ClientId`].
//!
//! # Example: a chat server fed real packets
//!
//! ```
//! use loopio_socket::{ClientId, Config, Handshake, Message, Server, Transmit};
//! use serde_json::Value;
//! use std::time::Instant;
//!
//! let t0 = Instant::now();
//! let mut io = Server::new(Config::new([7; 32]), t0); // seed: 32 bytes from the OS
//! io.of("/").on_connection(|socket| {
//!     socket.on("chat message", |ctx, msg: Value| ctx.io().emit("chat message", &msg));
//! });
//!
//! // The glue saw Engine.IO session 1 open, then two message packets on it.
//! io.handle_open(t0, ClientId(1), Handshake::new(t0, "127.0.0.1:50000"));
//! io.handle_text(t0, ClientId(1), "0");
//! io.handle_text(t0, ClientId(1), r#"2["chat message","hello"]"#);
//!
//! let mut sent = Vec::new();
//! while let Some(transmit) = io.poll_transmit() {
//!     if let Transmit::Send { client: ClientId(1), message: Message::Text(text), .. } = transmit {
//!         sent.push(text);
//!     }
//! }
//! assert!(sent[0].starts_with(r#"0{"sid":""#));
//! assert_eq!(&*sent[1], r#"2["chat message","hello"]"#);
//! ```
//!
//! # Driving contract
//!
//! The glue (the facade crate) owns one [`Server`] on the loop thread and calls it like this:
//!
//! 1. **Open.** When Engine.IO session `K` opens: [`Server::handle_open`]`(now, K, handshake)`
//!    with the handshake's headers, query, remote address and time. This arms the connect
//!    timeout.
//! 2. **Messages.** For each Engine.IO message of `K`, in arrival order:
//!    [`Server::handle_text`] for text, [`Server::handle_binary`] for binary. Handlers run
//!    inside these calls, on the loop thread; they must not block.
//! 3. **Close.** When the engine reports `K` closed (for any cause other than a
//!    [`Transmit::Close`] this server asked for): [`Server::handle_close`]`(now, K, reason)`,
//!    mapping Engine.IO's reasons to [`DisconnectReason`] (`TransportClose`,
//!    `TransportError`, `PingTimeout`, `ForcedClose`).
//! 4. **Time.** When the deadline from [`Server::poll_timeout`] passes:
//!    [`Server::handle_timeout`]`(now)`.
//! 5. **Other threads.** Emits built elsewhere arrive as [`Command`]s (plain `Send` data, see
//!    [`Selection`]) through the loop's `Waker` queue: [`Server::execute`]`(now, command)`.
//! 6. **Drain, after every call above** (and after [`Server::close`]):
//!    - [`Server::poll_transmit`] until `None`, in order. `Send` → send the message on that
//!      session (binary attachments follow their text message, so keep the order); when
//!      `volatile` is set and the session cannot take a message now, drop it. `Close` → close
//!      the session after flushing; the server has already forgotten it. Sends for a session
//!      the engine no longer knows are dropped.
//!    - [`Server::poll_event`] until `None` (diagnostics: refused packets, handler errors).
//!    - [`Server::poll_timeout`] to re-arm the loop's timer.
//!
//! Every input takes `now`; the server never reads a clock. Socket ids come from
//! [`Config::seed`].
//!
//! # Arguments
//!
//! Emitting, `data` is any `serde::Serialize`: a tuple is several arguments, `()` none,
//! anything else one. Receiving, a handler's `T: Deserialize` gets one argument as itself,
//! several as a tuple/array and none as `null`. Values serialized as bytes ([`Binary`]) travel
//! as attachments, anywhere in the arguments; [`Binary`] fields deserialize from them again
//! (through a thread-local set only while [`Args::decode`] runs, because a derived
//! `Deserialize` has no other way to reach the packet's attachments). A `serde_json::Value`
//! handler sees the placeholders and reads [`EventContext::attachments`].
//!
//! # Known differences from socket.io 4.x
//!
//! - Middlewares are synchronous (`Fn(&mut Connecting) -> Result<(), ConnectError>`).
//! - A socket's pending acks fail with [`AckError::Disconnected`] when it disconnects
//!   (socket.io keeps them until their timeout), and a broadcast ack stops waiting for
//!   sockets that disconnect, so no table outlives its sockets.
//! - Dynamic namespaces are deleted when their last socket leaves (socket.io's
//!   `cleanupEmptyChildNamespaces`, off by default there) so peers cannot grow the table.
//! - A refused packet disconnects sockets with "parse error" (socket.io reports the
//!   Engine.IO close, "forced close"). An EVENT without payload is refused (socket.io-parser
//!   lets `2` through and the server then dispatches an `undefined` event).
//! - A second CONNECT to a namespace the client already joined is ignored.
//! - Not implemented: connection state recovery (`pid`/`offset`), protocol v4 clients
//!   (socket.io 2.x), multi-node adapters.
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod ack;
mod args;
mod broadcast;
mod config;
mod error;
mod extensions;
mod ids;
mod namespace;
mod packet;
mod scan;
mod server;
mod socket;

pub use args::{Args, Binary, EmitError, Encoded, Verbatim, RESERVED_EVENTS};
pub use broadcast::{BroadcastOperator, Command, Selection};
pub use config::{Config, Handshake};
pub use error::{AckError, ConnectError, DisconnectReason};
pub use extensions::Extensions;
pub use ids::{ClientId, SocketId};
pub use namespace::{path_pattern, Connecting, DynamicRef, NamespaceRef};
pub use packet::{Header, PacketType, ParseError};
pub use server::{Event, Message, MessageRef, Server, Stats, Transmit, TransmitRef};
pub use socket::{Disconnected, EventContext, HandlerResult, Socket};
