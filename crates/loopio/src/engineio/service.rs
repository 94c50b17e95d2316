//! [`EngineService`]: the loop→engine half of the driving contract (requests, WebSocket
//! messages, closed transports, timers) and the drain after each input.

use std::fs::File;
use std::io::{self, Read};

use loopio_engine::{
    CloseReason, Config, Data, Event, Incoming, RequestHead, RequestKind, Route, Server,
    SessionHandle, SessionRequest, Trace, TransportEnd,
};
use loopio_net::{
    ConnId, Ctx, EventLoop, HttpReply, Request, Service, TimerId, Upgrade, UpgradeReply,
};

use super::core::{transport_of, Core, Opening, SESSION_TIMER};
use super::{Handler, SessionId, Sessions};

/// A WebSocket whose `101` is being written; the engine learns of it in `on_open`.
#[derive(Debug)]
enum Pending {
    /// A handshake over WebSocket (no sid yet), and its request for [`Sessions::handshake`].
    Open(Incoming, Box<Request>),
    /// The upgrade probe of a polling session.
    Probe(SessionId),
}

/// What the next engine event was; message data waits in the service's scratch buffers.
enum Next {
    Text,
    Binary,
    Closed(CloseReason),
    Other,
}

/// Engine.IO on the loop: a [`Service`] driving `loopio_engine` sessions for a [`Handler`].
///
/// ```no_run
/// use loopio::engineio::{Config, Data, EngineService, Handler, SessionId, Sessions};
/// use loopio::net::EventLoop;
///
/// struct Echo;
/// impl Handler for Echo {
///     fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
///         let _ = sessions.send(session, data);
///     }
/// }
///
/// let service = EngineService::new(Config::default(), Echo)?;
/// let net = service.net_config(loopio::net::Config::default());
/// let mut event_loop = EventLoop::new(net, service)?;
/// event_loop.listen("127.0.0.1:3000".parse().unwrap())?;
/// event_loop.run()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct EngineService<H> {
    handler: H,
    core: Core,
    pending: Option<(ConnId, Pending)>,
    /// The current message, copied out of the session so the handler may command it.
    text: String,
    bytes: Vec<u8>,
}

/// An event loop running `handler` over Engine.IO with `config`, its limits matched to
/// [`Config::max_payload`]. Reads `LOOPIO_TRACE` and 32 bytes of `/dev/urandom`.
///
/// ```no_run
/// # use loopio::engineio::{self, Config, Data, Handler, SessionId, Sessions};
/// # struct Echo;
/// # impl Handler for Echo {
/// #     fn on_message(&mut self, s: &mut Sessions<'_>, id: SessionId, data: Data<'_>) {
/// #         let _ = s.send(id, data);
/// #     }
/// # }
/// let mut event_loop = engineio::event_loop(Config::default(), Echo)?;
/// event_loop.listen("127.0.0.1:3000".parse().unwrap())?;
/// event_loop.run()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn event_loop<H: Handler>(
    config: Config,
    handler: H,
) -> io::Result<EventLoop<EngineService<H>>> {
    let service = EngineService::new(config, handler)?;
    let net = service.net_config(loopio_net::Config::default());
    EventLoop::new(net, service)
}

impl<H: Handler> EngineService<H> {
    /// A service with `config` whose session ids are keyed from `/dev/urandom`.
    pub fn new(config: Config, handler: H) -> io::Result<EngineService<H>> {
        let mut seed = [0u8; 32];
        File::open("/dev/urandom")?.read_exact(&mut seed)?;
        Ok(EngineService::with_seed(config, handler, seed))
    }

    /// A service whose session ids are keyed from `seed`, which must come from a
    /// cryptographically secure source or sids become guessable (tests may fix it).
    pub fn with_seed(config: Config, handler: H, seed: [u8; 32]) -> EngineService<H> {
        let trace = std::env::var_os("LOOPIO_TRACE").is_some_and(|v| v == "1");
        EngineService {
            handler,
            core: Core::new(Server::new(config, seed), trace),
            pending: None,
            text: String::new(),
            bytes: Vec::new(),
        }
    }

    /// `base` with the limits Engine.IO needs: POST bodies and WebSocket messages up to
    /// [`Config::max_payload`] (larger POSTs are answered `413` by the loop, larger messages
    /// close the WebSocket with 1009, as `ws` does).
    pub fn net_config(&self, mut base: loopio_net::Config) -> loopio_net::Config {
        let max_payload = self.core.server.config().max_payload;
        base.max_body = max_payload;
        base.frame_limits.max_message_size = max_payload;
        base.frame_limits.max_frame_size = max_payload as u64;
        base
    }

    /// The Engine.IO settings in use.
    pub fn config(&self) -> &Config {
        self.core.server.config()
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The handler, mutably.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.core.server.len()
    }

    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.core.server.is_empty()
    }

    /// Commands sessions from outside a handler callback, e.g. in a
    /// [`Handle::run`](loopio_net::Handle::run) job from another thread; outputs are drained
    /// when `command` returns.
    pub fn with_sessions<R>(
        &mut self,
        ctx: &mut Ctx,
        command: impl FnOnce(&mut Sessions<'_>) -> R,
    ) -> R {
        self.with_handler(ctx, |_, sessions| command(sessions))
    }

    /// Like [`EngineService::with_sessions`], with the handler too: runs a command from
    /// another thread (a [`Handle::run`](loopio_net::Handle::run) job) against the layer
    /// above and the sessions at once, in this loop turn; outputs are drained when `command`
    /// returns.
    ///
    /// ```no_run
    /// # use loopio::engineio::{Data, EngineService, Handler, SessionId, Sessions};
    /// # struct Chat { members: Vec<SessionId> }
    /// # impl Handler for Chat {
    /// #     fn on_message(&mut self, _: &mut Sessions<'_>, _: SessionId, _: Data<'_>) {}
    /// # }
    /// fn announce(service: &mut EngineService<Chat>, ctx: &mut loopio::net::Ctx, text: &str) {
    ///     service.with_handler(ctx, |chat, sessions| {
    ///         for &member in &chat.members {
    ///             let _ = sessions.send(member, Data::Text(text));
    ///         }
    ///     });
    /// }
    /// # let _ = announce;
    /// ```
    pub fn with_handler<R>(
        &mut self,
        ctx: &mut Ctx,
        command: impl FnOnce(&mut H, &mut Sessions<'_>) -> R,
    ) -> R {
        let result = command(
            &mut self.handler,
            &mut Sessions {
                core: &mut self.core,
                ctx,
            },
        );
        self.drain_dirty(ctx);
        result
    }

    // ----- the drain ----------------------------------------------------------------------

    /// Drains `id`, then every session the handler commanded meanwhile.
    fn run(&mut self, ctx: &mut Ctx, id: SessionId) {
        self.drain(ctx, id);
        self.drain_dirty(ctx);
    }

    fn drain_dirty(&mut self, ctx: &mut Ctx) {
        while let Some(id) = self.core.dirty.pop() {
            self.drain(ctx, id);
        }
    }

    /// The documented order: transmits, then events (each handler call may queue more
    /// transmits, so they are drained again), then the timer.
    fn drain(&mut self, ctx: &mut Ctx, id: SessionId) {
        loop {
            self.core.transmit(ctx, id);
            let mut sessions = Sessions {
                core: &mut self.core,
                ctx,
            };
            let Some(next) = next_event(sessions.core, id, &mut self.text, &mut self.bytes) else {
                break;
            };
            match next {
                Next::Text => self
                    .handler
                    .on_message(&mut sessions, id, Data::Text(&self.text)),
                Next::Binary => {
                    self.handler
                        .on_message(&mut sessions, id, Data::Binary(&self.bytes))
                }
                Next::Closed(reason) => {
                    // "After Closed, finish step 1, drop the connection, Server::remove."
                    self.core.transmit(ctx, id);
                    if let Some(session) = self.core.get(id).filter(|_| self.core.trace) {
                        eprintln!("eio {} closed: {reason}", session.engine.sid());
                    }
                    self.core.remove(ctx, id);
                    let mut sessions = Sessions {
                        core: &mut self.core,
                        ctx,
                    };
                    self.handler.on_close(&mut sessions, id, reason);
                    return;
                }
                Next::Other => {}
            }
        }
        self.core.arm_timer(ctx, id);
    }

    // ----- inputs -------------------------------------------------------------------------

    /// Accepts a handshake on `conn` (the GET, or the WebSocket that just got its `101`).
    fn open(&mut self, ctx: &mut Ctx, conn: ConnId, incoming: Incoming, request: Request) {
        let (handle, engine) = self
            .core
            .server
            .accept(ctx.now(), incoming, transport_of(conn));
        if self.core.trace {
            eprintln!("eio {} {conn} opened", engine.sid());
        }
        let id = self.core.insert(handle, engine);
        self.core.hold(conn, id);
        self.core.opening = Some(Opening {
            session: id,
            request,
            peer: ctx.peer_addr(conn),
            time: ctx.now(),
        });
        let mut sessions = Sessions {
            core: &mut self.core,
            ctx,
        };
        self.handler.on_open(&mut sessions, id);
        self.core.opening = None;
        self.run(ctx, id);
    }

    /// A polling request for an existing session.
    fn on_session_request(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        handle: SessionHandle,
        request: &SessionRequest,
        body: &[u8],
    ) {
        let Some(id) = self.core.id_of(handle) else {
            return;
        };
        let now = ctx.now();
        let trace = self.core.trace;
        let Some(session) = self.core.get_mut(id) else {
            return;
        };
        let engine = &mut session.engine;
        let transport = transport_of(conn);
        match request.kind() {
            RequestKind::Poll => {
                if trace {
                    eprintln!("eio {} polling {conn} <- GET", engine.sid());
                }
                engine.handle_poll(now, transport, request);
                self.core.hold(conn, id);
            }
            _ => {
                if trace {
                    let packets = Trace::payload(body);
                    eprintln!("eio {} polling {conn} <- POST {packets}", engine.sid());
                }
                engine.handle_post(now, transport, request, body);
            }
        }
        self.run(ctx, id);
    }
}

/// Takes the next event of `id`, copying message data into `text` or `bytes`.
fn next_event(
    core: &mut Core,
    id: SessionId,
    text: &mut String,
    bytes: &mut Vec<u8>,
) -> Option<Next> {
    let trace = core.trace;
    let engine = &mut core.get_mut(id)?.engine;
    let event = engine.poll_event()?;
    Some(match event {
        Event::Message(Data::Text(data)) => {
            text.clear();
            text.push_str(data);
            Next::Text
        }
        Event::Message(Data::Binary(data)) => {
            bytes.clear();
            bytes.extend_from_slice(data);
            Next::Binary
        }
        Event::Closed(reason) => Next::Closed(reason),
        Event::Upgraded => {
            if trace {
                eprintln!("eio {} upgraded to websocket", engine.sid());
            }
            Next::Other
        }
        _ => Next::Other,
    })
}

impl<H: Handler> Service for EngineService<H> {
    fn on_upgrade(&mut self, ctx: &mut Ctx, conn: ConnId, upgrade: &Upgrade<'_>) -> UpgradeReply {
        let request = upgrade.request();
        let head = RequestHead::from_request(request);
        let mut out = std::mem::take(&mut self.core.out);
        out.clear();
        let pending = match self.core.server.handle_request(&head, &mut out) {
            Route::NotEngine => None,
            Route::Answered { .. } => {
                let _ = ctx.refuse_upgrade_raw(conn, &out);
                None
            }
            Route::Incoming(incoming) if self.handler.allow_request(request) => {
                Some(Pending::Open(incoming, Box::new(request.clone())))
            }
            Route::Incoming(incoming) => {
                let _ = self.core.server.reject(incoming, &mut out);
                let _ = ctx.refuse_upgrade_raw(conn, &out);
                None
            }
            Route::Session(handle, _) => self.core.id_of(handle).map(Pending::Probe),
        };
        self.core.out = out;
        match pending {
            Some(pending) => {
                self.pending = Some((conn, pending));
                UpgradeReply::accept()
            }
            None => UpgradeReply::Reject(404),
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx, conn: ConnId) {
        let Some((pending_conn, pending)) = self.pending.take() else {
            return;
        };
        if pending_conn != conn {
            return;
        }
        match pending {
            Pending::Open(incoming, request) => self.open(ctx, conn, incoming, *request),
            Pending::Probe(id) => {
                let now = ctx.now();
                let trace = self.core.trace;
                let Some(session) = self.core.get_mut(id) else {
                    let _ = ctx.close_without_status(conn);
                    return;
                };
                if trace {
                    eprintln!("eio {} websocket {conn} <- upgrade", session.engine.sid());
                }
                session.engine.handle_ws_open(now, transport_of(conn));
                self.core.hold(conn, id);
                self.run(ctx, id);
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: loopio_net::Data<'_>) {
        let Some(id) = self.core.holder(conn) else {
            return;
        };
        let now = ctx.now();
        let trace = self.core.trace;
        let Some(session) = self.core.get_mut(id) else {
            return;
        };
        let data = match data {
            loopio_net::Data::Text(text) => Data::Text(text),
            loopio_net::Data::Binary(bytes) => Data::Binary(bytes),
        };
        if trace {
            let sid = session.engine.sid();
            eprintln!("eio {sid} websocket {conn} <- {}", Trace::ws(data));
        }
        // A lone message goes to the handler straight from the loop's read buffer. Handing it
        // back changed nothing in the session, so only what the handler commanded (queued
        // sends, closes: `dirty`) is drained; its direct WebSocket sends need no drain.
        match session
            .engine
            .handle_ws_message(now, transport_of(conn), data)
        {
            Some(data) => {
                let mut sessions = Sessions {
                    core: &mut self.core,
                    ctx,
                };
                self.handler.on_message(&mut sessions, id, data);
                self.drain_dirty(ctx);
            }
            None => self.run(ctx, id),
        }
    }

    fn on_body_refused(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        status: u16,
    ) -> bool {
        // The unread body cannot be skipped, so the answer says `Connection: close`.
        let head = RequestHead {
            keep_alive: false,
            ..RequestHead::from_request(request)
        };
        let mut out = std::mem::take(&mut self.core.out);
        out.clear();
        let route = self.core.server.handle_request(&head, &mut out);
        self.core.out = out;
        let Route::Session(handle, session_request) = route else {
            // Not a session's POST: the loop answers the plain status.
            return false;
        };
        let Some(id) = self.core.id_of(handle) else {
            return false;
        };
        if status != 413 || session_request.kind() != RequestKind::Post {
            return false;
        }
        let now = ctx.now();
        let trace = self.core.trace;
        if let Some(session) = self.core.get_mut(id) {
            if trace {
                eprintln!(
                    "eio {} polling {conn} <- POST over maxPayload",
                    session.engine.sid()
                );
            }
            session
                .engine
                .handle_post_too_large(now, transport_of(conn), &session_request);
        }
        self.run(ctx, id);
        true
    }

    fn on_http(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        body: &[u8],
    ) -> HttpReply {
        let head = RequestHead::from_request(request);
        let mut out = std::mem::take(&mut self.core.out);
        out.clear();
        match self.core.server.handle_request(&head, &mut out) {
            Route::NotEngine => {
                self.core.out = out;
                return self.handler.on_http(ctx, conn, request, body);
            }
            Route::Answered { close } => {
                let _ = ctx.respond_raw(conn, &out, close);
            }
            Route::Incoming(incoming) if self.handler.allow_request(request) => {
                self.core.out = out;
                self.open(ctx, conn, incoming, request.clone());
                return HttpReply::Hold;
            }
            Route::Incoming(incoming) => {
                let close = self.core.server.reject(incoming, &mut out);
                let _ = ctx.respond_raw(conn, &out, close);
            }
            Route::Session(handle, session_request) => {
                self.core.out = out;
                self.on_session_request(ctx, conn, handle, &session_request, body);
                return HttpReply::Hold;
            }
        }
        self.core.out = out;
        // Answered above with the engine's bytes; `Hold` tells the loop not to answer again.
        HttpReply::Hold
    }

    fn on_close(&mut self, ctx: &mut Ctx, conn: ConnId, reason: &loopio_net::CloseReason) {
        use loopio_net::CloseReason as Net;
        let end = match reason {
            // `ws` reports a dropped TCP connection as a close (1006), not an error.
            Net::Closed { .. } | Net::Dropped | Net::Shutdown => TransportEnd::Closed,
            _ => TransportEnd::Failed,
        };
        if let Some(id) = self.core.transport_closed(ctx.now(), conn, end) {
            self.run(ctx, id);
        }
    }

    /// Graceful shutdown: the handler's goodbyes, then every session is closed after its
    /// queued packets: a WebSocket gets them and a close frame, a held GET gets them with
    /// `1`, a polling client between two GETs gets them on its next one.
    fn on_shutdown(&mut self, ctx: &mut Ctx) {
        let mut sessions = Sessions {
            core: &mut self.core,
            ctx,
        };
        self.handler.on_shutdown(&mut sessions);
        self.drain_dirty(ctx);
        let now = ctx.now();
        for id in self.core.ids() {
            if let Some(session) = self.core.get_mut(id) {
                session.engine.close(now);
            }
            self.run(ctx, id);
        }
    }

    /// Sessions still open wait for their polling client's next GET (or their WebSocket's
    /// close); the loop gives them up to its `shutdown_timeout`.
    fn is_shutdown_pending(&self) -> bool {
        !self.core.server.is_empty()
    }

    fn on_timer(&mut self, ctx: &mut Ctx, timer: TimerId, data: u64) {
        if data & SESSION_TIMER == 0 {
            let mut sessions = Sessions {
                core: &mut self.core,
                ctx,
            };
            self.handler.on_timer(&mut sessions, data);
            return self.drain_dirty(ctx);
        }
        let Some(id) = self.core.take_timer(timer, data) else {
            return;
        };
        let now = ctx.now();
        if let Some(session) = self.core.get_mut(id) {
            session.engine.handle_timeout(now);
        }
        self.run(ctx, id);
    }
}
