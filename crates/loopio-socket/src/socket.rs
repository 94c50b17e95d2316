//! Sockets: one client in one namespace. The [`Socket`] handle, the contexts handlers get,
//! event dispatch and the disconnect sequence.
//!
//! ```text
//! connected ──(client DISCONNECT | socket.disconnect() | session closed)──► disconnecting
//!   disconnecting: on_disconnecting(reason) runs with rooms still visible
//!   then: leave all rooms, pending acks fail with AckError::Disconnected,
//!         on_disconnect(reason) runs on the removed socket ──► gone
//! ```

use std::rc::Rc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ack::{self, Pending};
use crate::args::{Args, EmitError};
use crate::broadcast::{BroadcastOperator, Selection};
use crate::config::Handshake;
use crate::error::{AckError, DisconnectReason};
use crate::extensions::Extensions;
use crate::ids::{ClientId, SocketId, SocketKey};
use crate::namespace::remove_member;
use crate::packet::PacketType;
use crate::server::{Event, Queued, Server, Transmit};

type EventHandler = Rc<dyn Fn(&mut EventContext<'_>)>;
type DisconnectingHandler = Rc<dyn Fn(&mut Socket<'_>, DisconnectReason)>;
type DisconnectHandler = Rc<dyn Fn(&mut Disconnected<'_>, DisconnectReason)>;

#[derive(Default)]
struct Handlers {
    /// Searched in order: sockets register a few events, and a `Vec` is half a `HashMap`'s
    /// size in every socket (a `SipHash` of the name cost about as much as the scan).
    events: Vec<(Box<str>, EventHandler)>,
    any: Option<EventHandler>,
    disconnecting: Option<DisconnectingHandler>,
    disconnect: Option<DisconnectHandler>,
}

pub(crate) struct SocketState {
    id: SocketId,
    pub(crate) nsp: Rc<str>,
    pub(crate) client: ClientId,
    handshake: Rc<Handshake>,
    auth: serde_json::Value,
    pub(crate) rooms: Vec<Rc<str>>,
    handlers: Handlers,
    pub(crate) acks: Vec<(u64, Pending)>,
    extensions: Extensions,
    /// The last broadcast that visited this socket (see `Server::targets`).
    pub(crate) mark: u64,
    closing: bool,
}

impl SocketState {
    fn view(&self) -> View {
        (
            self.id,
            self.nsp.clone(),
            self.handshake.clone(),
            self.client,
        )
    }

    pub(crate) fn new(
        id: SocketId,
        nsp: Rc<str>,
        client: ClientId,
        handshake: Rc<Handshake>,
        auth: serde_json::Value,
        extensions: Extensions,
    ) -> Self {
        Self {
            id,
            nsp,
            client,
            handshake,
            auth,
            rooms: Vec::new(),
            handlers: Handlers::default(),
            acks: Vec::new(),
            extensions,
            mark: 0,
            closing: false,
        }
    }

    pub(crate) fn id(&self) -> SocketId {
        self.id
    }
}

/// What a handler returns: `()` or a `Result` whose error is reported as
/// [`Event::HandlerFailed`].
pub trait HandlerResult {
    /// The error to report, if any.
    fn into_error(self) -> Option<Box<dyn std::error::Error>>;
}

impl HandlerResult for () {
    fn into_error(self) -> Option<Box<dyn std::error::Error>> {
        None
    }
}

impl<E: std::error::Error + 'static> HandlerResult for Result<(), E> {
    fn into_error(self) -> Option<Box<dyn std::error::Error>> {
        self.err().map(|e| Box::new(e) as _)
    }
}

/// What a [`Socket`] keeps of its state: id, namespace, handshake and client.
type View = (SocketId, Rc<str>, Rc<Handshake>, ClientId);

/// A connected socket, borrowed from the server for the duration of a handler.
///
/// Emit flags (`volatile`, `timeout`) apply to the next emit only, as in socket.io.
pub struct Socket<'a> {
    io: &'a mut Server,
    key: SocketKey,
    id: SocketId,
    nsp: Rc<str>,
    handshake: Rc<Handshake>,
    client: ClientId,
    /// [`Server::removed_sockets`] when the handle was made: while it is unchanged, the
    /// socket is still there and `client` is its client, without a lookup per emit.
    removals: u64,
    volatile: bool,
    timeout: Option<Duration>,
}

impl<'a> Socket<'a> {
    pub(crate) fn attach(io: &'a mut Server, key: SocketKey) -> Option<Self> {
        let view = io.sockets.get(&key)?.view();
        Some(Self::with_view(io, key, view))
    }

    /// [`Socket::attach`] for a caller that has just read the socket's state.
    fn with_view(io: &'a mut Server, key: SocketKey, (id, nsp, handshake, client): View) -> Self {
        // A handle starts with no stand-in data of a gone socket (see `Socket::extensions`).
        if io.detached.is_used() {
            io.detached = Extensions::default();
        }
        let removals = io.removed_sockets;
        Self {
            io,
            key,
            id,
            nsp,
            handshake,
            client,
            removals,
            volatile: false,
            timeout: None,
        }
    }

    fn state(&self) -> Option<&SocketState> {
        self.io.sockets.get(&self.key).map(|state| &**state)
    }

    /// The socket's client, or `Disconnected` once the socket is gone.
    fn client(&self) -> Result<ClientId, EmitError> {
        if self.io.removed_sockets == self.removals {
            return Ok(self.client);
        }
        self.state()
            .map(|_| self.client)
            .ok_or(EmitError::Disconnected)
    }

    /// The socket id (also the name of its own room).
    pub fn id(&self) -> SocketId {
        self.id
    }

    /// The namespace name.
    pub fn namespace(&self) -> &str {
        &self.nsp
    }

    /// The Engine.IO handshake of the socket's client.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The CONNECT payload (`{}` when none was sent).
    pub fn auth(&self) -> &serde_json::Value {
        static NULL: serde_json::Value = serde_json::Value::Null;
        self.state().map_or(&NULL, |s| &s.auth)
    }

    /// The rooms the socket is in, its own room included.
    pub fn rooms(&self) -> impl Iterator<Item = &str> {
        self.state()
            .into_iter()
            .flat_map(|s| s.rooms.iter().map(|r| &**r))
    }

    /// True until the socket is removed.
    pub fn is_connected(&self) -> bool {
        self.state().is_some_and(|s| !s.closing)
    }

    /// Per-socket user data (socket.io's `socket.data`). Once the socket is gone, an empty
    /// stand-in for the rest of this handle's life, so calls never panic.
    pub fn extensions(&mut self) -> &mut Extensions {
        // The stand-in lives in the server: a field here cost every event a drop call.
        match self.io.sockets.get_mut(&self.key) {
            Some(state) => &mut state.extensions,
            None => &mut self.io.detached,
        }
    }

    /// The server, for emits to others.
    pub fn io(&mut self) -> &mut Server {
        self.io
    }

    /// Registers the handler for `event`; its data is the event's arguments deserialized as
    /// `T` (see [`Args::decode`]). A later registration for the same event replaces it.
    pub fn on<T, R, F>(&mut self, event: &str, handler: F)
    where
        T: DeserializeOwned,
        R: HandlerResult,
        F: Fn(&mut EventContext<'_>, T) -> R + 'static,
    {
        let wrapped: EventHandler = Rc::new(move |ctx| match ctx.args.decode::<T>() {
            Ok(data) => {
                let error = handler(ctx, data).into_error();
                ctx.report(error);
            }
            Err(error) => ctx.report(Some(Box::new(error))),
        });
        if let Some(state) = self.io.sockets.get_mut(&self.key) {
            let events = &mut state.handlers.events;
            match events.iter_mut().find(|(name, _)| **name == *event) {
                Some((_, handler)) => *handler = wrapped,
                None => events.push((event.into(), wrapped)),
            }
        }
    }

    /// Registers a catch-all handler, run before the event's own handler.
    pub fn on_any<R: HandlerResult>(
        &mut self,
        handler: impl Fn(&mut EventContext<'_>) -> R + 'static,
    ) {
        let wrapped: EventHandler = Rc::new(move |ctx| {
            let error = handler(ctx).into_error();
            ctx.report(error);
        });
        if let Some(state) = self.io.sockets.get_mut(&self.key) {
            state.handlers.any = Some(wrapped);
        }
    }

    /// Registers the handler run when the socket starts disconnecting (rooms still visible).
    pub fn on_disconnecting(
        &mut self,
        handler: impl Fn(&mut Socket<'_>, DisconnectReason) + 'static,
    ) {
        if let Some(state) = self.io.sockets.get_mut(&self.key) {
            state.handlers.disconnecting = Some(Rc::new(handler));
        }
    }

    /// Registers the handler run once the socket has left its namespace.
    pub fn on_disconnect(
        &mut self,
        handler: impl Fn(&mut Disconnected<'_>, DisconnectReason) + 'static,
    ) {
        if let Some(state) = self.io.sockets.get_mut(&self.key) {
            state.handlers.disconnect = Some(Rc::new(handler));
        }
    }

    /// Marks the next emit volatile: the glue may drop it when the transport is busy.
    pub fn volatile(&mut self) -> &mut Self {
        self.volatile = true;
        self
    }

    /// Sets the ack timeout of the next [`Socket::emit_with_ack`].
    pub fn timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends `event` with `data` (a tuple is several arguments, `()` none) to this socket.
    pub fn emit<T: Serialize + ?Sized>(&mut self, event: &str, data: &T) -> Result<(), EmitError> {
        self.send(event, data, None)
    }

    /// Sends `event` asking for an acknowledgement; `callback` gets the client's answer
    /// (deserialized as `T`), [`AckError::Timeout`] after the [`Socket::timeout`], or
    /// [`AckError::Disconnected`].
    pub fn emit_with_ack<T, D, F>(
        &mut self,
        event: &str,
        data: &D,
        callback: F,
    ) -> Result<(), EmitError>
    where
        T: DeserializeOwned,
        D: Serialize + ?Sized,
        F: FnOnce(&mut Server, Result<T, AckError>) + 'static,
    {
        let namespace = self
            .io
            .namespaces
            .get_mut(&self.nsp)
            .ok_or(EmitError::Disconnected)?;
        let id = namespace.next_ack_id;
        namespace.next_ack_id += 1;
        let timeout = self.timeout;
        self.send(event, data, Some(id))?;
        self.io
            .register_single(self.key, id, ack::single(callback), timeout);
        Ok(())
    }

    fn send<T: Serialize + ?Sized>(
        &mut self,
        event: &str,
        data: &T,
        id: Option<u64>,
    ) -> Result<(), EmitError> {
        let volatile = std::mem::take(&mut self.volatile);
        self.timeout = None;
        let client = self.client()?;
        let nsp = &self.nsp;
        let packet = (PacketType::Event, &**nsp, id, Some(event));
        self.io.send_packet(client, packet, data, volatile)
    }

    /// Joins `room` in this namespace.
    pub fn join(&mut self, room: &str) {
        self.io.join_room(self.key, room);
    }

    /// Leaves `room`.
    pub fn leave(&mut self, room: &str) {
        self.io.leave_room(self.key, room);
    }

    /// The sockets in `room`, this one excluded.
    pub fn to(&mut self, room: &str) -> BroadcastOperator<'_> {
        self.broadcast().to(room.to_owned())
    }

    /// Every socket of the namespace except this one and those in `room`.
    pub fn except(&mut self, room: &str) -> BroadcastOperator<'_> {
        self.broadcast().except(room.to_owned())
    }

    /// Every socket of the namespace except this one.
    pub fn broadcast(&mut self) -> BroadcastOperator<'_> {
        let mut selection = Selection::new(self.nsp.to_string());
        selection.except_socket = Some(self.id);
        BroadcastOperator::new(self.io, selection)
    }

    /// Disconnects this socket (sending DISCONNECT); with `close`, every socket of the client
    /// and then its Engine.IO session.
    pub fn disconnect(&mut self, close: bool) {
        self.io.disconnect_socket(self.key, close);
    }
}

/// What an event handler gets besides its data: the socket, the server, the raw arguments
/// and the ack responder.
pub struct EventContext<'a> {
    socket: Socket<'a>,
    event: &'a str,
    args: Args<'a>,
    ack: Option<u64>,
}

impl<'a> EventContext<'a> {
    /// The socket that received the event.
    pub fn socket(&mut self) -> &mut Socket<'a> {
        &mut self.socket
    }

    /// The server, for emits to others.
    pub fn io(&mut self) -> &mut Server {
        self.socket.io
    }

    /// The event name.
    pub fn event(&self) -> &str {
        self.event
    }

    /// The arguments, undecoded.
    pub fn args(&self) -> &Args<'a> {
        &self.args
    }

    /// The binary attachments of the packet.
    pub fn attachments(&self) -> &[Vec<u8>] {
        self.args.attachments()
    }

    /// True if the client asked for an acknowledgement that has not been sent yet.
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Answers the client's ack request (once; later calls and calls without a request do
    /// nothing). A tuple answers several arguments.
    pub fn ack<T: Serialize + ?Sized>(&mut self, data: &T) -> Result<(), EmitError> {
        let Some(id) = self.ack.take() else {
            return Ok(());
        };
        let client = self.socket.client()?;
        let packet = (PacketType::Ack, &*self.socket.nsp, Some(id), None);
        self.socket.io.send_packet(client, packet, data, false)
    }

    // Runs after every handler: the usual `None` costs a test, the failure a call.
    #[inline]
    fn report(&mut self, error: Option<Box<dyn std::error::Error>>) {
        if let Some(error) = error {
            self.report_failure(error);
        }
    }

    #[cold]
    #[inline(never)]
    fn report_failure(&mut self, error: Box<dyn std::error::Error>) {
        let event = self.event.to_owned();
        self.socket
            .io
            .push_event(Event::HandlerFailed { event, error });
    }
}

/// A socket that has left its namespace, as `on_disconnect` sees it.
pub struct Disconnected<'a> {
    io: &'a mut Server,
    state: &'a mut SocketState,
}

impl Disconnected<'_> {
    /// The socket id.
    pub fn id(&self) -> SocketId {
        self.state.id
    }

    /// The namespace it was in.
    pub fn namespace(&self) -> &str {
        &self.state.nsp
    }

    /// The Engine.IO handshake.
    pub fn handshake(&self) -> &Handshake {
        &self.state.handshake
    }

    /// Its user data.
    pub fn extensions(&mut self) -> &mut Extensions {
        &mut self.state.extensions
    }

    /// The server, for emits to others.
    pub fn io(&mut self) -> &mut Server {
        self.io
    }
}

impl Server {
    /// Runs the any-handler, then the event's handler. Events without handlers are dropped.
    pub(crate) fn dispatch_event(
        &mut self,
        key: SocketKey,
        event: &str,
        args: Args<'_>,
        ack: Option<u64>,
    ) {
        let Some(state) = self.sockets.get(&key) else {
            return;
        };
        let any = state.handlers.any.clone();
        let events = &state.handlers.events;
        let handler = events.iter().find(|(name, _)| **name == *event);
        let handler = handler.map(|(_, handler)| Rc::clone(handler));
        if any.is_none() && handler.is_none() {
            return;
        }
        let view = state.view();
        let socket = Socket::with_view(self, key, view);
        let mut ctx = EventContext {
            socket,
            event,
            args,
            ack,
        };
        if let Some(any) = &any {
            any(&mut ctx);
        }
        if let Some(handler) = &handler {
            handler(&mut ctx);
        }
    }

    /// The disconnect sequence (see the module docs). Re-entrant calls are ignored.
    pub(crate) fn remove_socket(&mut self, key: SocketKey, reason: DisconnectReason) {
        let Some(state) = self.sockets.get_mut(&key) else {
            return;
        };
        if std::mem::replace(&mut state.closing, true) {
            return;
        }
        if let Some(handler) = state.handlers.disconnecting.clone() {
            if let Some(mut socket) = Socket::attach(self, key) {
                handler(&mut socket, reason);
            }
        }
        let Some(mut state) = self.sockets.remove(&key) else {
            return;
        };
        self.removed_sockets += 1;
        if let Some(namespace) = self.namespaces.get_mut(&state.nsp) {
            for room in state.rooms.drain(..) {
                remove_member(&mut namespace.rooms, &room, key);
            }
            namespace.members.remove(&key);
        }
        self.forget_if_empty(&state.nsp.clone());
        if let Some(client) = self.clients.get_mut(&state.client) {
            client.sockets.retain(|&(_, k)| k != key);
        }
        for (_, pending) in std::mem::take(&mut state.acks) {
            self.pending_fail(pending, AckError::Disconnected);
        }
        if let Some(handler) = state.handlers.disconnect.take() {
            handler(
                &mut Disconnected {
                    io: self,
                    state: &mut state,
                },
                reason,
            );
        }
    }

    /// `socket.disconnect(close)`: DISCONNECT to the client, then the disconnect sequence
    /// with "server namespace disconnect"; with `close`, for all of the client's sockets, and
    /// then the session closes.
    pub(crate) fn disconnect_socket(&mut self, key: SocketKey, close: bool) {
        let Some(state) = self.sockets.get(&key) else {
            return;
        };
        if state.closing {
            return;
        }
        let client = state.client;
        let targets = match close {
            true => self
                .clients
                .get(&client)
                .map(|c| c.sockets.clone())
                .unwrap_or_default(),
            false => vec![(state.nsp.clone(), key)],
        };
        for (nsp, key) in targets {
            self.send_control::<()>(client, PacketType::Disconnect, &nsp, None);
            self.remove_socket(key, DisconnectReason::ServerNamespaceDisconnect);
        }
        if close && self.clients.contains_key(&client) {
            self.drop_client(client, DisconnectReason::ForcedServerClose);
            self.transmits
                .push_back(Queued::Ready(Transmit::Close { client }));
        }
    }
}
