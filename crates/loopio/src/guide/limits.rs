//! Chapter 3: the limits, and what happens past each.
//!
//! Every buffer, queue and wait is bounded by a setting with a default. A peer that passes a
//! limit gets its own protocol's answer (a close code, an HTTP status, an Engine.IO error,
//! a Socket.IO `CONNECT_ERROR` or close) and only its own connection ends: the loop and the
//! other connections go on. The full table, with the adversarial test that proves each row
//! and the memory measured, is in `crates/loopio-adversarial/README.md` ("All limits in one
//! place"); this chapter is the short version, by layer, from the outside in.
//!
//! Where the settings live: `net` = [`net::Config`](crate::net::Config) (the loop),
//! `frame` = [`frame::Limits`](crate::frame::Limits), `head` =
//! [`handshake::Limits`](crate::handshake::Limits), `eio` =
//! [`engineio::Config`](crate::engineio::Config), `sio` =
//! [`socketio::Config`](crate::socketio::Config). [`SocketIo::builder`] sets the common ones.
//!
//! # TCP and HTTP
//!
//! | limit | default | past it |
//! |---|---|---|
//! | net `max_connections` | 10 000 connections | accepting pauses; new peers wait in the kernel's backlog (mio's 128, or `listen_backlog` with the `listen-backlog` feature) and get in as slots free |
//! | net `handshake_timeout` | 10 s to a complete head and body (also the keep-alive idle time) | the TCP connection is dropped without an answer (slowloris) |
//! | head `max_head_bytes` / `max_headers` | 8 KiB / 64 lines | `431`, then close |
//! | net `max_body` | 1 MiB; Engine.IO sets it to `max_payload` | `413`, then close (on the `Content-Length`, or as chunks arrive) |
//!
//! # WebSocket
//!
//! | limit | default | past it |
//! |---|---|---|
//! | frame `max_frame_size` | 16 MiB; Engine.IO: `max_payload` | close **1009**, decided on the header before any payload is buffered |
//! | frame `max_message_size` | 16 MiB assembled; Engine.IO: `max_payload` | close **1009** |
//! | control frame payload | 125 bytes (RFC 6455 §5.5) | close **1002** |
//! | net `message_timeout` | 60 s from a frame's first byte to the end of its message | close **1008**, [`CloseReason::Timeout`](crate::net::CloseReason) |
//! | net `close_timeout` | 5 s for the peer's close frame, then its FIN | TCP closed |
//! | net `keepalive` | off | when set: a ping after `interval` of silence, close **1001** if nothing comes within `timeout` |
//!
//! # Output and the loop
//!
//! | limit | default | past it |
//! |---|---|---|
//! | net `high_water` | 1 MiB unsent | `is_writable` is false; `on_drain` when it falls below half; `volatile` emits dropped |
//! | net `max_buffered` | 64 MiB unsent per connection | the connection is dropped, [`CloseReason::Overflow`](crate::net::CloseReason) (or `SendError::Full` with `OverflowPolicy::Reject`) |
//! | net `read_buffer` | 256 KiB, one per loop | reads are split; nothing is lost |
//! | net `read_budget` | 1 MiB per connection per turn | the connection waits for the next turn, others go first |
//! | net `max_queued_commands` | 65 536 `Handle` commands | `HandleError::Full` |
//! | net `shutdown_timeout` | 5 s | connections still open are aborted, `run` returns |
//!
//! # Engine.IO and Socket.IO
//!
//! | limit | default | past it |
//! |---|---|---|
//! | eio `max_payload` | 1 000 000 bytes (a POST body, a WebSocket message, one GET response) | POST: `413`, session closed; WebSocket: close 1009 |
//! | eio `ping_interval` + `ping_timeout` | 25 s + 20 s | no `3` in time: session closed, `ping timeout` |
//! | eio `upgrade_timeout` | 10 s from `2probe` to `5` | the probe WebSocket is closed, the session stays on polling |
//! | eio `max_buffered` | 16 MiB queued per polling session | `SendError::BufferFull`; the Socket.IO glue closes the session after what was queued, its sockets disconnect with `transport error` |
//! | eio `close_timeout` | 30 s for a GET to carry the `1` | session dropped |
//! | sio `connect_timeout` | 45 s from the Engine.IO open to a CONNECT | Engine.IO session closed |
//! | sio `max_attachments` | 10 binary attachments per packet | parse error, the client is closed |
//! | sio pending acks | no limit; a timeout only with `Socket::timeout` | failed with `AckError::Disconnected` when the socket goes |
//!
//! Checked: these defaults are the ones in the code, including the limits Engine.IO puts on
//! the loop.
//!
//! ```
//! use std::time::Duration;
//! use loopio::engineio::{self, Data, EngineService, Handler, SessionId, Sessions};
//!
//! let net = loopio::net::Config::default();
//! assert_eq!(net.max_connections, 10_000);
//! assert_eq!(net.handshake_timeout, Duration::from_secs(10));
//! assert_eq!(net.message_timeout, Some(Duration::from_secs(60)));
//! assert_eq!(net.close_timeout, Duration::from_secs(5));
//! assert_eq!((net.high_water, net.max_buffered), (1 << 20, 64 << 20));
//! assert_eq!((net.read_buffer, net.read_budget), (256 << 10, 1 << 20));
//! assert_eq!(net.max_queued_commands, 65_536);
//! assert_eq!(net.shutdown_timeout, Duration::from_secs(5));
//! assert_eq!(net.max_body, 1 << 20);
//! assert_eq!(net.keepalive, None);
//! assert_eq!(net.frame_limits.max_frame_size, 16 << 20);
//! assert_eq!(net.frame_limits.max_message_size, 16 << 20);
//! assert_eq!(net.head_limits.max_head_bytes, 8 << 10);
//! assert_eq!(net.head_limits.max_headers, 64);
//!
//! let eio = engineio::Config::default();
//! assert_eq!(eio.max_payload, 1_000_000);
//! assert_eq!(eio.ping_interval, Duration::from_secs(25));
//! assert_eq!(eio.ping_timeout, Duration::from_secs(20));
//! assert_eq!(eio.upgrade_timeout, Duration::from_secs(10));
//! assert_eq!(eio.max_buffered, 16 << 20);
//! assert_eq!(eio.close_timeout, Duration::from_secs(30));
//!
//! // Engine.IO narrows the loop's body and frame limits to `max_payload`.
//! struct Quiet;
//! impl Handler for Quiet {
//!     fn on_message(&mut self, _: &mut Sessions<'_>, _: SessionId, _: Data<'_>) {}
//! }
//! let service = EngineService::with_seed(eio, Quiet, [0; 32]);
//! let net = service.net_config(loopio::net::Config::default());
//! assert_eq!(net.max_body, 1_000_000);
//! assert_eq!(net.frame_limits.max_frame_size, 1_000_000);
//! assert_eq!(net.frame_limits.max_message_size, 1_000_000);
//!
//! let sio = loopio::socketio::Config::new([0; 32]);
//! assert_eq!(sio.connect_timeout, Duration::from_secs(45));
//! assert_eq!(sio.max_attachments, 10);
//! ```
//!
//! # Sizing
//!
//! Worst-case memory is the product of a per-connection limit and `max_connections`, so pick
//! them together: 10 000 connections × 64 MiB `max_buffered` is far more than any machine
//! has, and is safe only because few peers stop reading at once. A server of many small
//! messages can lower `max_buffered` and `max_payload` a lot; a server that moves files over
//! Socket.IO raises `max_payload` and keeps `max_connections` modest.
//!
//! [`SocketIo::builder`]: crate::socketio::SocketIo::builder
