//! The server: inputs from the Engine.IO layer, outputs to it, timers and client bookkeeping.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;
use std::time::Instant;

use crate::ack::{AckGroup, Pending};
use crate::args::{self, Args, EmitError};
use crate::config::{Config, Handshake};
use crate::error::{AckError, DisconnectReason};
use crate::ids::{ClientId, IdGenerator, KeyHash, SocketKey};
use crate::namespace::{DynamicNamespace, Namespace};
use crate::packet::{Header, PacketType, ParseError};
use crate::socket::SocketState;

/// One Engine.IO message for the glue to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message: a packet header and its JSON.
    Text(Rc<str>),
    /// A binary attachment, sent right after its packet's text message.
    Binary(Rc<[u8]>),
}

/// What the glue must do on the Engine.IO layer, drained with [`Server::poll_transmit`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transmit {
    /// Send `message` on `client`'s session. When `volatile` is set and the transport cannot
    /// take it now, drop it (socket.io's `volatile` flag) instead of queueing it.
    Send {
        /// The session.
        client: ClientId,
        /// The message; broadcasts share one allocation among all recipients.
        message: Message,
        /// Drop rather than queue.
        volatile: bool,
    },
    /// Close `client`'s session after flushing what was sent before. This layer has already
    /// forgotten the client: the later [`Server::handle_close`] for it is ignored.
    Close {
        /// The session.
        client: ClientId,
    },
}

/// A [`Transmit`] borrowing the server's buffers, drained with [`Server::poll_transmit_ref`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransmitRef<'a> {
    /// As [`Transmit::Send`].
    Send {
        /// The session.
        client: ClientId,
        /// The message.
        message: MessageRef<'a>,
        /// Drop rather than queue.
        volatile: bool,
    },
    /// As [`Transmit::Close`].
    Close {
        /// The session.
        client: ClientId,
    },
    /// One message with its attachments for many sessions (a broadcast): for each client in
    /// turn, `text` then each of `attachments`, as that many [`TransmitRef::Send`]s would. The
    /// glue can encode each message once for all of them.
    Broadcast {
        /// The sessions, each once.
        clients: &'a [ClientId],
        /// The packet's text message.
        text: Rc<str>,
        /// Its binary attachments.
        attachments: Vec<Rc<[u8]>>,
        /// Drop rather than queue.
        volatile: bool,
    },
}

/// The message of a [`TransmitRef`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageRef<'a> {
    /// A text message for this recipient alone, in the server's buffer.
    Text(&'a str),
    /// A message shared with other recipients (broadcasts, attachments).
    Shared(Message),
}

/// An entry of the transmit queue.
pub(crate) enum Queued {
    /// Built already (broadcasts, attachments, closes).
    Ready(Transmit),
    /// A text message for one client at `arena[range.0..range.1]`.
    Text {
        client: ClientId,
        range: (usize, usize),
        volatile: bool,
    },
    /// A packet for the clients at `recipients[range.0..range.1]`.
    Broadcast {
        range: (usize, usize),
        packet: Shared,
        volatile: bool,
    },
}

/// Diagnostics, drained with [`Server::poll_event`]; the server has already acted on them.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A client sent an invalid packet and was closed.
    Rejected {
        /// The session.
        client: ClientId,
        /// What was wrong.
        error: ParseError,
    },
    /// A client sent a well-formed packet it may not send now (a packet for a namespace it
    /// has not joined, a second CONNECT, a CONNECT_ERROR) and was closed, as socket.io's
    /// "invalid state".
    InvalidState {
        /// The session.
        client: ClientId,
        /// The packet's type.
        packet: PacketType,
    },
    /// An event handler's arguments did not decode, or the handler returned an error.
    HandlerFailed {
        /// The event name.
        event: String,
        /// What failed.
        error: Box<dyn std::error::Error>,
    },
}

/// Table sizes, for leak checks and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Engine.IO sessions known.
    pub clients: usize,
    /// Sockets in all namespaces.
    pub sockets: usize,
    /// Rooms in all namespaces (each socket's own room included).
    pub rooms: usize,
    /// Namespaces, static and dynamic.
    pub namespaces: usize,
    /// Acks the server waits for, per socket.
    pub pending_acks: usize,
    /// Broadcast acks being collected.
    pub ack_groups: usize,
    /// Armed timers.
    pub timers: usize,
}

pub(crate) type TimerKey = (Instant, u64);

#[derive(Clone, Copy, Debug)]
pub(crate) enum Timer {
    Connect(ClientId),
    Ack(SocketKey, u64),
    Group(u64),
}

/// One Engine.IO session seen from this layer.
pub(crate) struct Client {
    pub(crate) handshake: Rc<Handshake>,
    /// The client's sockets, at most one per namespace.
    pub(crate) sockets: Vec<(Rc<str>, SocketKey)>,
    /// A binary packet waiting for its attachments.
    partial: Option<Box<Partial>>,
    pub(crate) connect_timer: Option<TimerKey>,
}

/// The socket `client` has in namespace `nsp`.
fn find_socket(client: &Client, nsp: &str) -> Option<SocketKey> {
    // Compared byte by byte: names are short (usually `/`), and a `memcmp` call for them
    // cost more than the loop.
    let same = |name: &str| name.len() == nsp.len() && name.bytes().eq(nsp.bytes());
    client
        .sockets
        .iter()
        .find(|(name, _)| same(name))
        .map(|&(_, key)| key)
}

struct Partial {
    text: String,
    attachments: Vec<Vec<u8>>,
    expected: usize,
}

/// A packet encoded once and shared by every recipient.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) text: Rc<str>,
    pub(crate) attachments: Vec<Rc<[u8]>>,
}

/// The Socket.IO server (socket.io's `io`): namespaces, sockets, rooms and acks over many
/// Engine.IO sessions. See the crate docs for the driving contract.
pub struct Server {
    pub(crate) config: Config,
    pub(crate) now: Instant,
    pub(crate) ids: IdGenerator,
    next_key: u64,
    pub(crate) clients: HashMap<ClientId, Client, KeyHash>,
    /// Boxed: a table holds up to twice as many slots as sockets, and a 256-byte state
    /// inline in each slot was the largest share of an idle socket's memory.
    pub(crate) sockets: HashMap<SocketKey, Box<SocketState>, KeyHash>,
    pub(crate) namespaces: HashMap<Rc<str>, Namespace>,
    pub(crate) dynamic: Vec<DynamicNamespace>,
    pub(crate) timers: BTreeMap<TimerKey, Timer>,
    timer_seq: u64,
    pub(crate) groups: HashMap<u64, AckGroup, KeyHash>,
    pub(crate) next_group: u64,
    pub(crate) generation: u64,
    pub(crate) transmits: VecDeque<Queued>,
    /// The text of queued [`Queued::Text`] packets, back to back; emptied when the queue is.
    arena: String,
    /// The recipients of the queued [`Queued::Broadcast`]s; cleared with the arena.
    pub(crate) recipients: Vec<ClientId>,
    events: VecDeque<Event>,
    scratch: String,
    /// What [`crate::Socket::extensions`] hands out once its socket is gone.
    pub(crate) detached: crate::Extensions,
    /// Sockets removed so far: a [`crate::Socket`] handle compares it with the count it saw
    /// to know its socket is still there without looking it up (keys are never reused).
    pub(crate) removed_sockets: u64,
}

impl Server {
    /// A server with the main namespace `/` and no handlers.
    ///
    /// ```
    /// use loopio_socket::{Config, Server};
    /// let io = Server::new(Config::new([1; 32]), std::time::Instant::now());
    /// assert_eq!(io.stats().namespaces, 1);
    /// ```
    pub fn new(config: Config, now: Instant) -> Self {
        let mut server = Self {
            ids: IdGenerator::new(config.seed),
            config,
            now,
            next_key: 0,
            clients: HashMap::default(),
            sockets: HashMap::default(),
            namespaces: HashMap::new(),
            dynamic: Vec::new(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            groups: HashMap::default(),
            next_group: 0,
            generation: 0,
            transmits: VecDeque::new(),
            arena: String::new(),
            recipients: Vec::new(),
            events: VecDeque::new(),
            scratch: String::new(),
            detached: crate::Extensions::default(),
            removed_sockets: 0,
        };
        server.of("/");
        server
    }

    /// Input: Engine.IO session `client` opened. Arms the connect timeout.
    pub fn handle_open(&mut self, now: Instant, client: ClientId, handshake: Handshake) {
        self.now = now;
        if self.clients.contains_key(&client) {
            return;
        }
        let timer = self.arm(now + self.config.connect_timeout, Timer::Connect(client));
        let state = Client {
            handshake: Rc::new(handshake),
            sockets: Vec::new(),
            partial: None,
            connect_timer: Some(timer),
        };
        self.clients.insert(client, state);
    }

    /// Input: a text message arrived on `client`'s session.
    pub fn handle_text(&mut self, now: Instant, client: ClientId, text: &str) {
        self.now = now;
        if let Err(error) = self.receive_text(client, text) {
            self.reject(client, error);
        }
    }

    /// Input: a binary message arrived on `client`'s session.
    pub fn handle_binary(&mut self, now: Instant, client: ClientId, data: &[u8]) {
        self.now = now;
        let Some(state) = self.clients.get_mut(&client) else {
            return;
        };
        let Some(partial) = state.partial.as_mut() else {
            return self.reject(client, ParseError::UnexpectedBinary);
        };
        partial.attachments.push(data.to_vec());
        if partial.attachments.len() < partial.expected {
            return;
        }
        let partial = state.partial.take().expect("checked above");
        if let Err(error) = self.receive_binary(client, *partial) {
            self.reject(client, error);
        }
    }

    /// Input: `client`'s session closed. Every socket of the client disconnects with `reason`
    /// (map Engine.IO's reasons: "transport close", "transport error", "ping timeout",
    /// "forced close"). Unknown clients are ignored.
    pub fn handle_close(&mut self, now: Instant, client: ClientId, reason: DisconnectReason) {
        self.now = now;
        self.drop_client(client, reason);
    }

    /// Input: time passed. Fires the connect and ack timeouts due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            match entry.remove() {
                Timer::Connect(client) => self.connect_timed_out(client),
                Timer::Ack(socket, id) => self.ack_timed_out(socket, id),
                Timer::Group(group) => self.finish_group(group, Some(AckError::Timeout)),
            }
        }
    }

    /// Command: shut down. Every socket is sent a DISCONNECT (after what was queued for it)
    /// and disconnects with "server shutting down", then every session is closed.
    ///
    /// Unlike socket.io's `io.close()`, which only closes the sessions (clients see
    /// "transport close" and reconnect), clients are told: the official client reports
    /// "io server disconnect" and does not reconnect by itself.
    pub fn close(&mut self, now: Instant) {
        self.now = now;
        let clients: Vec<ClientId> = self.clients.keys().copied().collect();
        for client in clients {
            let sockets = self
                .clients
                .get(&client)
                .map(|state| state.sockets.clone())
                .unwrap_or_default();
            for (nsp, _) in sockets {
                self.send_control::<()>(client, PacketType::Disconnect, &nsp, None);
            }
            self.drop_client(client, DisconnectReason::ServerShuttingDown);
            self.transmits
                .push_back(Queued::Ready(Transmit::Close { client }));
        }
    }

    /// Output: the next message to send or session to close, in order.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let Some(queued) = self.transmits.pop_front() else {
            self.arena.clear();
            self.recipients.clear();
            return None;
        };
        Some(match queued {
            Queued::Ready(transmit) => transmit,
            Queued::Broadcast {
                range,
                packet,
                volatile,
            } => {
                // One transmit per recipient and message, ahead of what follows.
                let mut expanded = VecDeque::new();
                for &client in &self.recipients[range.0..range.1] {
                    push_packet(&mut expanded, client, &packet, volatile);
                }
                expanded.append(&mut self.transmits);
                self.transmits = expanded;
                return self.poll_transmit();
            }
            Queued::Text {
                client,
                range,
                volatile,
            } => Transmit::Send {
                client,
                message: Message::Text(Rc::from(arena_text(&self.arena, range))),
                volatile,
            },
        })
    }

    /// Output: [`Server::poll_transmit`] borrowing the server's buffers, so that a message
    /// for one recipient is never copied into an allocation of its own. Drain it the same
    /// way, until `None`; the two may be mixed.
    // Inlined into the glue's drain loop: it runs once per message and once more at the end.
    #[inline]
    #[must_use]
    pub fn poll_transmit_ref(&mut self) -> Option<TransmitRef<'_>> {
        let Some(queued) = self.transmits.pop_front() else {
            self.arena.clear();
            self.recipients.clear();
            return None;
        };
        let (client, message, volatile) = match queued {
            Queued::Broadcast {
                range,
                packet,
                volatile,
            } => {
                return Some(TransmitRef::Broadcast {
                    clients: &self.recipients[range.0..range.1],
                    text: packet.text,
                    attachments: packet.attachments,
                    volatile,
                })
            }
            Queued::Ready(Transmit::Close { client }) => {
                return Some(TransmitRef::Close { client })
            }
            Queued::Ready(Transmit::Send {
                client,
                message,
                volatile,
            }) => (client, MessageRef::Shared(message), volatile),
            Queued::Text {
                client,
                range,
                volatile,
            } => {
                let text = arena_text(&self.arena, range);
                (client, MessageRef::Text(text), volatile)
            }
        };
        Some(TransmitRef::Send {
            client,
            message,
            volatile,
        })
    }

    /// Output: the next diagnostic.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Output: when to call [`Server::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first_key_value().map(|(key, _)| key.0)
    }

    /// Table sizes.
    pub fn stats(&self) -> Stats {
        Stats {
            clients: self.clients.len(),
            sockets: self.sockets.len(),
            rooms: self.namespaces.values().map(|ns| ns.rooms.len()).sum(),
            namespaces: self.namespaces.len(),
            pending_acks: self.sockets.values().map(|s| s.acks.len()).sum(),
            ack_groups: self.groups.len(),
            timers: self.timers.len(),
        }
    }

    /// A text message of a known client (unknown ones are ignored). The client is looked up
    /// once, for both its reassembly state and the packet's socket.
    fn receive_text(&mut self, client: ClientId, text: &str) -> Result<(), ParseError> {
        let Some(state) = self.clients.get(&client) else {
            return Ok(());
        };
        if state.partial.is_some() {
            // socket.io-parser: "got plaintext data when reconstructing a packet".
            return Err(ParseError::UnexpectedText);
        }
        // The usual packet, an EVENT on `/` without ack id (`2[…`, as `Header::parse` reads
        // it), goes to `receive_event` without a `Header` built on the stack.
        if let Some(payload) = text.strip_prefix('2').filter(|rest| rest.starts_with('[')) {
            if let Some(socket) = find_socket(state, "/") {
                return self.receive_event(socket, payload, None, None);
            }
        }
        let header = Header::parse(text, self.config.max_attachments)?;
        if !header.kind.is_binary() {
            let socket = find_socket(state, header.nsp);
            if let (PacketType::Event, Some(socket)) = (header.kind, socket) {
                // The usual packet, without the stack frame of every other type's handling.
                return self.receive_event(socket, header.payload, header.id, None);
            }
            return self.receive_packet(client, &header, socket, None);
        }
        // Check the JSON now, as socket.io-parser does, then wait for the attachments.
        self.check_payload(&header)?;
        let partial = Partial {
            text: text.to_owned(),
            attachments: Vec::with_capacity(header.attachments),
            expected: header.attachments,
        };
        let state = self.clients.get_mut(&client).expect("looked up above");
        state.partial = Some(Box::new(partial));
        Ok(())
    }

    fn receive_binary(&mut self, client: ClientId, partial: Partial) -> Result<(), ParseError> {
        let header = Header::parse(&partial.text, self.config.max_attachments)?;
        if !args::placeholders_valid(header.payload, partial.expected) {
            return Err(ParseError::IllegalPlaceholder);
        }
        let socket = self.socket_of(client, header.nsp);
        self.receive_packet(client, &header, socket, Some(partial.attachments.into()))
    }

    fn check_payload(&self, header: &Header<'_>) -> Result<(), ParseError> {
        match header.kind {
            PacketType::BinaryEvent => Args::scan_event(header.payload).map(drop),
            _ => Args::scan_ack(header.payload).map(drop),
        }
    }

    /// Routes a complete packet. As socket.io's `Client::ondecoded`, only a CONNECT to a
    /// namespace the client has not joined, or another packet (not CONNECT_ERROR) to one it
    /// has, is valid; anything else is an "invalid state" that closes the whole client with
    /// "forced server close". The payload is checked first, as socket.io-parser does before
    /// `ondecoded` runs, so a malformed packet is still a parse error.
    fn receive_packet(
        &mut self,
        client: ClientId,
        header: &Header<'_>,
        socket: Option<SocketKey>,
        attachments: Option<Rc<[Vec<u8>]>>,
    ) -> Result<(), ParseError> {
        let payload = header.payload;
        match (header.kind, socket) {
            (PacketType::Connect, None) => {
                let auth = parse_auth(payload)?;
                self.connect(client, header.nsp, auth);
            }
            (PacketType::Connect, Some(_)) => {
                parse_auth(payload)?;
                self.invalid_state(client, header.kind);
            }
            (PacketType::Disconnect, _) if !payload.is_empty() => {
                return Err(ParseError::InvalidPayload)
            }
            (PacketType::Disconnect, Some(socket)) => {
                self.remove_socket(socket, DisconnectReason::ClientNamespaceDisconnect);
            }
            (PacketType::Event | PacketType::BinaryEvent, Some(socket)) => {
                return self.receive_event(socket, payload, header.id, attachments);
            }
            (PacketType::Event | PacketType::BinaryEvent, None) => {
                Args::scan_event(payload)?;
                self.invalid_state(client, header.kind);
            }
            (PacketType::Ack | PacketType::BinaryAck, socket) => {
                let mut args = Args::scan_ack(payload)?;
                let Some(socket) = socket else {
                    self.invalid_state(client, header.kind);
                    return Ok(());
                };
                if let Some(attachments) = attachments {
                    args = args.with_attachments(attachments);
                }
                if let Some(id) = header.id {
                    self.receive_ack(socket, id, args);
                }
            }
            (PacketType::ConnectError, _) => {
                let value: serde_json::Value =
                    serde_json::from_str(payload).map_err(|_| ParseError::InvalidPayload)?;
                if !(value.is_string() || value.is_object()) {
                    return Err(ParseError::InvalidPayload);
                }
                // Only a server sends CONNECT_ERROR.
                self.invalid_state(client, header.kind);
            }
            (PacketType::Disconnect, None) => self.invalid_state(client, header.kind),
        }
        Ok(())
    }

    /// An EVENT or BINARY_EVENT (with its attachments) for a joined namespace: its payload
    /// is checked, then its handlers run.
    // The header's two fields by value: a reference made the caller copy the whole header
    // to its stack first.
    fn receive_event(
        &mut self,
        socket: SocketKey,
        payload: &str,
        id: Option<u64>,
        attachments: Option<Rc<[Vec<u8>]>>,
    ) -> Result<(), ParseError> {
        let (event, mut args) = Args::scan_event(payload)?;
        if let Some(attachments) = attachments {
            args = args.with_attachments(attachments);
        }
        self.dispatch_event(socket, &event, args, id);
        Ok(())
    }

    /// A well-formed packet the client may not send now (socket.io: "invalid state"): the
    /// client is closed, its sockets disconnect with "forced server close".
    fn invalid_state(&mut self, client: ClientId, packet: PacketType) {
        self.events
            .push_back(Event::InvalidState { client, packet });
        self.drop_client(client, DisconnectReason::ForcedServerClose);
        self.transmits
            .push_back(Queued::Ready(Transmit::Close { client }));
    }

    pub(crate) fn socket_of(&self, client: ClientId, nsp: &str) -> Option<SocketKey> {
        find_socket(self.clients.get(&client)?, nsp)
    }

    /// Closes a misbehaving client: its sockets disconnect with "parse error".
    fn reject(&mut self, client: ClientId, error: ParseError) {
        self.events.push_back(Event::Rejected { client, error });
        self.drop_client(client, DisconnectReason::ParseError);
        self.transmits
            .push_back(Queued::Ready(Transmit::Close { client }));
    }

    fn connect_timed_out(&mut self, client: ClientId) {
        let Some(state) = self.clients.get_mut(&client) else {
            return;
        };
        state.connect_timer = None;
        if state.sockets.is_empty() {
            self.drop_client(client, DisconnectReason::ForcedServerClose);
            self.transmits
                .push_back(Queued::Ready(Transmit::Close { client }));
        }
    }

    /// Forgets a client after disconnecting each of its sockets with `reason`.
    pub(crate) fn drop_client(&mut self, client: ClientId, reason: DisconnectReason) {
        let Some(state) = self.clients.get_mut(&client) else {
            return;
        };
        let sockets = std::mem::take(&mut state.sockets);
        for (_, socket) in sockets {
            self.remove_socket(socket, reason);
        }
        if let Some(state) = self.clients.remove(&client) {
            if let Some(timer) = state.connect_timer {
                self.timers.remove(&timer);
            }
        }
    }

    pub(crate) fn arm(&mut self, at: Instant, timer: Timer) -> TimerKey {
        self.timer_seq += 1;
        let key = (at, self.timer_seq);
        self.timers.insert(key, timer);
        key
    }

    pub(crate) fn next_socket_key(&mut self) -> SocketKey {
        self.next_key += 1;
        SocketKey(self.next_key)
    }

    pub(crate) fn push_event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    /// Encodes one EVENT or ACK into the reused scratch buffer and shares the result.
    pub(crate) fn encode<T: serde::Serialize + ?Sized>(
        &mut self,
        kind: PacketType,
        nsp: &str,
        id: Option<u64>,
        event: Option<&str>,
        data: &T,
    ) -> Result<Shared, EmitError> {
        self.scratch.clear();
        let mut attachments = Vec::new();
        args::write_packet(
            &mut self.scratch,
            &mut attachments,
            kind,
            nsp,
            id,
            event,
            data,
        )?;
        Ok(self.share(attachments))
    }

    /// Encodes a packet with no arguments' JSON of its own (CONNECT, DISCONNECT,
    /// CONNECT_ERROR) and queues it for `client`.
    pub(crate) fn send_control<T: serde::Serialize>(
        &mut self,
        client: ClientId,
        kind: PacketType,
        nsp: &str,
        data: Option<&T>,
    ) {
        self.scratch.clear();
        crate::packet::write_header(&mut self.scratch, kind, nsp, None);
        if let Some(data) = data {
            let out = args::StrWriter(&mut self.scratch);
            serde_json::to_writer(out, data).expect("control payloads serialize");
        }
        let packet = self.share(Vec::new());
        self.push_packet(client, &packet, false);
    }

    /// Encodes one EVENT or ACK for a single client straight into the transmit arena: no
    /// allocation of its own (a packet with attachments is shared as usual).
    pub(crate) fn send_packet<T: serde::Serialize + ?Sized>(
        &mut self,
        client: ClientId,
        (kind, nsp, id, event): (PacketType, &str, Option<u64>, Option<&str>),
        data: &T,
        volatile: bool,
    ) -> Result<(), EmitError> {
        if self.transmits.is_empty() {
            self.arena.clear();
        }
        let start = self.arena.len();
        let mut attachments = Vec::new();
        let out = &mut self.arena;
        let written = args::write_packet(out, &mut attachments, kind, nsp, id, event, data);
        if let Err(error) = written {
            self.arena.truncate(start);
            return Err(error);
        }
        if !attachments.is_empty() {
            let packet = Shared {
                text: Rc::from(&self.arena[start..]),
                attachments: attachments.into_iter().map(Rc::from).collect(),
            };
            self.arena.truncate(start);
            self.push_packet(client, &packet, volatile);
            return Ok(());
        }
        let range = (start, self.arena.len());
        self.transmits.push_back(Queued::Text {
            client,
            range,
            volatile,
        });
        Ok(())
    }

    fn share(&mut self, attachments: Vec<Vec<u8>>) -> Shared {
        Shared {
            text: Rc::from(self.scratch.as_str()),
            attachments: attachments.into_iter().map(Rc::from).collect(),
        }
    }

    pub(crate) fn push_packet(&mut self, client: ClientId, packet: &Shared, volatile: bool) {
        push_packet(&mut self.transmits, client, packet, volatile);
    }

    pub(crate) fn pending_fail(&mut self, pending: Pending, error: AckError) {
        match pending {
            Pending::Single { callback, timer } => {
                if let Some(timer) = timer {
                    self.timers.remove(&timer);
                }
                callback(self, Err(error));
            }
            Pending::Group(group) => self.group_lost_member(group),
        }
    }
}

/// Queues a packet's text message and its attachments for one client.
pub(crate) fn push_packet(
    transmits: &mut VecDeque<Queued>,
    client: ClientId,
    packet: &Shared,
    volatile: bool,
) {
    let text = Message::Text(packet.text.clone());
    transmits.push_back(Queued::Ready(Transmit::Send {
        client,
        message: text,
        volatile,
    }));
    for attachment in &packet.attachments {
        let message = Message::Binary(attachment.clone());
        transmits.push_back(Queued::Ready(Transmit::Send {
            client,
            message,
            volatile,
        }));
    }
}

/// The text of an arena packet (already a `str`: no UTF-8 check on the way out).
fn arena_text(arena: &str, (start, end): (usize, usize)) -> &str {
    &arena[start..end]
}

/// The CONNECT payload: absent (socket.io then sees `{}`), or a JSON object.
fn parse_auth(payload: &str) -> Result<serde_json::Value, ParseError> {
    if payload.is_empty() {
        return Ok(serde_json::Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_str(payload) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        _ => Err(ParseError::InvalidPayload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Single-recipient sends borrow the arena; shared ones and closes keep their order.
    #[test]
    fn borrowed_and_owned_drains_agree() {
        let t0 = Instant::now();
        let mut io = Server::new(Config::new([2; 32]), t0);
        io.of("/").on_connection(|socket| {
            socket.on_any(|ctx| {
                let args = ctx.args().verbatim();
                ctx.socket().emit("a", &args)?;
                ctx.io().emit("b", &1)?;
                ctx.ack(&"c")
            });
        });
        io.handle_open(t0, ClientId(1), Handshake::new(t0, "x"));
        io.handle_text(t0, ClientId(1), "0");
        while io.poll_transmit().is_some() {}
        let mut texts = Vec::new();
        for round in 0..2 {
            io.handle_text(t0, ClientId(1), r#"27["e",{"x":[1]}]"#);
            if round == 0 {
                while let Some(transmit) = io.poll_transmit_ref() {
                    texts.push(match transmit {
                        TransmitRef::Send {
                            message: MessageRef::Text(text),
                            ..
                        } => text.to_owned(),
                        TransmitRef::Broadcast {
                            clients,
                            text,
                            attachments,
                            ..
                        } => {
                            assert!(attachments.is_empty());
                            format!("broadcast {text} to {clients:?}")
                        }
                        _ => unreachable!(),
                    });
                }
            }
        }
        let owned: Vec<Transmit> = std::iter::from_fn(|| io.poll_transmit()).collect();
        let text = |t: &Transmit| match t {
            Transmit::Send {
                message: Message::Text(text),
                ..
            } => text.to_string(),
            _ => unreachable!(),
        };
        assert_eq!(
            texts,
            [
                r#"2["a",{"x":[1]}]"#,
                r#"broadcast 2["b",1] to [ClientId(1)]"#,
                r#"37["c"]"#
            ]
        );
        let owned: Vec<String> = owned.iter().map(text).collect();
        assert_eq!(owned, [r#"2["a",{"x":[1]}]"#, r#"2["b",1]"#, r#"37["c"]"#]);
        assert!(io.arena.is_empty());
        assert!(io.recipients.is_empty());
    }

    /// A broadcast is one borrowed transmit for all its recipients, and as many owned ones
    /// as recipients × messages, each client's text before its attachments, in queue order.
    #[test]
    fn broadcast_is_one_borrowed_transmit_and_expands_in_order() {
        let t0 = Instant::now();
        let mut io = Server::new(Config::new([2; 32]), t0);
        io.of("/").on_connection(|socket| {
            socket.on_any(|ctx| {
                ctx.socket().emit("a", &1)?;
                ctx.io().emit("b", &crate::Binary(vec![7]))?;
                ctx.socket().emit("c", &1)
            });
        });
        for client in [1, 2] {
            io.handle_open(t0, ClientId(client), Handshake::new(t0, "x"));
            io.handle_text(t0, ClientId(client), "0");
        }
        while io.poll_transmit().is_some() {}
        let event = r#"2["e"]"#;
        io.handle_text(t0, ClientId(1), event);
        let mut seen = Vec::new();
        while let Some(transmit) = io.poll_transmit_ref() {
            seen.push(match transmit {
                TransmitRef::Send {
                    client,
                    message: MessageRef::Text(text),
                    ..
                } => format!("{} {text}", client.0),
                TransmitRef::Broadcast {
                    clients,
                    text,
                    attachments,
                    ..
                } => format!("{clients:?} {text} {attachments:?}"),
                _ => unreachable!(),
            });
        }
        assert_eq!(
            seen,
            [
                r#"1 2["a",1]"#,
                r#"[ClientId(1), ClientId(2)] 51-["b",{"_placeholder":true,"num":0}] [[7]]"#,
                r#"1 2["c",1]"#
            ]
        );
        io.handle_text(t0, ClientId(1), event);
        let owned: Vec<String> = std::iter::from_fn(|| io.poll_transmit())
            .map(|t| match t {
                Transmit::Send {
                    client,
                    message: Message::Text(text),
                    ..
                } => format!("{} {text}", client.0),
                Transmit::Send {
                    client,
                    message: Message::Binary(bytes),
                    ..
                } => format!("{} {bytes:?}", client.0),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            owned,
            [
                r#"1 2["a",1]"#,
                r#"1 51-["b",{"_placeholder":true,"num":0}]"#,
                "1 [7]",
                r#"2 51-["b",{"_placeholder":true,"num":0}]"#,
                "2 [7]",
                r#"1 2["c",1]"#
            ]
        );
        assert!(io.recipients.is_empty());
    }
}
