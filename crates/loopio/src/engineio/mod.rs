//! Engine.IO v4 on the event loop: the sans-I/O [`loopio_engine`] sessions driven by a
//! [`Service`](crate::net::Service), with a small handler API.
//!
//! [`EngineService`] maps TCP connections to sessions and transports (held GETs, POSTs,
//! WebSockets), drains each session's outputs after every input, arms one loop timer per
//! session, and hands requests outside the Engine.IO path to [`Handler::on_http`]. Your
//! [`Handler`] sees sessions open, send messages and close, and commands them through
//! [`Sessions`]. A layer above (Socket.IO) is just another `Handler`, generic or boxed.
//!
//! ```text
//!  GET/POST/WS ─▶ loopio-net ─▶ EngineService ─▶ loopio_engine::Server ─▶ Connection
//!                   ▲               │  drain: poll_transmit → poll_event → poll_timeout
//!                   └─ responses ◀──┤
//!                      and frames   └─▶ Handler::on_open / on_message / on_close
//!                                          │ Sessions::send / close
//!                                          └──▶ Connection::send / close (drained after)
//! ```
//!
//! `LOOPIO_TRACE=1` prints every Engine.IO packet in and out with the session id, the
//! transport and the TCP connection (`eio <sid> polling #3.0 -> HTTP/1.1 200 OK: message "hi"`).
//!
//! Memory per idle session: one [`SessionId`]-indexed slot ([`session_state_size`] bytes) with
//! an empty outbox, plus the idle TCP connection of its transport in `loopio-net`.
//!
//! ```no_run
//! use loopio::engineio::{self, Config, Data, Handler, SessionId, Sessions};
//!
//! struct Echo;
//! impl Handler for Echo {
//!     fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
//!         let _ = sessions.send(session, data);
//!     }
//! }
//!
//! let mut event_loop = engineio::event_loop(Config::default(), Echo)?;
//! event_loop.listen("127.0.0.1:3000".parse().unwrap())?;
//! event_loop.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod core;
mod service;

use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use loopio_net::{ConnId, Ctx, HttpReply, Request, Response, SharedFrame, TimerId};

pub use loopio_engine::{
    AllowedOrigins, CloseReason, Config, Cors, Data, Initiator, SendError, TransportKind,
    Transports,
};
pub use service::{event_loop, EngineService};

use self::core::{Core, SESSION_TIMER};
use loopio_engine::Packet;

/// Names one Engine.IO session on this loop. A stale id (its session ended) names nothing:
/// commands on it fail with [`SendError::Closed`].
///
/// ```
/// fn log(session: loopio::engineio::SessionId) -> String {
///     format!("session {session}")
/// }
/// # let _ = log;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId {
    index: u32,
    generation: u32,
}

impl SessionId {
    /// The id as one number, e.g. to key a layer above's own table (generation in the high
    /// half, so ids of ended sessions are not reused soon).
    pub fn to_bits(self) -> u64 {
        u64::from(self.generation) << 32 | u64::from(self.index)
    }

    /// The id [`SessionId::to_bits`] returned; a made-up number names no live session.
    pub fn from_bits(bits: u64) -> SessionId {
        SessionId {
            index: bits as u32,
            generation: (bits >> 32) as u32,
        }
    }
}

/// The request that opened a session, from [`Sessions::handshake`] during
/// [`Handler::on_open`]: what `allowRequest` saw, plus the peer and the time.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Handshake<'a> {
    /// The handshake request (`GET <path>?EIO=4&transport=…`): headers, raw query.
    pub request: &'a Request,
    /// The peer of its TCP connection.
    pub peer: Option<SocketAddr>,
    /// When it arrived (the loop turn's time).
    pub time: Instant,
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}.{}", self.index, self.generation)
    }
}

/// The application (or the Socket.IO layer) on top of Engine.IO. Every method runs on the loop
/// thread; only [`Handler::on_message`] is required.
///
/// ```
/// use loopio::engineio::{CloseReason, Data, Handler, SessionId, Sessions};
///
/// #[derive(Default)]
/// struct Count(usize);
/// impl Handler for Count {
///     fn on_open(&mut self, sessions: &mut Sessions<'_>, session: SessionId) {
///         self.0 += 1;
///         let _ = sessions.send(session, Data::Text("welcome"));
///     }
///     fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
///         if data == Data::Text("bye") {
///             sessions.close(session);
///         }
///     }
///     fn on_close(&mut self, _: &mut Sessions<'_>, _: SessionId, _: CloseReason) {
///         self.0 -= 1;
///     }
/// }
/// # let _ = Count::default();
/// ```
pub trait Handler {
    /// A handshake arrived (`GET <path>?EIO=4&transport=…` without a sid); `false` refuses it
    /// with `403 {"code":4,"message":"Forbidden"}` (the official `allowRequest`). Default:
    /// allow.
    fn allow_request(&mut self, request: &Request) -> bool {
        let _ = request;
        true
    }

    /// A session opened; its open packet is queued, so anything sent now follows it.
    fn on_open(&mut self, sessions: &mut Sessions<'_>, session: SessionId) {
        let _ = (sessions, session);
    }

    /// A message packet arrived (text or binary).
    fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>);

    /// The session ended; `session` names nothing from now on.
    fn on_close(&mut self, sessions: &mut Sessions<'_>, session: SessionId, reason: CloseReason) {
        let _ = (sessions, session, reason);
    }

    /// A timer set with [`Sessions::set_timer`] fired.
    fn on_timer(&mut self, sessions: &mut Sessions<'_>, data: u64) {
        let _ = (sessions, data);
    }

    /// The loop began a graceful shutdown. Called once, before the service closes every
    /// session still open (each after its queued packets, see [`Sessions::close`]): the
    /// last chance to send goodbyes.
    fn on_shutdown(&mut self, sessions: &mut Sessions<'_>) {
        let _ = sessions;
    }

    /// A plain HTTP request outside the Engine.IO path, with its complete body. Default: 404.
    /// WebSocket upgrades outside the path are refused with 404.
    fn on_http(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        body: &[u8],
    ) -> HttpReply {
        let _ = (ctx, conn, request, body);
        HttpReply::Respond(Response::new(404))
    }
}

impl<H: Handler + ?Sized> Handler for Box<H> {
    fn allow_request(&mut self, request: &Request) -> bool {
        (**self).allow_request(request)
    }
    fn on_open(&mut self, sessions: &mut Sessions<'_>, session: SessionId) {
        (**self).on_open(sessions, session)
    }
    fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
        (**self).on_message(sessions, session, data)
    }
    fn on_close(&mut self, sessions: &mut Sessions<'_>, session: SessionId, reason: CloseReason) {
        (**self).on_close(sessions, session, reason)
    }
    fn on_timer(&mut self, sessions: &mut Sessions<'_>, data: u64) {
        (**self).on_timer(sessions, data)
    }
    fn on_shutdown(&mut self, sessions: &mut Sessions<'_>) {
        (**self).on_shutdown(sessions)
    }
    fn on_http(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        body: &[u8],
    ) -> HttpReply {
        (**self).on_http(ctx, conn, request, body)
    }
}

/// The WebSocket frame of a message sent to many sessions with [`Sessions::send_shared`],
/// built on first use.
#[derive(Debug, Default)]
pub struct SharedMessage(Option<SharedFrame>);

/// Commands for any session, from a [`Handler`] callback or
/// [`EngineService::with_sessions`]. Outputs are drained when the callback returns.
///
/// ```
/// use loopio::engineio::{Data, SessionId, Sessions};
/// fn broadcast(sessions: &mut Sessions<'_>, to: &[SessionId], text: &str) {
///     for &session in to {
///         let _ = sessions.send(session, Data::Text(text));
///     }
/// }
/// # let _ = broadcast;
/// ```
#[derive(Debug)]
pub struct Sessions<'a> {
    core: &'a mut Core,
    ctx: &'a mut Ctx,
}

impl Sessions<'_> {
    /// Sends a message: text as a `4…` packet, binary as binary. The data is copied once:
    /// straight into the WebSocket's out buffer when the session is upgraded and nothing
    /// waits before it, else into the session's queue. So a message shared by many sessions
    /// (a broadcast) is encoded once and copied once per recipient.
    ///
    /// Fails with [`SendError::Closed`] when the session is closing or gone, and
    /// [`SendError::BufferFull`] past [`Config::max_buffered`] queued bytes (or the loop's
    /// `max_buffered` for its WebSocket).
    // Forced into the Socket.IO glue's drain loop, which calls it once per message (a plain
    // `#[inline]` is not taken there): one call frame less per send.
    #[inline(always)]
    pub fn send(&mut self, session: SessionId, data: Data<'_>) -> Result<(), SendError> {
        let trace = self.core.trace;
        let live = self.core.get_mut(session).ok_or(SendError::Closed)?;
        if let Some(to) = live.engine.direct_ws() {
            let conn = ConnId::from_bits(to.0);
            if trace {
                let sid = live.engine.sid();
                eprintln!("eio {sid} websocket {conn} -> {}", Packet::message(data));
            }
            let sent = match data {
                Data::Text(text) => self.ctx.send_text_parts(conn, &["4", text]),
                Data::Binary(bytes) => self.ctx.send_binary(conn, bytes),
            };
            match sent {
                Ok(()) => return Ok(()),
                Err(loopio_net::SendError::Full) => return Err(SendError::BufferFull),
                // The WebSocket is closing; the engine hears of it soon. Queue as before.
                Err(_) => {}
            }
        }
        self.queue(session, data)
    }

    /// [`Sessions::send`] of a message going to many sessions (a broadcast): over WebSocket
    /// the frame is encoded once, into `frame` on first use, and each further recipient gets
    /// its bytes with one copy. Pass the same `data` with the same `frame` every time.
    pub fn send_shared(
        &mut self,
        session: SessionId,
        data: Data<'_>,
        frame: &mut SharedMessage,
    ) -> Result<(), SendError> {
        if self.core.trace {
            return self.send(session, data);
        }
        let live = self.core.get_mut(session).ok_or(SendError::Closed)?;
        if let Some(to) = live.engine.direct_ws() {
            let conn = ConnId::from_bits(to.0);
            let frame = frame.0.get_or_insert_with(|| match data {
                Data::Text(text) => SharedFrame::text_parts(&["4", text]),
                Data::Binary(bytes) => SharedFrame::binary(bytes),
            });
            match self.ctx.send_shared(conn, frame) {
                Ok(()) => return Ok(()),
                Err(loopio_net::SendError::Full) => return Err(SendError::BufferFull),
                Err(_) => {}
            }
        }
        self.queue(session, data)
    }

    /// The fallback of [`Sessions::send`] and [`Sessions::send_shared`]: the message goes
    /// into the session's engine queue, drained at the end of the turn.
    fn queue(&mut self, session: SessionId, data: Data<'_>) -> Result<(), SendError> {
        let engine = &mut self.core.get_mut(session).ok_or(SendError::Closed)?.engine;
        engine.send(data)?;
        self.core.dirty.push(session);
        Ok(())
    }

    /// Whether a message sent now goes out without waiting: over WebSocket, the socket is
    /// below the loop's high-water mark and nothing is queued before it; over polling, a GET
    /// is held or nothing is queued. What `volatile` sends check.
    pub fn is_writable(&self, session: SessionId) -> bool {
        let Some(live) = self.core.get(session) else {
            return false;
        };
        match (live.engine.transport(), live.engine.direct_ws()) {
            (Some(TransportKind::WebSocket), Some(to)) => {
                self.ctx.is_writable(ConnId::from_bits(to.0))
            }
            (Some(TransportKind::WebSocket), None) => false,
            _ => live.engine.is_writable(),
        }
    }

    /// Bytes sent to the session and not yet written to its socket: its queue plus, over
    /// WebSocket, the connection's unsent output (back-pressure, like `bufferedAmount`).
    pub fn buffered_amount(&self, session: SessionId) -> usize {
        let Some(live) = self.core.get(session) else {
            return 0;
        };
        let socket = live
            .engine
            .direct_ws()
            .map_or(0, |to| self.ctx.buffered_amount(ConnId::from_bits(to.0)));
        live.engine.buffered_amount() + socket
    }

    /// The request that opened `session`, with its peer and time: available while
    /// [`Handler::on_open`] runs for it (idle sessions do not keep their handshake).
    pub fn handshake(&self, session: SessionId) -> Option<Handshake<'_>> {
        let opening = self
            .core
            .opening
            .as_ref()
            .filter(|o| o.session == session)?;
        Some(Handshake {
            request: &opening.request,
            peer: opening.peer,
            time: opening.time,
        })
    }

    /// Closes the session after its queued packets ("forced close"); `on_close` follows.
    pub fn close(&mut self, session: SessionId) {
        let now = self.ctx.now();
        if let Some(live) = self.core.get_mut(session) {
            live.engine.close(now);
            self.core.dirty.push(session);
        }
    }

    /// The session's id on the wire (its `sid`), while it lives.
    pub fn sid(&self, session: SessionId) -> Option<&str> {
        self.core.get(session).map(|live| live.engine.sid())
    }

    /// The transport carrying the session's packets, while it lives.
    pub fn transport(&self, session: SessionId) -> Option<TransportKind> {
        self.core.get(session)?.engine.transport()
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.core.server.len()
    }

    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.core.server.is_empty()
    }

    /// The time this loop turn started.
    pub fn now(&self) -> Instant {
        self.ctx.now()
    }

    /// Calls [`Handler::on_timer`] with `data` at `at`. `data` must be below `2^63` (the
    /// values above name the sessions' own timers); higher bits are cleared.
    pub fn set_timer(&mut self, at: Instant, data: u64) -> TimerId {
        self.ctx.set_timer(at, data & !SESSION_TIMER)
    }

    /// Cancels a timer set with [`Sessions::set_timer`]; returns whether it was pending.
    pub fn cancel_timer(&mut self, timer: TimerId) -> bool {
        self.ctx.cancel_timer(timer)
    }

    /// The loop context, for what is not Engine.IO (other connections, shutdown).
    pub fn ctx(&mut self) -> &mut Ctx {
        self.ctx
    }
}

/// Size in bytes of one session's state in the service's table (its queues' heap buffers are
/// released when they drain), for capacity planning.
///
/// ```
/// assert!(loopio::engineio::session_state_size() < 512);
/// ```
pub fn session_state_size() -> usize {
    core::session_slot_size()
}
