//! [`Ctx`]: what the service may do from any callback, and the loop state behind it.

use std::collections::{HashSet, VecDeque};
use std::io::{self, IoSlice, Write};
use std::net::SocketAddr;
use std::time::Instant;

use loopio_frame::{CloseCode, OpCode, Role};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use crate::borrowed::Borrowed;
use crate::conn::{Conn, Input, State};
use crate::entropy::Entropy;
use crate::timer::{TimerKey, Timers};
use crate::trace::{self, FrameTracer};
use crate::{CloseReason, Config, ConnId, Initiator, OverflowPolicy, Response, SendError, TimerId};

/// Drained output buffers the loop keeps for the connections that write next turn. Without
/// it every busy turn would `malloc` a fresh buffer for each connection that writes (500 busy
/// connections hold 500 buffers at once, until the turn's flush) and glibc, having trimmed
/// the heap after the previous turn's frees, faults the pages in again: 0.4 to 0.7 page faults
/// per message at 500 connections × 512 B. The pool keeps as many buffers as the last turn
/// used, at least [`SPARE_MIN`], at most [`SPARE_BYTES`] of capacity for the whole loop
/// whatever the number of connections; idle connections hold no buffer at all.
const SPARE_MIN: usize = 16;
/// The most capacity the pool holds (bytes).
const SPARE_BYTES: usize = 4 << 20;
/// The largest capacity the pool keeps (bytes); larger buffers are freed when drained.
const SPARE_CAPACITY: usize = 256 << 10;
/// The capacity of a fresh output buffer when the pool is empty. Small, because a turn that
/// touches thousands of idle connections (a heartbeat round) takes a fresh buffer for each,
/// and glibc keeps the freed chunks resident: 4 KiB here cost 125 B of RSS per idle Socket.IO
/// connection after the first ping. Busy connections grow their buffer once and the pool
/// hands the grown buffer back next turn, so steady load does not pay the doubling.
const OUT_MIN_CAPACITY: usize = 512;
/// Payloads at least this long (bytes) skip the out buffer when it is empty: borrowed from the
/// loop's read buffer until the read is processed (`borrowed.rs`), else header and payload go
/// to the socket at once in one `writev`; only what the socket did not take is buffered.
/// Below it, copying is cheaper than a syscall per message, and many small sends in one turn
/// still cost one `write`.
const DIRECT_WRITE_MIN: usize = 16 << 10;

/// Something to tell the service once the current callback has returned.
#[derive(Debug)]
pub(crate) enum Notice {
    Closed(ConnId, CloseReason),
    Drained(ConnId),
}

/// One slab slot; `generation` grows each time the slot is freed.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) generation: u32,
    pub(crate) conn: Option<Conn>,
}

/// The loop's state as seen from a service callback: send, close, respond, connect and set
/// timers for any connection.
///
/// Output is appended to the connection's buffer and written once at the end of the loop turn,
/// so many sends in one turn cost one `write`.
///
/// ```no_run
/// # use loopio_net::{ConnId, Ctx, Data, Service};
/// # use loopio_frame::CloseCode;
/// struct Shout;
/// impl Service for Shout {
///     fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
///         if let Data::Text(text) = data {
///             if ctx.is_writable(conn) {
///                 let _ = ctx.send_text(conn, &text.to_uppercase());
///             } else {
///                 let _ = ctx.close(conn, CloseCode::POLICY_VIOLATION, "slow down");
///             }
///         }
///     }
/// }
/// # let _ = Shout;
/// ```
#[derive(Debug)]
pub struct Ctx {
    pub(crate) config: Config,
    pub(crate) registry: Registry,
    pub(crate) now: Instant,
    pub(crate) slots: Vec<Slot>,
    free: Vec<u32>,
    pub(crate) live: usize,
    pub(crate) dirty: Vec<u32>,
    /// Connections with input left to process (read budget spent, or a held request answered).
    pub(crate) ready: Vec<ConnId>,
    pub(crate) notices: VecDeque<Notice>,
    pub(crate) timers: Timers,
    service_timers: HashSet<u64>,
    next_timer: u64,
    entropy: Option<Entropy>,
    /// Drained output buffers for reuse (see [`SPARE_MIN`]).
    spare: Pool,
    /// A frame header being written straight to a socket (capacity 14, kept).
    header: Vec<u8>,
    /// Large frames queued from the read buffer, written once the read is processed.
    pub(crate) borrowed: Borrowed,
    pub(crate) trace: bool,
    pub(crate) shutdown: bool,
}

impl Ctx {
    pub(crate) fn new(config: Config, registry: Registry) -> Ctx {
        let trace = config.trace || trace::enabled_by_env();
        Ctx {
            config,
            registry,
            now: Instant::now(),
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            dirty: Vec::new(),
            ready: Vec::new(),
            notices: VecDeque::new(),
            timers: Timers::default(),
            service_timers: HashSet::new(),
            next_timer: 0,
            entropy: None,
            spare: Pool::default(),
            header: Vec::with_capacity(loopio_frame::MAX_HEADER_LEN),
            borrowed: Borrowed::default(),
            trace,
            shutdown: false,
        }
    }

    /// The time this loop turn started (one clock read per turn).
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The loop's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Queues a text message on an open WebSocket.
    pub fn send_text(&mut self, conn: ConnId, text: &str) -> Result<(), SendError> {
        self.send_data(conn, OpCode::Text, text.as_bytes())
    }

    /// Queues a binary message on an open WebSocket.
    pub fn send_binary(&mut self, conn: ConnId, bytes: &[u8]) -> Result<(), SendError> {
        self.send_data(conn, OpCode::Binary, bytes)
    }

    /// Queues one text message made of `parts` in order (a protocol prefix and a shared
    /// payload, say): one frame, each part copied once into the out buffer, no joined copy.
    ///
    /// ```no_run
    /// # use loopio_net::{ConnId, Ctx};
    /// fn engine_message(ctx: &mut Ctx, conn: ConnId, text: &str) {
    ///     let _ = ctx.send_text_parts(conn, &["4", text]); // frames "4" + text
    /// }
    /// # let _ = engine_message;
    /// ```
    pub fn send_text_parts(&mut self, conn: ConnId, parts: &[&str]) -> Result<(), SendError> {
        self.write_frame_parts(conn, OpCode::Text, parts)
    }

    /// Queues a frame encoded once for many connections (a broadcast): on server
    /// connections its bytes are appended with one copy, with no per-connection encoding.
    /// Client connections mask each frame afresh, so there the payload is encoded as by
    /// [`Ctx::send_text`] and [`Ctx::send_binary`].
    pub fn send_shared(&mut self, conn: ConnId, frame: &SharedFrame) -> Result<(), SendError> {
        let c = self.conn(conn).ok_or(SendError::Gone)?;
        if c.role == Role::Client || self.trace {
            return self.send_data(conn, frame.opcode, frame.payload());
        }
        if c.state != State::Open {
            return Err(SendError::WrongState);
        }
        if c.buffered().saturating_add(frame.bytes.len()) > self.config.max_buffered {
            return self.refuse(conn);
        }
        let high_water = self.config.high_water;
        let (c, spare, dirty) = self.conn_for_output(conn.index);
        ensure_out(c, spare);
        c.out.extend_from_slice(&frame.bytes);
        note_write(c, conn.index, high_water, dirty);
        Ok(())
    }

    /// Queues a ping (payload at most 125 bytes, longer is cut).
    pub fn send_ping(&mut self, conn: ConnId, payload: &[u8]) -> Result<(), SendError> {
        self.send_data(conn, OpCode::Ping, &payload[..payload.len().min(125)])
    }

    /// Starts the close handshake: sends a close frame, stops sending data, and waits
    /// [`Config::close_timeout`] for the peer's close before closing TCP.
    pub fn close(&mut self, conn: ConnId, code: CloseCode, reason: &str) -> Result<(), SendError> {
        match self.conn(conn).ok_or(SendError::Gone)?.state {
            State::Open => {}
            State::AwaitingResponse { .. } | State::ReadingHead | State::ReadingBody => {
                self.linger(conn.index);
                return Ok(());
            }
            _ => return Err(SendError::WrongState),
        }
        self.write_close(conn, code, reason)?;
        let deadline = self.now + self.config.close_timeout;
        let c = self.conn_at(conn.index);
        c.state = State::AwaitingClose;
        c.close_code = code.0;
        self.set_deadline(conn, Some(deadline));
        Ok(())
    }

    /// Answers the plain HTTP request `conn` holds (see
    /// [`HttpReply::Hold`](crate::HttpReply::Hold)); the connection then reads its next
    /// request, if keep-alive.
    pub fn respond(&mut self, conn: ConnId, response: Response) -> Result<(), SendError> {
        let State::AwaitingResponse { keep_alive } = self.conn(conn).ok_or(SendError::Gone)?.state
        else {
            return Err(SendError::WrongState);
        };
        self.write_response(conn, &response, keep_alive);
        if keep_alive && !response.close {
            self.ready.push(conn);
        }
        Ok(())
    }

    /// Unsent bytes of `conn` (0 when gone).
    pub fn buffered_amount(&self, conn: ConnId) -> usize {
        self.conn(conn).map_or(0, Conn::buffered)
    }

    /// Whether `conn` is an open WebSocket below its high-water mark.
    pub fn is_writable(&self, conn: ConnId) -> bool {
        self.conn(conn)
            .is_some_and(|c| c.state == State::Open && c.buffered() <= self.config.high_water)
    }

    /// Whether `conn` is an open WebSocket (not closing).
    pub fn is_open(&self, conn: ConnId) -> bool {
        self.conn(conn).is_some_and(|c| c.state == State::Open)
    }

    /// Whether `conn` is a client connection made with [`Ctx::connect`].
    pub fn is_client(&self, conn: ConnId) -> bool {
        self.conn(conn).is_some_and(|c| c.role == Role::Client)
    }

    /// The peer's address.
    pub fn peer_addr(&self, conn: ConnId) -> Option<SocketAddr> {
        self.conn(conn).and_then(|c| c.socket.peer_addr().ok())
    }

    /// Calls [`Service::on_timer`](crate::Service::on_timer) with `data` at `at`.
    pub fn set_timer(&mut self, at: Instant, data: u64) -> TimerId {
        self.next_timer += 1;
        self.service_timers.insert(self.next_timer);
        self.timers
            .push(at, TimerKey::Service(self.next_timer, data));
        TimerId(self.next_timer)
    }

    /// Cancels a timer; returns whether it was still pending.
    pub fn cancel_timer(&mut self, timer: TimerId) -> bool {
        self.service_timers.remove(&timer.0)
    }

    /// Stops accepting, calls [`Service::on_shutdown`](crate::Service::on_shutdown), sends
    /// close 1001 to every WebSocket the service left open and drops connections it never saw
    /// (held requests and idle keep-alive connections stay, so the service can still answer
    /// them). [`EventLoop::run`](crate::EventLoop::run) returns once
    /// [`Service::is_shutdown_pending`](crate::Service::is_shutdown_pending) is `false` and only
    /// idle keep-alive connections remain, or when [`Config::shutdown_timeout`] passed.
    pub fn shutdown(&mut self) {
        self.shutdown = true;
    }

    /// Opens a WebSocket client connection to `ws://host[:port][/path]` on this loop. The name
    /// is resolved with a blocking lookup. Events arrive like a server connection's:
    /// [`Service::on_open`](crate::Service::on_open) after a valid `101`.
    pub fn connect(&mut self, url: &str) -> Result<ConnId, crate::ConnectError> {
        crate::client::connect(self, url)
    }

    // ---- loop internals -------------------------------------------------------------------

    pub(crate) fn conn(&self, id: ConnId) -> Option<&Conn> {
        let slot = self.slots.get(id.index as usize)?;
        (slot.generation == id.generation)
            .then_some(slot.conn.as_ref())
            .flatten()
    }

    pub(crate) fn conn_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        let slot = self.slots.get_mut(id.index as usize)?;
        (slot.generation == id.generation)
            .then_some(slot.conn.as_mut())
            .flatten()
    }

    /// The connection at `index`, which the caller has just checked is live.
    pub(crate) fn conn_at(&mut self, index: u32) -> &mut Conn {
        self.slots[index as usize]
            .conn
            .as_mut()
            .expect("caller checked the slot is live")
    }

    /// The live connection at `index` beside the output pool and the dirty list, borrowed
    /// apart so one slot lookup serves a whole write.
    fn conn_for_output(&mut self, index: u32) -> (&mut Conn, &mut Pool, &mut Vec<u32>) {
        let Ctx {
            slots,
            spare,
            dirty,
            ..
        } = self;
        let conn = slots[index as usize]
            .conn
            .as_mut()
            .expect("caller checked the slot is live");
        (conn, spare, dirty)
    }

    /// The id of whatever connection lives at `index`.
    pub(crate) fn id_at(&self, index: usize) -> Option<ConnId> {
        let slot = self.slots.get(index)?;
        slot.conn.as_ref().map(|_| ConnId {
            index: index as u32,
            generation: slot.generation,
        })
    }

    /// Registers a new connection; fails when the slab is full or registration fails.
    pub(crate) fn insert(&mut self, mut conn: Conn) -> io::Result<ConnId> {
        if self.live >= self.config.max_connections {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "connection limit",
            ));
        }
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    conn: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(err) = self
            .registry
            .register(&mut conn.socket, Token(index as usize), interest)
        {
            self.free.push(index);
            return Err(err);
        }
        if self.trace {
            conn.tracer = Some(Box::default());
        }
        let slot = &mut self.slots[index as usize];
        slot.conn = Some(conn);
        self.live += 1;
        Ok(ConnId {
            index,
            generation: slot.generation,
        })
    }

    /// Drops the connection's socket and frees its slot for reuse with a new generation.
    pub(crate) fn free(&mut self, index: u32) {
        let slot = &mut self.slots[index as usize];
        if let Some(mut conn) = slot.conn.take() {
            // Deregistering can only fail if the fd is already gone; dropping closes it anyway.
            let _ = self.registry.deregister(&mut conn.socket);
            slot.generation = slot.generation.wrapping_add(1);
            self.free.push(index);
            self.live -= 1;
            self.recycle(conn.out);
        }
    }

    /// Keeps a drained output buffer for the next connection that writes, if the pool has room
    /// and the buffer is not too large; frees it otherwise.
    pub(crate) fn recycle(&mut self, buffer: Vec<u8>) {
        self.spare.put(buffer);
    }

    /// The turn is over: the pool shrinks to what this turn used.
    pub(crate) fn end_turn(&mut self) {
        self.spare.end_turn();
    }

    /// Gives connection `index` a pooled buffer if it has none, so a busy turn reuses memory
    /// instead of allocating it.
    fn take_spare(&mut self, index: u32) {
        let (conn, spare, _) = self.conn_for_output(index);
        ensure_out(conn, spare);
    }

    /// Tells the service (once) that `id` ended, then frees it.
    pub(crate) fn abort(&mut self, id: ConnId, reason: CloseReason) {
        self.notify_closed(id, reason);
        self.free(id.index);
    }

    /// Queues `on_close` for `id` if the service knows it and was not told yet.
    pub(crate) fn notify_closed(&mut self, id: ConnId, reason: CloseReason) {
        if let Some(conn) = self.conn_mut(id) {
            if conn.flags.seen && !conn.flags.notified {
                conn.flags.notified = true;
                self.notices.push_back(Notice::Closed(id, reason));
            }
        }
    }

    /// Sets the connection's one protocol deadline.
    pub(crate) fn set_deadline(&mut self, id: ConnId, at: Option<Instant>) {
        if let Some(conn) = self.conn_mut(id) {
            conn.deadline = at;
            if let Some(at) = at {
                self.timers.push(at, TimerKey::Conn(id));
                self.compact_timers();
            }
        }
    }

    /// Arms the connection's message-timeout timer (see `input::arm_message_deadline`).
    pub(crate) fn set_message_deadline(&mut self, id: ConnId, at: Instant) {
        if let Some(conn) = self.conn_mut(id) {
            conn.flags.message_timer = true;
            self.timers.push(at, TimerKey::Conn(id));
            self.compact_timers();
        }
    }

    /// Drops stale heap entries once they outnumber live deadlines.
    fn compact_timers(&mut self) {
        if self.timers.len() <= 2 * (self.live + self.service_timers.len()) + 1024 {
            return;
        }
        let (slots, service) = (&self.slots, &self.service_timers);
        self.timers.retain(|at, key| match key {
            TimerKey::Conn(id) => slots.get(id.index as usize).is_some_and(|s| {
                s.generation == id.generation
                    && s.conn
                        .as_ref()
                        .is_some_and(|c| c.deadline == Some(at) || c.flags.message_timer)
            }),
            TimerKey::Service(timer, _) => service.contains(&timer),
        });
    }

    /// Whether a popped service timer is still pending (and consumes it).
    pub(crate) fn take_service_timer(&mut self, timer: u64) -> bool {
        self.service_timers.remove(&timer)
    }

    /// Puts the parser back after processing, unless the connection no longer needs it.
    pub(crate) fn restore_input(&mut self, id: ConnId, input: Input) {
        if let Some(conn) = self.conn_mut(id) {
            if conn.state.keeps_input() && matches!(conn.input, Input::None) {
                conn.input = input;
            }
        }
    }

    /// Closes TCP politely: flush what is queued, send FIN (server), discard input until the
    /// peer's EOF or [`Config::close_timeout`].
    pub(crate) fn linger(&mut self, index: u32) {
        let deadline = self.now + self.config.close_timeout;
        let conn = self.conn_at(index);
        conn.state = State::Lingering;
        conn.input = Input::None;
        let id = ConnId {
            index,
            generation: self.slots[index as usize].generation,
        };
        self.set_deadline(id, Some(deadline));
        self.mark_dirty(index);
    }

    /// Fails the WebSocket: close frame with `code`, then close TCP (RFC 6455 §7.1.7).
    pub(crate) fn fail(&mut self, id: ConnId, code: CloseCode, reason: CloseReason) {
        if self.write_close(id, code, "").is_err() {
            return;
        }
        self.notify_closed(id, reason);
        self.linger(id.index);
    }

    fn send_data(&mut self, id: ConnId, opcode: OpCode, payload: &[u8]) -> Result<(), SendError> {
        match self.conn(id).ok_or(SendError::Gone)?.state {
            State::Open => self.write_frame(id, opcode, payload),
            _ => Err(SendError::WrongState),
        }
    }

    /// Encodes one frame (masked with fresh randomness on client connections) into `out`.
    pub(crate) fn write_frame(
        &mut self,
        id: ConnId,
        opcode: OpCode,
        payload: &[u8],
    ) -> Result<(), SendError> {
        if self.trace || self.conn_at(id.index).role == Role::Client {
            return self.write_frame_general(id, opcode, payload);
        }
        // A server frame: unmasked, one slot lookup, appended to the out buffer unless it is
        // large enough to go without a copy (borrowed from the read buffer, or written now).
        let (max_buffered, high_water) = (self.config.max_buffered, self.config.high_water);
        let Ctx {
            slots,
            spare,
            dirty,
            header,
            borrowed,
            ..
        } = self;
        let conn = slots[id.index as usize]
            .conn
            .as_mut()
            .expect("caller checked the slot is live");
        let buffered = conn.buffered();
        let at_most = buffered.saturating_add(payload.len() + 14);
        if at_most > max_buffered {
            return self.refuse(id);
        }
        if payload.len() >= DIRECT_WRITE_MIN && conn.out_empty() {
            header.clear();
            loopio_frame::encode_header(header, opcode, true, payload.len() as u64, None);
            let len = header.len() + payload.len();
            // Borrowed frames go out before the out buffer, so only while it is empty (and
            // while their count, a `u32` to keep the slot small, cannot overflow).
            if let Some(range) = borrowed
                .locate(payload)
                .filter(|_| buffered + len <= u32::MAX as usize)
            {
                borrowed.push(id, header, range);
                conn.borrowed += len as u32;
                note_write(conn, id.index, high_water, dirty);
                return Ok(());
            }
            if buffered == 0 {
                let written = write_direct(&mut conn.socket, header, payload);
                if written == len {
                    return Ok(());
                }
                ensure_out(conn, spare);
                match written.checked_sub(header.len()) {
                    Some(sent) => conn.out.extend_from_slice(&payload[sent..]),
                    None => {
                        conn.out.reserve(len - written);
                        conn.out.extend_from_slice(&header[written..]);
                        conn.out.extend_from_slice(payload);
                    }
                }
                note_write(conn, id.index, high_water, dirty);
                return Ok(());
            }
        }
        ensure_out(conn, spare);
        loopio_frame::encode_frame(&mut conn.out, opcode, true, payload, None);
        if at_most > high_water {
            note_write(conn, id.index, high_water, dirty);
        } else {
            note_dirty(conn, id.index, dirty);
        }
        Ok(())
    }

    /// [`Ctx::write_frame`] for client connections (masked) and when tracing.
    fn write_frame_general(
        &mut self,
        id: ConnId,
        opcode: OpCode,
        payload: &[u8],
    ) -> Result<(), SendError> {
        self.reserve(id, payload.len() + 14)?;
        let mask = self.mask_for(id)?;
        if self.trace {
            trace::frame_out(id, opcode, true, payload, mask);
        }
        let conn = self.conn_at(id.index);
        if mask.is_none() && payload.len() >= DIRECT_WRITE_MIN && conn.buffered() == 0 {
            let mut header = std::mem::take(&mut self.header);
            header.clear();
            loopio_frame::encode_header(&mut header, opcode, true, payload.len() as u64, None);
            let conn = self.conn_at(id.index);
            let written = write_direct(&mut conn.socket, &header, payload);
            if written < header.len() + payload.len() {
                self.take_spare(id.index);
                let conn = self.conn_at(id.index);
                match written.checked_sub(header.len()) {
                    Some(sent) => conn.out.extend_from_slice(&payload[sent..]),
                    None => {
                        conn.out.reserve(header.len() + payload.len() - written);
                        conn.out.extend_from_slice(&header[written..]);
                        conn.out.extend_from_slice(payload);
                    }
                }
                self.after_write(id.index);
            }
            self.header = header;
            return Ok(());
        }
        self.take_spare(id.index);
        let conn = self.conn_at(id.index);
        loopio_frame::encode_frame(&mut conn.out, opcode, true, payload, mask);
        self.after_write(id.index);
        Ok(())
    }

    /// [`Ctx::write_frame`] for a payload given in parts (a data opcode, FIN set).
    fn write_frame_parts(
        &mut self,
        id: ConnId,
        opcode: OpCode,
        parts: &[&str],
    ) -> Result<(), SendError> {
        let len: usize = match parts {
            // Engine.IO's `["4", text]`, the usual call, without a loop.
            [prefix, text] => prefix.len() + text.len(),
            _ => parts.iter().map(|part| part.len()).sum(),
        };
        // One slot lookup for the checks (a per-message path: Engine.IO and Socket.IO sends).
        let conn = self.conn(id).ok_or(SendError::Gone)?;
        if conn.state != State::Open {
            return Err(SendError::WrongState);
        }
        let at_most = conn.buffered().saturating_add(len + 14);
        if at_most > self.config.max_buffered {
            return self.refuse(id);
        }
        let mask = match conn.role {
            Role::Server => None,
            Role::Client => self.mask_for(id)?,
        };
        let trace = self.trace;
        let high_water = self.config.high_water;
        // Checked live above; `mask_for` only drops it on error.
        let (conn, spare, dirty) = self.conn_for_output(id.index);
        ensure_out(conn, spare);
        conn.out.reserve(len + 14);
        let start = match (mask, u8::try_from(len), parts) {
            // RFC 6455 §5.2: FIN, the opcode, then a 7-bit length up to 125 with the mask bit
            // clear. The usual small server frame (Engine.IO's `4` and a text): its two header
            // bytes and the prefix byte in one inline store, then one copy call.
            (None, Ok(short @ 0..=125), &[prefix, text]) if prefix.len() == 1 => {
                let start = conn.out.len() + 2;
                let head = [0x80 | opcode.as_u8(), short, prefix.as_bytes()[0]];
                conn.out.extend_from_slice(&head);
                conn.out.extend_from_slice(text.as_bytes());
                start
            }
            _ => {
                loopio_frame::encode_header(&mut conn.out, opcode, true, len as u64, mask);
                let start = conn.out.len();
                for part in parts {
                    conn.out.extend_from_slice(part.as_bytes());
                }
                start
            }
        };
        if trace {
            let payload = conn.out[start..].to_vec();
            trace::frame_out(id, opcode, true, &payload, mask);
        }
        if let Some(key) = mask {
            loopio_frame::apply_mask(&mut conn.out[start..], key, 0);
        }
        // As in `write_frame`: no recount when even the largest size stays below the mark.
        if at_most > high_water {
            note_write(conn, id.index, high_water, dirty);
        } else {
            note_dirty(conn, id.index, dirty);
        }
        Ok(())
    }

    /// Encodes a close frame; never refused (it is small and ends the connection anyway).
    pub(crate) fn write_close(
        &mut self,
        id: ConnId,
        code: CloseCode,
        reason: &str,
    ) -> Result<(), SendError> {
        let index = id.index;
        let mask = self.mask_for(id)?;
        if self.trace {
            let mut payload = code.0.to_be_bytes().to_vec();
            payload.extend_from_slice(reason.as_bytes());
            trace::frame_out(id, OpCode::Close, true, &payload, mask);
        }
        loopio_frame::encode_close(&mut self.conn_at(index).out, code, reason, mask);
        self.after_write(index);
        Ok(())
    }

    /// Puts `parts`, bytes that must go out first (borrowed frames a socket did not take), in
    /// front of the connection's unsent output.
    pub(crate) fn buffer_first(&mut self, index: u32, parts: &[&[u8]]) {
        let (conn, spare, dirty) = self.conn_for_output(index);
        let mut out = spare.take();
        out.reserve(parts.iter().map(|part| part.len()).sum::<usize>() + conn.buffered());
        for part in parts {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&conn.out[conn.out_pos..]);
        spare.put(std::mem::replace(&mut conn.out, out));
        conn.out_pos = 0;
        note_dirty(conn, index, dirty);
    }

    /// Appends raw bytes (HTTP heads).
    pub(crate) fn write_raw(&mut self, index: u32, write: impl FnOnce(&mut Vec<u8>)) {
        let trace = self.trace;
        let id = ConnId {
            index,
            generation: self.slots[index as usize].generation,
        };
        let conn = self.conn_at(index);
        let start = conn.out.len();
        write(&mut conn.out);
        if trace {
            trace::head(id, "->", &conn.out[start..]);
        }
        self.after_write(index);
    }

    /// Writes an HTTP response, then either awaits the next request or closes.
    pub(crate) fn write_response(&mut self, id: ConnId, response: &Response, keep_alive: bool) {
        let close = !keep_alive || response.close;
        let headers: Vec<(&str, &str)> = response
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.write_raw(id.index, |out| {
            loopio_handshake::write_response(out, response.status, &headers, &response.body, close);
        });
        if close {
            self.linger(id.index);
        } else {
            let deadline = self.now + self.config.handshake_timeout;
            // The parser (a head buffer, maybe holding a pipelined request) stays as it is.
            self.conn_at(id.index).state = State::ReadingHead;
            self.set_deadline(id, Some(deadline));
        }
    }

    /// A fresh mask for a client connection, `None` for a server one. If `/dev/urandom` fails
    /// the connection is dropped: a predictable mask would defeat its purpose (RFC 6455 §10.3).
    fn mask_for(&mut self, id: ConnId) -> Result<Option<[u8; 4]>, SendError> {
        if self.conn_at(id.index).role == Role::Server {
            return Ok(None);
        }
        let mut mask = [0; 4];
        match self.entropy().and_then(|e| e.fill(&mut mask)) {
            Ok(()) => Ok(Some(mask)),
            Err(err) => {
                self.abort(id, CloseReason::Io(err.kind()));
                Err(SendError::Gone)
            }
        }
    }

    /// Applies the output limits before `extra` more bytes are queued.
    fn reserve(&mut self, id: ConnId, extra: usize) -> Result<(), SendError> {
        let buffered = self.conn_at(id.index).buffered();
        if buffered.saturating_add(extra) <= self.config.max_buffered {
            return Ok(());
        }
        self.refuse(id)
    }

    /// `extra` more bytes would pass [`Config::max_buffered`]: refuses them, and drops the
    /// connection under [`OverflowPolicy::Close`].
    #[cold]
    fn refuse(&mut self, id: ConnId) -> Result<(), SendError> {
        if self.config.overflow == OverflowPolicy::Close {
            self.abort(id, CloseReason::Overflow);
        }
        Err(SendError::Full)
    }

    fn after_write(&mut self, index: u32) {
        let high_water = self.config.high_water;
        let (conn, _, dirty) = self.conn_for_output(index);
        note_write(conn, index, high_water, dirty);
    }

    pub(crate) fn mark_dirty(&mut self, index: u32) {
        let (conn, _, dirty) = self.conn_for_output(index);
        note_dirty(conn, index, dirty);
    }

    /// The peer's close frame arrived: answer it (server then closes TCP first, §7.1.1).
    pub(crate) fn on_peer_close(
        &mut self,
        id: ConnId,
        frame: Option<loopio_frame::CloseFrame<'_>>,
    ) {
        let Some(state) = self.conn(id).map(|c| c.state) else {
            return;
        };
        let reason = match state {
            State::Open => {
                // §5.5.1: "the endpoint MUST send a Close frame in response ... typically
                // echoing the status code it received".
                let echo = frame.map_or(CloseCode::NORMAL, |f| f.code);
                if self.write_close(id, echo, "").is_err() {
                    return;
                }
                let code = frame.map_or(CloseCode::NO_STATUS, |f| f.code);
                CloseReason::Closed {
                    code,
                    initiator: Initiator::Remote,
                }
            }
            _ => {
                let code = CloseCode(self.conn_at(id.index).close_code);
                CloseReason::Closed {
                    code,
                    initiator: Initiator::Local,
                }
            }
        };
        self.notify_closed(id, reason);
        self.linger(id.index);
    }

    /// Opens the entropy pool on first use (clients only).
    pub(crate) fn entropy(&mut self) -> io::Result<&mut Entropy> {
        if self.entropy.is_none() {
            self.entropy = Some(Entropy::open()?);
        }
        Ok(self.entropy.as_mut().expect("just opened"))
    }

    /// Adds a client connection (already connecting) with its request queued.
    pub(crate) fn insert_client(
        &mut self,
        socket: TcpStream,
        input: Input,
        request: Vec<u8>,
    ) -> io::Result<ConnId> {
        let mut conn = Conn::new(socket, Role::Client, State::Connecting, input, self.now);
        conn.out = request;
        conn.flags.seen = true;
        let id = self.insert(conn)?;
        if self.trace {
            trace::head(id, "->", &self.conn_at(id.index).out);
        }
        let deadline = self.now + self.config.handshake_timeout;
        self.set_deadline(id, Some(deadline));
        Ok(id)
    }

    /// Starts a new frame tracer for a connection whose frames begin now.
    pub(crate) fn trace_frames_in(&mut self, id: ConnId, data: &[u8]) {
        if let Some(conn) = self.conn_mut(id) {
            if let Some(tracer) = conn.tracer.as_deref_mut() {
                FrameTracer::feed(tracer, id, data);
            }
        }
    }
}

/// Gives a connection with no out buffer one from the pool (idle connections hold none).
fn ensure_out(conn: &mut Conn, spare: &mut Pool) {
    if conn.out.capacity() == 0 {
        conn.out = spare.take();
    }
}

/// [`Ctx::after_write`] on a connection already at hand: marks it over the high-water mark if
/// it is, and dirty so the turn's flush writes it.
fn note_write(conn: &mut Conn, index: u32, high_water: usize, dirty: &mut Vec<u32>) {
    if conn.buffered() > high_water {
        conn.flags.over_high_water = true;
    }
    note_dirty(conn, index, dirty);
}

/// Marks a connection dirty so the turn's flush writes it.
fn note_dirty(conn: &mut Conn, index: u32, dirty: &mut Vec<u32>) {
    if !conn.flags.dirty {
        conn.flags.dirty = true;
        dirty.push(index);
    }
}

/// The output buffer pool (see [`SPARE_MIN`]).
#[derive(Debug, Default)]
struct Pool {
    buffers: Vec<Vec<u8>>,
    /// The total capacity of `buffers`.
    bytes: usize,
    /// Buffers handed out this turn.
    taken: usize,
}

impl Pool {
    /// A pooled buffer, else a fresh one.
    fn take(&mut self) -> Vec<u8> {
        self.taken += 1;
        match self.buffers.pop() {
            Some(buffer) => {
                self.bytes -= buffer.capacity();
                buffer
            }
            None => Vec::with_capacity(OUT_MIN_CAPACITY),
        }
    }

    /// Keeps a drained buffer if it is not too large and the pool has room; frees it otherwise.
    fn put(&mut self, mut buffer: Vec<u8>) {
        let capacity = buffer.capacity();
        if capacity > 0 && capacity <= SPARE_CAPACITY && self.bytes + capacity <= SPARE_BYTES {
            buffer.clear();
            self.bytes += capacity;
            self.buffers.push(buffer);
        }
    }

    /// Frees the buffers this turn did not need, so a burst does not pin memory for good.
    fn end_turn(&mut self) {
        let keep = self.taken.max(SPARE_MIN);
        while self.buffers.len() > keep {
            if let Some(buffer) = self.buffers.pop() {
                self.bytes -= buffer.capacity();
            }
        }
        self.taken = 0;
    }
}

/// Writes `header` then `payload` with as few `writev` calls as the socket allows; returns the
/// bytes written before the socket would block or failed (a real error shows up again at the
/// next flush, which then ends the connection).
fn write_direct(socket: &mut TcpStream, header: &[u8], payload: &[u8]) -> usize {
    let total = header.len() + payload.len();
    let mut written = 0;
    while written < total {
        let result = match written.checked_sub(header.len()) {
            Some(sent) => socket.write(&payload[sent..]),
            None => {
                socket.write_vectored(&[IoSlice::new(&header[written..]), IoSlice::new(payload)])
            }
        };
        match result {
            Ok(0) => break,
            Ok(n) => written += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    written
}

/// An unmasked data frame encoded once, for [`Ctx::send_shared`] to many connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedFrame {
    opcode: OpCode,
    /// Where the payload starts in `bytes`.
    header_len: usize,
    /// Header and payload.
    bytes: Vec<u8>,
}

impl SharedFrame {
    /// A text frame whose payload is `parts` joined.
    pub fn text_parts(parts: &[&str]) -> SharedFrame {
        let len: usize = parts.iter().map(|part| part.len()).sum();
        let mut bytes = Vec::with_capacity(len + 10);
        loopio_frame::encode_header(&mut bytes, OpCode::Text, true, len as u64, None);
        let header_len = bytes.len();
        for part in parts {
            bytes.extend_from_slice(part.as_bytes());
        }
        SharedFrame {
            opcode: OpCode::Text,
            header_len,
            bytes,
        }
    }

    /// A binary frame.
    pub fn binary(payload: &[u8]) -> SharedFrame {
        let mut bytes = Vec::with_capacity(payload.len() + 10);
        loopio_frame::encode_header(&mut bytes, OpCode::Binary, true, payload.len() as u64, None);
        let header_len = bytes.len();
        bytes.extend_from_slice(payload);
        SharedFrame {
            opcode: OpCode::Binary,
            header_len,
            bytes,
        }
    }

    /// The frame's payload.
    pub fn payload(&self) -> &[u8] {
        &self.bytes[self.header_len..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shared frame is the bytes `encode_frame` gives for the joined payload.
    #[test]
    fn shared_frame_encodes_like_a_single_frame() {
        for len in [0, 5, 125, 126, 70_000] {
            let text = "x".repeat(len);
            let frame = SharedFrame::text_parts(&["4", &text]);
            let mut expected = Vec::new();
            let payload = format!("4{text}");
            loopio_frame::encode_frame(&mut expected, OpCode::Text, true, payload.as_bytes(), None);
            assert_eq!(frame.bytes, expected);
            assert_eq!(frame.payload(), payload.as_bytes());
            let frame = SharedFrame::binary(text.as_bytes());
            expected.clear();
            loopio_frame::encode_frame(&mut expected, OpCode::Binary, true, text.as_bytes(), None);
            assert_eq!(frame.bytes, expected);
        }
    }

    #[test]
    fn pool_keeps_what_a_turn_used_then_shrinks() {
        let mut pool = Pool::default();
        // A busy turn: 100 connections write at once, then all drain.
        let taken: Vec<Vec<u8>> = (0..100).map(|_| pool.take()).collect();
        for buffer in taken {
            pool.put(buffer);
        }
        pool.end_turn();
        assert_eq!(pool.buffers.len(), 100);
        // The next busy turn allocates nothing.
        let taken: Vec<Vec<u8>> = (0..100).map(|_| pool.take()).collect();
        assert!(pool.buffers.is_empty());
        for buffer in taken {
            pool.put(buffer);
        }
        pool.end_turn();
        // A quiet turn lets the surplus go.
        pool.end_turn();
        assert_eq!(pool.buffers.len(), SPARE_MIN);
        assert_eq!(pool.bytes, SPARE_MIN * OUT_MIN_CAPACITY);
    }

    #[test]
    fn pool_is_bounded_in_bytes_and_buffer_size() {
        let mut pool = Pool::default();
        pool.put(Vec::with_capacity(SPARE_CAPACITY + 1));
        assert!(pool.buffers.is_empty());
        for _ in 0..SPARE_BYTES / SPARE_CAPACITY + 3 {
            pool.put(Vec::with_capacity(SPARE_CAPACITY));
        }
        assert!(pool.bytes <= SPARE_BYTES);
        assert_eq!(pool.buffers.len(), SPARE_BYTES / SPARE_CAPACITY);
    }
}
