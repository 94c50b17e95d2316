//! [`EventLoop`]: one `mio::Poll`, one thread, many connections.
//!
//! One turn: poll (timeout = nearest deadline) → accept → read every ready connection until
//! `WouldBlock` (decoding in the one read buffer, calling the service) → run cross-thread
//! commands → fire due deadlines → tell the service about closes and drains → write each dirty
//! connection once.

use std::collections::VecDeque;
use std::io::{self, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loopio_frame::{CloseCode, OpCode, Role};
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::conn::{Conn, Input, State};
use crate::ctx::Notice;
use crate::handle::{Command, Shared};
use crate::input;
use crate::timer::TimerKey;
use crate::{CloseReason, Config, ConnId, Ctx, Handle, Service};

const LISTENER: Token = Token(usize::MAX - 1);
const WAKER: Token = Token(usize::MAX);

/// The largest payload buffer the loop keeps spare; a bigger one (a rare huge frame) is freed.
const SPARE_PAYLOAD_MAX: usize = 1 << 20;
/// Output compaction threshold: a partly written buffer is shifted once this much is consumed.
const COMPACT_AT: usize = 64 << 10;

/// How far [`EventLoop::read`] reads a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drain {
    /// Until `WouldBlock` or EOF.
    Always,
    /// Until a read returns less than it asked for: the socket is empty then, and bytes that
    /// arrive later raise a new edge-triggered event. epoll(7): "if you call read(2) by asking
    /// to read a certain amount of data and read(2) returns a lower number of bytes, you can
    /// be sure of having exhausted the read I/O space". Saves the read that would only say
    /// `WouldBlock`. Not when the event reported the peer's FIN or an error: no new event
    /// follows those, so the read that sees them must happen now.
    UntilShortRead,
}

/// The event loop: owns the service, the sockets and the clock.
///
/// ```no_run
/// use loopio_net::{ConnId, Ctx, Data, EventLoop, Service};
///
/// struct Echo;
/// impl Service for Echo {
///     fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
///         let _ = match data {
///             Data::Text(text) => ctx.send_text(conn, text),
///             Data::Binary(bytes) => ctx.send_binary(conn, bytes),
///         };
///     }
/// }
///
/// let mut event_loop = EventLoop::new(loopio_net::Config::default(), Echo)?;
/// let addr = event_loop.listen("127.0.0.1:0".parse().unwrap())?;
/// println!("listening on {addr}");
/// event_loop.run()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct EventLoop<S> {
    service: S,
    ctx: Ctx,
    poll: Poll,
    scratch: Box<[u8]>,
    /// A zero-filled payload buffer passed between connections' decoders for frames that span
    /// reads (see `Decoder::lend_buffer`), so no idle connection keeps one.
    spare_payload: loopio_frame::SpareBuffer,
    listener: Option<TcpListener>,
    accept_paused: bool,
    shared: Arc<Shared<S>>,
    shutdown_deadline: Option<Instant>,
}

impl<S> std::fmt::Debug for Shared<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

impl<S: Service> EventLoop<S> {
    /// A loop with `config` driving `service`. Reads `LOOPIO_TRACE` once.
    pub fn new(config: Config, service: S) -> io::Result<EventLoop<S>> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            waker,
            stopped: Default::default(),
            capacity: config.max_queued_commands,
        });
        let scratch = vec![0; config.read_buffer.max(1024)].into_boxed_slice();
        let ctx = Ctx::new(config, poll.registry().try_clone()?);
        Ok(EventLoop {
            service,
            ctx,
            poll,
            scratch,
            spare_payload: Default::default(),
            listener: None,
            accept_paused: false,
            shared,
            shutdown_deadline: None,
        })
    }

    /// Listens on `addr` (port 0 picks one); returns the bound address. The backlog is mio's
    /// 128 unless the `listen-backlog` feature's `Config::listen_backlog` says otherwise.
    pub fn listen(&mut self, addr: SocketAddr) -> io::Result<SocketAddr> {
        let mut listener = bind(addr, &self.ctx.config)?;
        self.poll
            .registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let local = listener.local_addr()?;
        self.listener = Some(listener);
        Ok(local)
    }

    /// A handle for other threads.
    pub fn handle(&self) -> Handle<S> {
        Handle::new(Arc::clone(&self.shared))
    }

    /// The context, e.g. to [`Ctx::connect`] before [`EventLoop::run`].
    pub fn ctx(&mut self) -> &mut Ctx {
        &mut self.ctx
    }

    /// The service.
    pub fn service(&self) -> &S {
        &self.service
    }

    /// The service, mutably.
    pub fn service_mut(&mut self) -> &mut S {
        &mut self.service
    }

    /// Runs until shut down ([`Ctx::shutdown`] or [`Handle::shutdown`]) and every connection is
    /// closed, or the shutdown timeout passes.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let result = loop {
            if let Err(err) = self.turn(&mut events) {
                break Err(err);
            }
            if self.is_finished() {
                break Ok(());
            }
        };
        self.shared.stopped.store(true, Ordering::Release);
        self.finish();
        result
    }

    /// Ends every connection still open when the loop stops.
    fn finish(&mut self) {
        for index in 0..self.ctx.slots.len() {
            if let Some(id) = self.ctx.id_at(index) {
                self.ctx.abort(id, CloseReason::Shutdown);
            }
        }
        self.deliver_notices();
    }

    /// One loop turn.
    fn turn(&mut self, events: &mut Events) -> io::Result<()> {
        let timeout = self.poll_timeout();
        match self.poll.poll(events, timeout) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(err) => return Err(err),
        }
        self.ctx.now = Instant::now();
        for event in events.iter() {
            match event.token() {
                LISTENER => self.accept(),
                WAKER => self.run_commands(),
                Token(index) => {
                    let Some(id) = self.ctx.id_at(index) else {
                        continue;
                    };
                    if event.is_writable() {
                        self.on_writable(id);
                    }
                    if event.is_read_closed() || event.is_error() {
                        self.read(id, Drain::Always);
                    } else if event.is_readable() {
                        self.read(id, Drain::UntilShortRead);
                    }
                }
            }
        }
        for id in std::mem::take(&mut self.ctx.ready) {
            self.drive_ready(id);
        }
        self.fire_timers();
        self.settle();
        if self.ctx.shutdown && self.shutdown_deadline.is_none() {
            self.begin_shutdown();
            self.settle();
        }
        if self.accept_paused && self.ctx.live < self.ctx.config.max_connections {
            self.accept();
            self.settle();
        }
        self.ctx.end_turn();
        Ok(())
    }

    fn poll_timeout(&self) -> Option<Duration> {
        if !self.ctx.ready.is_empty() {
            return Some(Duration::ZERO);
        }
        let next = [self.ctx.timers.next(), self.shutdown_deadline]
            .into_iter()
            .flatten()
            .min()?;
        // Round up so a deadline is never polled for "0 ms" repeatedly before it is due.
        Some(next.saturating_duration_since(Instant::now()) + Duration::from_micros(500))
    }

    /// During a shutdown: the deadline passed, or the service waits for nothing and every
    /// connection left is an idle keep-alive one (which `finish` then closes).
    fn is_finished(&self) -> bool {
        let Some(deadline) = self.shutdown_deadline else {
            return false;
        };
        if self.ctx.live == 0 || Instant::now() >= deadline {
            return true;
        }
        if self.service.is_shutdown_pending() {
            return false;
        }
        (0..self.ctx.slots.len())
            .filter_map(|index| self.ctx.id_at(index))
            .filter_map(|id| self.ctx.conn(id))
            .all(|conn| conn.state == State::ReadingHead && conn.buffered() == 0)
    }

    fn accept(&mut self) {
        let Some(listener) = self.listener.as_ref() else {
            return;
        };
        loop {
            if self.ctx.live >= self.ctx.config.max_connections {
                self.accept_paused = true;
                return;
            }
            match listener.accept() {
                Ok((socket, _)) => {
                    // Small replies must not wait for Nagle; failure only costs latency.
                    let _ = socket.set_nodelay(true);
                    let conn = Conn::new(
                        socket,
                        Role::Server,
                        State::ReadingHead,
                        Input::Head(Vec::new()),
                        self.ctx.now,
                    );
                    if let Ok(id) = self.ctx.insert(conn) {
                        let deadline = self.ctx.now + self.ctx.config.handshake_timeout;
                        self.ctx.set_deadline(id, Some(deadline));
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.accept_paused = false;
                    return;
                }
                Err(err) if is_transient_accept_error(&err) => continue,
                Err(_) => {
                    // Out of descriptors or memory: retry when a connection frees a slot.
                    self.accept_paused = true;
                    return;
                }
            }
        }
    }

    fn on_writable(&mut self, id: ConnId) {
        let Some(conn) = self.ctx.conn_mut(id) else {
            return;
        };
        if conn.state == State::Connecting {
            let failed = !matches!(conn.socket.take_error(), Ok(None));
            match conn.socket.peer_addr() {
                Ok(_) if !failed => conn.state = State::AwaitingAccept,
                Err(err) if !failed && err.kind() == io::ErrorKind::NotConnected => return,
                _ => return self.ctx.abort(id, CloseReason::Handshake),
            }
        }
        if conn.buffered() > 0 {
            self.ctx.mark_dirty(id.index);
        }
    }

    /// Processes input left over from an earlier turn, then reads the socket.
    fn drive_ready(&mut self, id: ConnId) {
        let Some(conn) = self.ctx.conn_mut(id) else {
            return;
        };
        if let Input::Head(buffered) = &mut conn.input {
            if !buffered.is_empty() && conn.state == State::ReadingHead {
                let mut pending = std::mem::take(buffered);
                let mut input = std::mem::take(&mut conn.input);
                input::on_bytes(
                    &mut self.service,
                    &mut self.ctx,
                    id,
                    &mut input,
                    &mut pending,
                );
                self.ctx.restore_input(id, input);
            }
        }
        // An earlier turn stopped on the budget: the peer's EOF may be among what is left, and
        // its readiness was reported then, so read to the end.
        self.read(id, Drain::Always);
    }

    /// Reads until `WouldBlock` (or, with [`Drain::UntilShortRead`], a read that did not fill
    /// the buffers), EOF or the read budget is spent.
    fn read(&mut self, id: ConnId, drain: Drain) {
        let mut budget = self.ctx.config.read_budget;
        let now = self.ctx.now;
        loop {
            let Some(conn) = self.ctx.conn_mut(id) else {
                return;
            };
            if matches!(conn.state, State::Connecting) {
                return;
            }
            let mut input = std::mem::take(&mut conn.input);
            // The rest of a large frame is read straight into the decoder's buffer rather
            // than copied there from `scratch`; what follows it goes to `scratch` in the same
            // call.
            let room = match &mut input {
                Input::Frames(decoder) if conn.tracer.is_none() => {
                    decoder.lend_buffer(&mut self.spare_payload);
                    decoder.payload_room()
                }
                _ => None,
            };
            let direct = room.as_ref().map(|room| room.len());
            let asked = direct.unwrap_or(0) + self.scratch.len();
            let result = match room {
                Some(room) => conn.socket.read_vectored(&mut [
                    IoSliceMut::new(room),
                    IoSliceMut::new(&mut self.scratch),
                ]),
                None => conn.socket.read(&mut self.scratch),
            };
            let n = match result {
                Ok(n) => n,
                Err(err) => {
                    self.finish_input(id, input);
                    match err.kind() {
                        io::ErrorKind::WouldBlock => return,
                        io::ErrorKind::Interrupted => continue,
                        kind => return self.ctx.abort(id, CloseReason::Io(kind)),
                    }
                }
            };
            match n {
                0 => {
                    let reason = match conn.state {
                        State::AwaitingAccept => CloseReason::Handshake,
                        _ => CloseReason::Dropped,
                    };
                    self.finish_input(id, input);
                    return self.ctx.abort(id, reason);
                }
                n => {
                    conn.last_read = now;
                    conn.flags.ping_outstanding = false;
                    let mut rest = n;
                    if let Some(room) = direct {
                        let filled = n.min(room);
                        input::on_payload(&mut self.service, &mut self.ctx, id, &mut input, filled);
                        rest -= filled;
                    }
                    if rest > 0 {
                        let data = &mut self.scratch[..rest];
                        self.ctx.borrowed.open(data);
                        input::on_bytes(&mut self.service, &mut self.ctx, id, &mut input, data);
                        self.ctx.write_borrowed(&self.scratch[..rest]);
                    }
                    self.finish_input(id, input);
                    self.deliver_notices();
                    budget = budget.saturating_sub(n);
                    if budget == 0 {
                        self.ctx.ready.push(id);
                        return;
                    }
                    if n < asked && drain == Drain::UntilShortRead {
                        return;
                    }
                }
            }
        }
    }

    /// Puts a connection's parser back after a read, taking the decoder's payload buffer
    /// back into the loop's spare unless a frame is still arriving in it.
    fn finish_input(&mut self, id: ConnId, mut input: Input) {
        if let Input::Frames(decoder) = &mut input {
            decoder.return_buffer(&mut self.spare_payload);
            if self.spare_payload.capacity() > SPARE_PAYLOAD_MAX {
                self.spare_payload = Default::default();
            }
        }
        self.ctx.restore_input(id, input);
    }

    fn run_commands(&mut self) {
        let commands = {
            let mut queue = self.shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *queue)
        };
        for command in commands {
            // Another thread cannot see this turn's state: a command for a connection that has
            // meanwhile closed is dropped, as a send racing the close would be.
            match command {
                Command::Text(id, text) => drop_stale(self.ctx.send_text(id, &text)),
                Command::Binary(id, bytes) => drop_stale(self.ctx.send_binary(id, &bytes)),
                Command::Close(id, code, reason) => drop_stale(self.ctx.close(id, code, &reason)),
                Command::Run(job) => job(&mut self.service, &mut self.ctx),
                Command::Shutdown => self.ctx.shutdown(),
            }
            self.deliver_notices();
        }
    }

    fn fire_timers(&mut self) {
        let now = self.ctx.now;
        while let Some((at, key)) = self.ctx.timers.pop_due(now) {
            match key {
                TimerKey::Service(timer, data) => {
                    if self.ctx.take_service_timer(timer) {
                        self.service
                            .on_timer(&mut self.ctx, crate::TimerId(timer), data);
                    }
                }
                TimerKey::Conn(id) => match self.ctx.conn(id) {
                    Some(c) if c.deadline == Some(at) => self.on_deadline(id),
                    // Possibly a stale protocol deadline: the handler re-arms if early.
                    Some(c) if c.flags.message_timer => self.on_message_deadline(id),
                    _ => {}
                },
            }
            self.deliver_notices();
        }
    }

    /// The connection's protocol deadline passed; what it means depends on the state.
    fn on_deadline(&mut self, id: ConnId) {
        let now = self.ctx.now;
        let keepalive = self.ctx.config.keepalive;
        let Some(conn) = self.ctx.conn_mut(id) else {
            return;
        };
        conn.deadline = None;
        match conn.state {
            State::Open => {
                let Some(keepalive) = keepalive else { return };
                let quiet_until = conn.last_read + keepalive.interval;
                if conn.flags.ping_outstanding {
                    self.ctx
                        .fail(id, CloseCode::GOING_AWAY, CloseReason::Timeout);
                } else if quiet_until > now {
                    self.ctx.set_deadline(id, Some(quiet_until));
                } else {
                    conn.flags.ping_outstanding = true;
                    if self.ctx.write_frame(id, OpCode::Ping, b"").is_ok() {
                        self.ctx.set_deadline(id, Some(now + keepalive.timeout));
                    }
                }
            }
            State::Lingering => self.ctx.free(id.index),
            State::AwaitingResponse { .. } => {}
            _ => self.ctx.abort(id, CloseReason::Timeout),
        }
    }

    /// A frame or fragmented message stayed incomplete for `Config::message_timeout`: the peer
    /// is trickling (a slowloris after the upgrade). 1008, not 1002: every byte was valid, the
    /// peer broke the server's policy on time, not the protocol (RFC 6455 §7.4.1).
    fn on_message_deadline(&mut self, id: ConnId) {
        let (Some(timeout), now) = (self.ctx.config.message_timeout, self.ctx.now) else {
            return;
        };
        let Some(conn) = self.ctx.conn_mut(id) else {
            return;
        };
        conn.flags.message_timer = false;
        match conn.message_start {
            Some(start) if conn.state == State::Open && start + timeout <= now => {
                self.ctx
                    .fail(id, CloseCode::POLICY_VIOLATION, CloseReason::Timeout);
            }
            // A message completed and another started since the timer was armed.
            Some(start) if conn.state == State::Open => {
                self.ctx.set_message_deadline(id, start + timeout)
            }
            _ => {}
        }
    }

    /// Delivers queued notices, then flushes dirty connections, until both are empty.
    fn settle(&mut self) {
        loop {
            self.deliver_notices();
            if self.ctx.dirty.is_empty() {
                return;
            }
            for index in std::mem::take(&mut self.ctx.dirty) {
                self.flush(index);
            }
        }
    }

    fn deliver_notices(&mut self) {
        while let Some(notice) = self.ctx.notices.pop_front() {
            match notice {
                Notice::Closed(id, reason) => self.service.on_close(&mut self.ctx, id, &reason),
                Notice::Drained(id) => self.service.on_drain(&mut self.ctx, id),
            }
        }
    }

    /// Writes the connection's unsent output (the turn's one write), then frees or compacts
    /// the buffer; a lingering server connection sends FIN once drained.
    fn flush(&mut self, index: u32) {
        let Some(id) = self.ctx.id_at(index as usize) else {
            return;
        };
        let high_water = self.ctx.config.high_water;
        let conn = self.ctx.conn_at(index);
        conn.flags.dirty = false;
        if conn.state == State::Connecting {
            return;
        }
        while conn.out_pos < conn.out.len() {
            match conn.socket.write(&conn.out[conn.out_pos..]) {
                Ok(n) => conn.out_pos += n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return self.ctx.abort(id, CloseReason::Io(err.kind())),
            }
        }
        if conn.out_pos == conn.out.len() {
            // Idle connections keep no output buffer: it goes back to the loop's pool.
            let drained = std::mem::take(&mut conn.out);
            conn.out_pos = 0;
            self.ctx.recycle(drained);
        } else if conn.out_pos >= COMPACT_AT && conn.out_pos * 2 >= conn.out.len() {
            conn.out.drain(..conn.out_pos);
            conn.out_pos = 0;
        }
        let conn = self.ctx.conn_at(index);
        if conn.flags.over_high_water && conn.buffered() <= high_water / 2 {
            conn.flags.over_high_water = false;
            if conn.state == State::Open {
                self.ctx.notices.push_back(Notice::Drained(id));
            }
        }
        let conn = self.ctx.conn_at(index);
        if conn.state == State::Lingering && conn.buffered() == 0 && !conn.flags.write_shut {
            conn.flags.write_shut = true;
            // RFC 6455 §7.1.1: the server closes TCP first; a client waits for the server.
            if conn.role == Role::Server && conn.socket.shutdown(Shutdown::Write).is_err() {
                self.ctx.free(index);
            }
        }
    }

    /// Stops accepting, lets the service say goodbye ([`Service::on_shutdown`]), then starts
    /// the close handshake on every WebSocket it left open and drops connections that never
    /// reached the service. Held requests and the service's idle keep-alive connections stay
    /// open: the service may still answer them (a long-poll's last messages), and
    /// [`EventLoop::is_finished`] waits for it.
    fn begin_shutdown(&mut self) {
        self.shutdown_deadline = Some(self.ctx.now + self.ctx.config.shutdown_timeout);
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        self.service.on_shutdown(&mut self.ctx);
        self.deliver_notices();
        for index in 0..self.ctx.slots.len() {
            let Some(id) = self.ctx.id_at(index) else {
                continue;
            };
            let conn = self.ctx.conn_at(id.index);
            match (conn.state, conn.flags.seen) {
                (State::Open, _) => {
                    let _ = self
                        .ctx
                        .close(id, CloseCode::GOING_AWAY, "server shutting down");
                }
                (State::AwaitingClose | State::Lingering, _) => {}
                (State::AwaitingResponse { .. } | State::ReadingHead, true) => {}
                (State::ReadingHead, false) => self.ctx.free(id.index),
                _ => self.ctx.abort(id, CloseReason::Shutdown),
            }
        }
    }
}

impl<S> Drop for EventLoop<S> {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::Release);
    }
}

/// A non-blocking listener, as `mio::net::TcpListener::bind` makes it (address reuse, backlog
/// 128).
#[cfg(not(feature = "listen-backlog"))]
fn bind(addr: SocketAddr, _config: &Config) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
}

/// A non-blocking listener with [`Config::listen_backlog`]: what `mio::net::TcpListener::bind`
/// does (address reuse, so a restarted server binds at once), except that mio fixes the
/// backlog at 128.
#[cfg(feature = "listen-backlog")]
fn bind(addr: SocketAddr, config: &Config) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let Some(backlog) = config.listen_backlog else {
        return TcpListener::bind(addr);
    };
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    socket.set_nonblocking(true)?;
    Ok(TcpListener::from_std(socket.into()))
}

/// Ignores the result of a command for a connection that may have closed meanwhile.
fn drop_stale(result: Result<(), crate::SendError>) {
    let _ = result;
}

fn is_transient_accept_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
