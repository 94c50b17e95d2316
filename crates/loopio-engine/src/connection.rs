//! One Engine.IO session: heartbeats, long-polling, the upgrade, and closing.
//!
//! ```text
//!  transport:   Polling(held GET?) ──"5" on the probe──▶ WebSocket(id) ──▶ Gone
//!                     │                                                    ▲
//!                     └────────────── any close ───────────────────────────┘
//!  upgrade:     Idle ──ws open──▶ ExpectProbe ──"2probe"/"3probe"──▶ ExpectUpgrade ──"5"──▶ Idle
//!                 ▲                     │ anything else, close, upgrade_timeout │
//!                 └─────────────────────┴───────────────────────────────────────┘
//!  state:       Open ──close()──▶ ExpectDrain ──queue sent with "1" / WS closed──▶ Closed
//!                 └──────── "1", transport loss, ping timeout, parse error ───────▶ Closed
//! ```

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::error::{CloseReason, RequestError, SendError};
use crate::http::{self, Reply};
use crate::packet::{records, Data, Packet, PacketType, WsKind, SEPARATOR};
use crate::queue::{Inbox, Incoming, Outbox, Popped, WARM};
use crate::server::{SessionRequest, Sid, TransportId, TransportKind};
use crate::timer::{Timer, TimerTable};

/// One bytes-to-send instruction from [`Connection::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a Transmit names the transport its bytes go to"]
pub struct Transmit {
    /// The transport the bytes go to (as the loop named it).
    pub to: TransportId,
    /// What the bytes appended to `out` are.
    pub kind: TransmitKind,
}

/// What [`Connection::poll_transmit`] appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransmitKind {
    /// A complete HTTP/1.1 response to the request `to`; that request is finished. Close the
    /// TCP connection after writing it when `close`.
    Http {
        /// The request did not ask for keep-alive.
        close: bool,
    },
    /// One WebSocket text message payload: frame it and send it on `to`.
    WsText,
    /// One WebSocket binary message payload.
    WsBinary,
    /// Nothing appended: send a close frame without a status code on `to` and close it (as
    /// `ws`'s `close()`); do not report it back with `handle_transport_closed`.
    WsClose,
}

/// What the session tells the layer above, from [`Connection::poll_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A message packet's data.
    Message(Data<'a>),
    /// The session now runs over the WebSocket.
    Upgraded,
    /// The session ended; no more events follow. Keep draining `poll_transmit`, then drop
    /// the connection and call [`crate::Server::remove`].
    Closed(CloseReason),
}

/// How a transport the loop held for a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportEnd {
    /// The peer closed it (EOF, WebSocket close frame).
    Closed,
    /// It failed (reset, protocol error, write error).
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// `close()` was called; waiting for the queue to reach the client.
    ExpectDrain,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeldGet {
    id: TransportId,
    reply: Reply,
    handshake: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Polling(Option<HeldGet>),
    WebSocket(TransportId),
    Gone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UpgradeState {
    Idle,
    ExpectProbe(TransportId),
    ExpectUpgrade(TransportId),
}

impl UpgradeState {
    fn probe(self) -> Option<TransportId> {
        match self {
            UpgradeState::Idle => None,
            UpgradeState::ExpectProbe(id) | UpgradeState::ExpectUpgrade(id) => Some(id),
        }
    }
}

/// An answer that goes out before queued packets.
#[derive(Debug, Clone, Copy)]
struct Control {
    to: TransportId,
    answer: Answer,
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Payload(&'static [u8], Reply),
    PostOk(Reply),
    Status(u16, Reply),
    Error(RequestError, Reply),
    ProbePong,
    WsClose,
}

/// One Engine.IO session (quinn-proto style): feed it with `handle_*`, command it with
/// [`send`](Connection::send) and [`close`](Connection::close), and after each call drain
/// [`poll_transmit`](Connection::poll_transmit), then [`poll_event`](Connection::poll_event),
/// then read [`poll_timeout`](Connection::poll_timeout). See the crate docs for the contract.
#[derive(Debug)]
pub struct Connection {
    config: Arc<Config>,
    sid: Sid,
    state: State,
    transport: Transport,
    upgrade: UpgradeState,
    timers: TimerTable,
    outbox: Outbox,
    control: VecDeque<Control>,
    inbox: Inbox,
    /// Messages sent or received (not pings, pongs or the open packet), saturating: below
    /// [`WARM`] drained queues free their buffers.
    traffic: u8,
}

impl Connection {
    pub(crate) fn new(
        now: Instant,
        config: Arc<Config>,
        sid: Sid,
        kind: TransportKind,
        id: TransportId,
        reply: Reply,
        upgrades: bool,
    ) -> Connection {
        let transport = match kind {
            TransportKind::Polling => Transport::Polling(Some(HeldGet {
                id,
                reply,
                handshake: true,
            })),
            TransportKind::WebSocket => Transport::WebSocket(id),
        };
        let open = format!(
            concat!(
                r#"{{"sid":"{}","upgrades":[{}],"#,
                r#""pingInterval":{},"pingTimeout":{},"maxPayload":{}}}"#
            ),
            sid,
            if upgrades { r#""websocket""# } else { "" },
            config.ping_interval.as_millis(),
            config.ping_timeout.as_millis(),
            config.max_payload,
        );
        let mut connection = Connection {
            sid,
            state: State::Open,
            transport,
            upgrade: UpgradeState::Idle,
            timers: TimerTable::default(),
            outbox: Outbox::default(),
            control: VecDeque::new(),
            inbox: Inbox::default(),
            traffic: 0,
            config,
        };
        connection.queue(Packet::text(PacketType::Open, &open));
        connection
            .timers
            .set(Timer::Ping, now + connection.config.ping_interval);
        connection
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        self.sid.as_str()
    }

    /// The transport carrying packets, or `None` once closed.
    pub fn transport(&self) -> Option<TransportKind> {
        match self.transport {
            Transport::Polling(_) => Some(TransportKind::Polling),
            Transport::WebSocket(_) => Some(TransportKind::WebSocket),
            Transport::Gone => None,
        }
    }

    /// Whether a WebSocket upgrade is in progress.
    pub fn is_upgrading(&self) -> bool {
        self.upgrade != UpgradeState::Idle
    }

    /// Whether the session has ended ([`Event::Closed`] was queued).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Bytes of message data queued in the session, not yet handed to a transport.
    pub fn buffered_amount(&self) -> usize {
        self.outbox.queued()
    }

    /// Whether a message sent now goes out without waiting behind queued packets: the session
    /// is open and runs over WebSocket, holds a GET, or has nothing queued. A polling session
    /// with no held GET and a non-empty queue is not writable (what `volatile` checks).
    pub fn is_writable(&self) -> bool {
        self.state == State::Open
            && match self.transport {
                Transport::WebSocket(_) | Transport::Polling(Some(_)) => true,
                Transport::Polling(None) => self.outbox.is_empty(),
                Transport::Gone => false,
            }
    }

    /// The WebSocket a message may be framed on directly, instead of [`send`] then
    /// [`poll_transmit`]: the session is open over WebSocket and nothing waits before it, so
    /// `poll_transmit` would yield exactly that message next (`4` + text as a text frame,
    /// bytes as a binary frame). Skips the session's queue and its copy.
    ///
    /// [`send`]: Connection::send
    /// [`poll_transmit`]: Connection::poll_transmit
    pub fn direct_ws(&self) -> Option<TransportId> {
        match self.transport {
            Transport::WebSocket(id)
                if self.state == State::Open
                    && self.outbox.is_empty()
                    && self.control.is_empty() =>
            {
                Some(id)
            }
            _ => None,
        }
    }

    // ----- inputs -------------------------------------------------------------------------

    /// A GET for this session arrived (routed as [`crate::RequestKind::Poll`]): it is held
    /// until there is something to send. A second GET while one is held closes the session
    /// ("transport error"): the first gets `1`, the second a bare `400`.
    pub fn handle_poll(&mut self, _now: Instant, id: TransportId, request: &SessionRequest) {
        if !self.accepts_polling(id, request.reply) {
            return;
        }
        match self.transport {
            Transport::Polling(None) => {
                let get = HeldGet {
                    id,
                    reply: request.reply,
                    handshake: false,
                };
                self.transport = Transport::Polling(Some(get));
            }
            _ => {
                self.finish(CloseReason::TransportError);
                self.answer(id, Answer::Status(400, request.reply));
            }
        }
    }

    /// A POST's complete body arrived: its packets are processed, then it is answered `ok`.
    /// A body over `max_payload` is answered `413` and closes the session.
    pub fn handle_post(
        &mut self,
        now: Instant,
        id: TransportId,
        request: &SessionRequest,
        body: &[u8],
    ) {
        if !self.accepts_polling(id, request.reply) {
            return;
        }
        if body.len() > self.config.max_payload {
            return self.handle_post_too_large(now, id, request);
        }
        if request.binary_body {
            // Protocol 4 posts text only; the official server fails the transport.
            self.answer(id, Answer::Status(400, request.reply));
            return self.finish(CloseReason::TransportError);
        }
        let mut scratch = Vec::new();
        for record in records(body) {
            match Packet::decode(record, &mut scratch) {
                Ok(packet) => self.on_packet(now, packet),
                Err(_) => {
                    self.finish(CloseReason::ParseError);
                    break;
                }
            }
        }
        self.answer(id, Answer::PostOk(request.reply));
    }

    /// The loop stopped reading a POST body at `max_payload` bytes: answer `413` and close
    /// the session ("transport error").
    pub fn handle_post_too_large(
        &mut self,
        _now: Instant,
        id: TransportId,
        request: &SessionRequest,
    ) {
        if self.accepts_polling(id, request.reply) {
            self.answer(id, Answer::Status(413, request.reply));
            self.finish(CloseReason::TransportError);
        }
    }

    /// A WebSocket for this session (routed as [`crate::RequestKind::WebSocket`]) completed
    /// its `101`: it becomes the upgrade probe. One already upgraded or upgrading, or a closed
    /// session, gets [`TransmitKind::WsClose`] instead.
    pub fn handle_ws_open(&mut self, now: Instant, id: TransportId) {
        let can_probe = self.state == State::Open
            && matches!(self.transport, Transport::Polling(_))
            && self.upgrade == UpgradeState::Idle;
        if !can_probe {
            return self.answer(id, Answer::WsClose);
        }
        self.upgrade = UpgradeState::ExpectProbe(id);
        self.timers
            .set(Timer::Upgrade, now + self.config.upgrade_timeout);
    }

    /// A complete WebSocket message arrived on `id` (text frames as `Data::Text`).
    pub fn handle_ws(&mut self, now: Instant, id: TransportId, data: Data<'_>) {
        if let Some(data) = self.handle_ws_message(now, id, data) {
            self.traffic = self.traffic.saturating_add(1);
            self.inbox.push_message(data);
        }
    }

    /// Like [`handle_ws`](Connection::handle_ws), but a message packet that would be the only
    /// event waiting is handed back instead of queued, so the layer above reads it straight
    /// from `data` (no copy). Give it to the layer above as if [`poll_event`] had yielded it.
    /// Handing a message back changes nothing in the session (no transmit, event or deadline
    /// is queued), so only the layer above's commands need draining after it; `None` is an
    /// input like any other: drain as after any input.
    ///
    /// [`poll_event`]: Connection::poll_event
    ///
    /// ```
    /// # use std::time::Instant;
    /// # use loopio_engine::{Config, Data, RequestHead, Route, Server, TransportId};
    /// # let mut server = Server::new(Config::default(), [1; 32]);
    /// # let head = RequestHead { method: "GET", path: "/engine.io/",
    /// #     query: "EIO=4&transport=websocket", origin: None, upgrade: true, keep_alive: true,
    /// #     content_type: None, access_control_request_headers: None };
    /// # let Route::Incoming(incoming) = server.handle_request(&head, &mut Vec::new()) else {
    /// #     panic!() };
    /// let now = Instant::now();
    /// let (_, mut session) = server.accept(now, incoming, TransportId(1));
    /// let message = session.handle_ws_message(now, TransportId(1), Data::Text("4hi"));
    /// assert_eq!(message, Some(Data::Text("hi")));
    /// assert!(session.poll_event().is_none());
    /// ```
    // Inlined for the usual message on an open session, which goes straight back to the
    // caller; the rest goes through the call.
    #[inline]
    pub fn handle_ws_message<'a>(
        &mut self,
        now: Instant,
        id: TransportId,
        data: Data<'a>,
    ) -> Option<Data<'a>> {
        // A message that would be the only event waiting goes straight back to the caller.
        let deliver = self.transport == Transport::WebSocket(id)
            && data.len() <= self.config.max_payload
            && self.state == State::Open
            && self.inbox.is_empty();
        match data {
            Data::Text(text) if deliver => match text.strip_prefix('4') {
                Some(message) => Some(Data::Text(message)),
                None => self.handle_ws_other(now, id, data),
            },
            Data::Binary(bytes) if deliver => Some(Data::Binary(bytes)),
            _ => self.handle_ws_other(now, id, data),
        }
    }

    /// [`Connection::handle_ws_message`] of anything but a message to deliver now.
    fn handle_ws_other<'a>(
        &mut self,
        now: Instant,
        id: TransportId,
        data: Data<'a>,
    ) -> Option<Data<'a>> {
        if self.transport != Transport::WebSocket(id) {
            if self.upgrade.probe() == Some(id) {
                self.on_probe(data);
            }
            return None;
        }
        if data.len() > self.config.max_payload {
            self.finish(CloseReason::TransportError);
            return None;
        }
        let mut scratch = Vec::new();
        let packet = match data {
            // The frame decoder already checked the UTF-8.
            Data::Text(text) => Packet::decode_str(text, &mut scratch),
            Data::Binary(bytes) => Ok(Packet::message(Data::Binary(bytes))),
        };
        match packet {
            Ok(packet) => self.on_packet(now, packet),
            Err(_) => self.finish(CloseReason::ParseError),
        }
        None
    }

    /// A transport the loop held for this session ended by itself (not after a
    /// [`TransmitKind::WsClose`] or a finished HTTP answer). A held GET or the session's
    /// WebSocket ending closes the session; the probe ending cancels the upgrade.
    pub fn handle_transport_closed(&mut self, _now: Instant, id: TransportId, end: TransportEnd) {
        match self.transport {
            Transport::Polling(Some(get)) if get.id == id => {
                // Official: "poll connection closed prematurely".
                self.transport = Transport::Polling(None);
                self.finish(CloseReason::TransportError);
            }
            Transport::WebSocket(ws) if ws == id => {
                self.transport = Transport::Gone;
                self.finish(match end {
                    TransportEnd::Closed => CloseReason::TransportClose,
                    TransportEnd::Failed => CloseReason::TransportError,
                });
            }
            _ if self.upgrade.probe() == Some(id) => {
                self.upgrade = UpgradeState::Idle;
                self.timers.stop(Timer::Upgrade);
            }
            _ => {}
        }
    }

    /// Time passed: runs every deadline due at `now` (ping, pong, upgrade, close).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.take_expired(now) {
            match timer {
                Timer::Ping if self.state == State::Open => {
                    self.queue(Packet::text(PacketType::Ping, ""));
                    self.timers.set(Timer::Pong, now + self.config.ping_timeout);
                }
                Timer::Ping => {}
                Timer::Pong => self.finish(CloseReason::PingTimeout),
                Timer::Upgrade => self.cancel_upgrade(),
                Timer::Close => self.finish(CloseReason::ForcedClose),
            }
        }
    }

    // ----- commands -----------------------------------------------------------------------

    /// Queues a message. The data is copied once into the session's reused buffer.
    ///
    /// Fails with [`SendError::Closed`] once closing, and [`SendError::BufferFull`] past
    /// [`Config::max_buffered`] queued bytes.
    pub fn send(&mut self, data: Data<'_>) -> Result<(), SendError> {
        if self.state != State::Open {
            return Err(SendError::Closed);
        }
        self.traffic = self.traffic.saturating_add(1);
        self.outbox
            .push(Packet::message(data), self.config.max_buffered)
    }

    /// Closes the session after the queued packets ("forced close"): over WebSocket they are
    /// sent then the socket closed; over polling they go with `1` on the next GET (right now
    /// if one is held), or the session ends after `close_timeout` without one.
    pub fn close(&mut self, now: Instant) {
        if self.state != State::Open {
            return;
        }
        match self.transport {
            Transport::Polling(Some(_)) if self.outbox.is_empty() => {
                self.finish(CloseReason::ForcedClose);
            }
            Transport::Polling(_) => {
                self.state = State::ExpectDrain;
                // No more pings; an outstanding pong deadline still applies.
                self.timers.stop(Timer::Ping);
                self.timers
                    .set(Timer::Close, now + self.config.close_timeout);
            }
            Transport::WebSocket(_) => self.state = State::ExpectDrain,
            Transport::Gone => {}
        }
    }

    // ----- outputs ------------------------------------------------------------------------

    /// Appends the next bytes to send to `out` and says where they go; `None` when there is
    /// nothing to send. Call until `None` after every input and command.
    pub fn poll_transmit(&mut self, _now: Instant, out: &mut Vec<u8>) -> Option<Transmit> {
        if let Some(control) = self.control.pop_front() {
            return Some(self.write_control(control, out));
        }
        match self.transport {
            Transport::Polling(Some(get)) if self.has_poll_answer() => {
                Some(self.write_poll(get, out))
            }
            Transport::WebSocket(id) => {
                if let Some(packet) = self.outbox.front() {
                    let kind = match packet.encode_ws(out) {
                        WsKind::Text => TransmitKind::WsText,
                        WsKind::Binary => TransmitKind::WsBinary,
                    };
                    self.outbox.pop(self.traffic >= WARM);
                    return Some(Transmit { to: id, kind });
                }
                if self.state == State::ExpectDrain {
                    self.finish(CloseReason::ForcedClose);
                    let control = self.control.pop_front()?;
                    return Some(self.write_control(control, out));
                }
                None
            }
            _ => None,
        }
    }

    /// The next event for the layer above. Message data borrows the session until the event
    /// is dropped; drain until `None` after every input.
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        Some(match self.inbox.pop(self.traffic >= WARM)? {
            Popped::Message(data) => Event::Message(data),
            Popped::Upgraded => Event::Upgraded,
            Popped::Closed(reason) => Event::Closed(reason),
        })
    }

    /// The nearest deadline: call [`handle_timeout`](Connection::handle_timeout) then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    // ----- internals ----------------------------------------------------------------------

    /// Polling requests on an upgraded session are a transport mismatch (400, code 3); on a
    /// closed one the sid is gone (400, code 1).
    fn accepts_polling(&mut self, id: TransportId, reply: Reply) -> bool {
        let error = match self.transport {
            Transport::Polling(_) => return true,
            Transport::WebSocket(_) => RequestError::BadRequest,
            Transport::Gone => RequestError::UnknownSid,
        };
        self.answer(id, Answer::Error(error, reply));
        false
    }

    fn queue(&mut self, packet: Packet<'_>) {
        // Control packets bypass the application's limit; they are few and tiny. They do not
        // count as traffic: an idle session's pings leave it cold.
        let _ = self.outbox.push(packet, usize::MAX);
    }

    fn answer(&mut self, to: TransportId, answer: Answer) {
        self.control.push_back(Control { to, answer });
    }

    fn on_packet(&mut self, now: Instant, packet: Packet<'_>) {
        if self.state != State::Open {
            return;
        }
        match packet.kind {
            // Protocol 4: only the server pings ("invalid heartbeat direction").
            PacketType::Ping => self.finish(CloseReason::TransportError),
            PacketType::Pong => {
                self.timers.stop(Timer::Pong);
                self.timers
                    .set(Timer::Ping, now + self.config.ping_interval);
            }
            PacketType::Message => {
                self.traffic = self.traffic.saturating_add(1);
                self.inbox.push_message(packet.data);
            }
            PacketType::Close => self.finish(CloseReason::TransportClose),
            PacketType::Open | PacketType::Upgrade | PacketType::Noop => {}
        }
    }

    /// A message on the probing WebSocket: `2probe` is answered `3probe`, then `5` switches.
    fn on_probe(&mut self, data: Data<'_>) {
        match (self.upgrade, data) {
            (
                UpgradeState::ExpectProbe(id) | UpgradeState::ExpectUpgrade(id),
                Data::Text("2probe"),
            ) => {
                self.answer(id, Answer::ProbePong);
                // A held GET is now answered `6` (see `has_poll_answer`) so the client's
                // polling pauses.
                self.upgrade = UpgradeState::ExpectUpgrade(id);
            }
            (UpgradeState::ExpectUpgrade(id), Data::Text("5")) if self.state != State::Closed => {
                self.timers.stop(Timer::Upgrade);
                self.upgrade = UpgradeState::Idle;
                if let Transport::Polling(Some(get)) = self.transport {
                    self.answer(get.id, Answer::Payload(b"6", get.reply));
                }
                self.transport = Transport::WebSocket(id);
                self.timers.stop(Timer::Close);
                self.inbox.push(Incoming::Upgraded);
            }
            _ => self.cancel_upgrade(),
        }
    }

    fn cancel_upgrade(&mut self) {
        if let Some(probe) = self.upgrade.probe() {
            self.answer(probe, Answer::WsClose);
        }
        self.upgrade = UpgradeState::Idle;
        self.timers.stop(Timer::Upgrade);
    }

    /// Ends the session once: releases its transports and queues `Closed(reason)`.
    fn finish(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.timers.stop_all();
        self.outbox.clear(false);
        match std::mem::replace(&mut self.transport, Transport::Gone) {
            Transport::Polling(Some(get)) => {
                // Official: a client-initiated close releases the held GET with a noop, a
                // server-side close sends it the close packet.
                let body: &'static [u8] = match reason {
                    CloseReason::TransportClose => b"6",
                    _ => b"1",
                };
                self.answer(get.id, Answer::Payload(body, get.reply));
            }
            Transport::WebSocket(id) => self.answer(id, Answer::WsClose),
            Transport::Polling(None) | Transport::Gone => {}
        }
        self.cancel_upgrade();
        self.inbox.push(Incoming::Closed(reason));
    }

    /// A held GET is answered when packets wait, when closing, or (empty, `6`) while an
    /// upgrade awaits `5`: the official server forces a polling cycle then.
    fn has_poll_answer(&self) -> bool {
        !self.outbox.is_empty()
            || self.state == State::ExpectDrain
            || matches!(self.upgrade, UpgradeState::ExpectUpgrade(_))
    }

    fn write_poll(&mut self, get: HeldGet, out: &mut Vec<u8>) -> Transmit {
        self.transport = Transport::Polling(None);
        let mut body = Vec::new();
        while let Some(packet) = self.outbox.front() {
            let needed = body.len() + usize::from(!body.is_empty()) + packet.polling_len();
            if !body.is_empty() && needed > self.config.max_payload {
                break; // The rest waits for the next GET.
            }
            if !body.is_empty() {
                body.push(SEPARATOR);
            }
            packet.encode_polling(&mut body);
            self.outbox.pop(self.traffic >= WARM);
        }
        let closing = self.state == State::ExpectDrain && self.outbox.is_empty();
        if body.is_empty() {
            body.push(PacketType::Noop.digit());
        }
        if closing {
            body.extend_from_slice(&[SEPARATOR, PacketType::Close.digit()]);
        }
        let cookie = (get.handshake && self.config.cookie)
            .then(|| format!("io={}; Path=/; HttpOnly; SameSite=Lax", self.sid));
        http::payload(out, &self.config, get.reply, cookie.as_deref(), &body);
        if closing {
            self.finish(CloseReason::ForcedClose);
        }
        Transmit {
            to: get.id,
            kind: TransmitKind::Http {
                close: !get.reply.keep_alive,
            },
        }
    }

    fn write_control(&self, control: Control, out: &mut Vec<u8>) -> Transmit {
        let config = &self.config;
        let kind = match control.answer {
            Answer::Payload(body, reply) => {
                http::payload(out, config, reply, None, body);
                TransmitKind::Http {
                    close: !reply.keep_alive,
                }
            }
            Answer::PostOk(reply) => {
                http::post_ok(out, config, reply);
                TransmitKind::Http {
                    close: !reply.keep_alive,
                }
            }
            Answer::Status(status, reply) => {
                http::status(out, config, reply, status);
                TransmitKind::Http {
                    close: !reply.keep_alive,
                }
            }
            Answer::Error(error, reply) => {
                http::error(out, config, reply, error, false);
                TransmitKind::Http {
                    close: !reply.keep_alive,
                }
            }
            Answer::ProbePong => {
                out.extend_from_slice(b"3probe");
                TransmitKind::WsText
            }
            Answer::WsClose => TransmitKind::WsClose,
        };
        Transmit {
            to: control.to,
            kind,
        }
    }
}
