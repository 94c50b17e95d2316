//! Sans-I/O Engine.IO protocol 4 server, behaving as the official `engine.io` 6.x server.
//!
//! **Owns:** session ids, the handshake, heartbeats (the server pings), long-polling (held GET,
//! POSTed payloads), the polling→WebSocket upgrade, packet and payload encoding, the official
//! error answers, CORS and the sticky-session cookie.
//!
//! **Does not own:** sockets, clocks or entropy (the caller passes `Instant`s and a seed),
//! HTTP parsing and WebSocket framing (`loopio-handshake`, `loopio-frame`), Socket.IO
//! (`loopio-socket`), protocol 3, JSONP, HTTP compression and WebTransport.
//!
//! # Wire format
//!
//! ```text
//! handshake   GET <path>?EIO=4&transport=polling      -> 200 0{"sid":…,"upgrades":["websocket"],…}
//!             GET <path>?EIO=4&transport=websocket    -> 101, text frame 0{…,"upgrades":[],…}
//! polling     GET  <path>?EIO=4&transport=polling&sid=S  held until packets: 4hello␞2␞bAQID
//!             POST <path>?EIO=4&transport=polling&sid=S  body 4hi␞3               -> 200 ok
//! upgrade     WS <path>?EIO=4&transport=websocket&sid=S   2probe -> 3probe, GET -> 6, 5
//! heartbeat   server sends 2 every ping_interval; no 3 within ping_timeout: "ping timeout"
//! ```
//!
//! # Driving contract (for `loopio-net`)
//!
//! The loop names every transport it holds for the engine (a held GET, a POST, a WebSocket)
//! with a [`TransportId`] of its choice, e.g. its token. One [`Server`] per listener; the loop
//! stores each session's [`Connection`] under its [`SessionHandle`] (a small reusable index).
//!
//! 1. **HTTP request head** parsed: build a [`RequestHead`] ([`RequestHead::from_request`])
//!    and call [`Server::handle_request`]`(&head, &mut out)`:
//!    - [`Route::NotEngine`]: give the request to the application's HTTP handler.
//!    - [`Route::Answered`]`{ close }`: write `out`; close the TCP connection if `close`.
//!    - [`Route::Incoming`]: a handshake. The application decides (or the loop just accepts):
//!      [`Server::reject`] writes the refusal; [`Server::accept`]`(now, incoming, id)` returns
//!      the handle and the `Connection`. For a WebSocket handshake write the `101` (via
//!      `loopio-handshake`) *before* accepting; for polling, `id` is the handshake GET.
//!    - [`Route::Session`]`(handle, request)`, by [`SessionRequest::kind`]:
//!      `Poll` → [`Connection::handle_poll`]`(now, id, &request)` (the GET is held, do not
//!      answer it yourself); `Post` → read the body with a decoder bounded by
//!      [`Config::max_payload`], then [`Connection::handle_post`]`(now, id, &request, body)`,
//!      or [`Connection::handle_post_too_large`] if the decoder hit the limit; `WebSocket` →
//!      write the `101`, then [`Connection::handle_ws_open`]`(now, id)`.
//! 2. **WebSocket message** (complete, text or binary; configure the frame decoder's message
//!    limit to `max_payload`): [`Connection::handle_ws`]`(now, id, data)`, or
//!    [`Connection::handle_ws_message`], which hands a message that would be the only waiting
//!    event straight back (borrowing `data`, no copy) instead of queueing it.
//! 3. **A held GET or a session's WebSocket ended by itself** (EOF, reset, close frame):
//!    [`Connection::handle_transport_closed`]`(now, id, end)`. Not for transports the engine
//!    told the loop to close, and not for POSTs.
//! 4. **Timer**: when `now >= poll_timeout()`, call [`Connection::handle_timeout`]`(now)`.
//! 5. **Commands** from the layer above: [`Connection::send`], [`Connection::close`]. When
//!    [`Connection::direct_ws`] names a WebSocket, the loop may frame a message on it itself
//!    (`4` + text, or the bytes) instead of `send`: nothing waits before it, so the bytes are
//!    the ones `poll_transmit` would yield, without the session's queue and its copy.
//!    [`Connection::is_writable`] and [`Connection::buffered_amount`] tell `volatile` sends
//!    and back-pressure what is queued.
//!
//! After **every** input or command on a connection, drain in this order:
//!
//! 1. [`Connection::poll_transmit`]`(now, &mut out)` until `None`. Each [`Transmit`] names
//!    the transport `to` and what was appended to `out`: [`TransmitKind::Http`] is a complete
//!    response that finishes the request `to` (close the TCP connection after it if `close`,
//!    else read the next request); `WsText`/`WsBinary` is one message payload to frame and
//!    send on `to`; `WsClose` means send a close frame (no status) and close `to`. Transmits
//!    for a transport that is already gone are dropped.
//! 2. [`Connection::poll_event`] until `None`: [`Event::Message`], [`Event::Upgraded`],
//!    [`Event::Closed`]. After `Closed`, finish step 1 (it may still hold answers), drop the
//!    connection and call [`Server::remove`]`(handle)`.
//! 3. [`Connection::poll_timeout`]: re-arm the session's timer to it (or clear it on `None`).
//!
//! Per-transport interest follows from this: a held GET needs no read interest until its
//! answer comes; a POST body is read fully before `handle_post`.
//!
//! Tracing (`LOOPIO_TRACE=1`): print [`Trace::transmit`] for each transmit, and
//! [`Trace::payload`] / [`Trace::ws`] for each POST body and WebSocket message, prefixed with
//! [`Connection::sid`] and the transport.
//!
//! # Example
//!
//! ```
//! use std::time::Instant;
//! use loopio_engine::{Config, RequestHead, Route, Server, TransmitKind, TransportId};
//!
//! let mut server = Server::new(Config::default(), [0x5e; 32]); // seed from a CSPRNG
//! let head = RequestHead {
//!     method: "GET",
//!     path: "/engine.io/",
//!     query: "EIO=4&transport=polling&t=PqDzb3a",
//!     origin: None,
//!     upgrade: false,
//!     keep_alive: true,
//!     content_type: None,
//!     access_control_request_headers: None,
//! };
//! let mut out = Vec::new();
//! let Route::Incoming(incoming) = server.handle_request(&head, &mut out) else {
//!     panic!("a valid handshake")
//! };
//! let now = Instant::now();
//! let (_handle, mut session) = server.accept(now, incoming, TransportId(7));
//! let transmit = session.poll_transmit(now, &mut out).expect("the open packet");
//! assert_eq!(transmit.to, TransportId(7));
//! assert_eq!(transmit.kind, TransmitKind::Http { close: false });
//! let response = String::from_utf8(out).unwrap();
//! assert!(response.starts_with("HTTP/1.1 200"));
//! assert!(response.contains(r#"0{"sid":""#));
//! let tail = r#""upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"#;
//! assert!(response.ends_with(&format!(r#"{tail}"maxPayload":1000000}}"#)));
//! assert!(session.poll_transmit(now, &mut Vec::new()).is_none());
//! assert_eq!(session.poll_timeout(), Some(now + std::time::Duration::from_secs(25)));
//! ```
//!
//! # Differences from the official server
//!
//! - `EIO` is checked before the application's accept/reject (officially after
//!   `allowRequest`); only visible when both would refuse.
//! - Invalid base64 in a `b` packet is a parse error (Node's decoder skips bad characters).
//! - A binary (`application/octet-stream`) POST is answered `400` and fails the transport
//!   (officially the transport fails and the POST is left unanswered).
//! - A POST over `max_payload` also closes the session (officially only `413`).
//! - A `1` packet over WebSocket closes the session (officially ignored until the client
//!   closes the socket, which it does right after).
//! - One GET response carries at most `max_payload` bytes (one larger packet goes alone).
//! - The `X-XSS-Protection` header for old Internet Explorer is not sent.
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod config;
mod connection;
mod error;
mod http;
mod packet;
mod queue;
mod rng;
mod server;
mod timer;
mod trace;

pub use config::{AllowedOrigins, Config, Cors, Transports};
pub use connection::{Connection, Event, Transmit, TransmitKind, TransportEnd};
pub use error::{CloseReason, Initiator, RequestError, SendError};
pub use packet::{
    records, Data, Packet, PacketError, PacketType, PayloadDecoder, PayloadError, WsKind, SEPARATOR,
};
pub use server::{
    Incoming, RequestHead, RequestKind, Route, Server, SessionHandle, SessionRequest, Sid,
    TransportId, TransportKind,
};
pub use trace::Trace;
