//! [`Glue`]: the Engine.IO [`Handler`] that drives one [`loopio_socket::Server`], following the
//! driving contract in `loopio_socket`'s crate docs (open, messages, close, time, commands,
//! then drain).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use loopio_net::{ConnId, Ctx, HttpReply, Request, Response, TimerId};
use loopio_socket::{ClientId, Command, DisconnectReason, Handshake, Message, Server, Transmit};

use super::trace;
use crate::engineio::{CloseReason, Data, Handler, SessionId, Sessions, TransportKind};

/// The user's handler for HTTP requests outside the Engine.IO path.
pub(crate) type HttpHandler = Box<dyn FnMut(&Request, &[u8]) -> Response>;

/// `data` of the one loop timer the glue keeps armed (see [`Glue::arm`]).
const SERVER_TIMER: u64 = 0;
/// `data` of the timer that runs queued cross-thread [`Command`]s on the next timer pass of
/// this loop turn (see [`Glue::queue`]).
const COMMANDS_TIMER: u64 = 1;

/// What the glue learned about the request that is opening a session; `on_open` follows
/// within the same loop turn.
#[derive(Debug, Default)]
pub(crate) struct Arrival {
    /// The peer of the TCP connection the service is handling now.
    pub(crate) peer: Option<SocketAddr>,
    /// The WebSocket the service is handling now (a message on it is being delivered).
    pub(crate) ws: Option<ConnId>,
    /// The time of this loop turn.
    pub(crate) now: Option<Instant>,
}

/// The Socket.IO layer as an Engine.IO [`Handler`].
pub(crate) struct Glue {
    pub(crate) io: Server,
    /// Engine.IO session ↔ Socket.IO client, both ways.
    clients: HashMap<SessionId, ClientId>,
    sessions: HashMap<ClientId, SessionId>,
    next_client: u64,
    /// The WebSocket each upgraded session last spoke on, for `volatile`.
    websockets: HashMap<SessionId, ConnId>,
    pub(crate) arrival: Arrival,
    /// The handshake seen by `allow_request`, taken by the `on_open` that follows.
    handshake: Option<Handshake>,
    /// Cross-thread commands waiting for [`COMMANDS_TIMER`].
    commands: Vec<Command>,
    /// The armed [`SERVER_TIMER`] and its deadline.
    timer: Option<(TimerId, Instant)>,
    pub(crate) http: Option<HttpHandler>,
    /// `(path, bytes)` of the browser client bundle, served at `<path>socket.io.js`.
    pub(crate) client_script: Option<(String, Vec<u8>)>,
    trace: bool,
}

impl Glue {
    pub(crate) fn new(io: Server, trace: bool) -> Glue {
        Glue {
            io,
            clients: HashMap::new(),
            sessions: HashMap::new(),
            next_client: 0,
            websockets: HashMap::new(),
            arrival: Arrival::default(),
            handshake: None,
            commands: Vec::new(),
            timer: None,
            http: None,
            client_script: None,
            trace,
        }
    }

    /// Queues a command from another thread; returns whether the caller must arm
    /// [`COMMANDS_TIMER`] (the first command of a batch).
    pub(crate) fn queue(&mut self, command: Command) -> bool {
        self.commands.push(command);
        self.commands.len() == 1
    }

    /// Arms the timer that runs the queued commands in this loop turn.
    pub(crate) fn arm_commands(sessions: &mut Sessions<'_>) {
        let now = sessions.now();
        sessions.set_timer(now, COMMANDS_TIMER);
    }

    /// Drain step (contract point 6): transmits, diagnostics, then the timer.
    fn drain(&mut self, sessions: &mut Sessions<'_>) {
        while let Some(transmit) = self.io.poll_transmit() {
            match transmit {
                Transmit::Send {
                    client,
                    message,
                    volatile,
                } => self.send(sessions, client, &message, volatile),
                Transmit::Close { client } => {
                    if let Some(&session) = self.sessions.get(&client) {
                        sessions.close(session);
                    }
                }
                _ => {}
            }
        }
        while let Some(event) = self.io.poll_event() {
            if self.trace {
                eprintln!("sio diagnostic: {event:?}");
            }
        }
        self.arm(sessions);
    }

    /// Sends one message; sends to sessions the engine no longer knows are dropped.
    fn send(
        &self,
        sessions: &mut Sessions<'_>,
        client: ClientId,
        message: &Message,
        volatile: bool,
    ) {
        let Some(&session) = self.sessions.get(&client) else {
            return;
        };
        if volatile && !self.is_writable(sessions, session) {
            if self.trace {
                eprintln!("sio {} -> dropped volatile message", sid(sessions, session));
            }
            return;
        }
        if self.trace {
            trace::outgoing(sid(sessions, session), message);
        }
        let data = match message {
            Message::Text(text) => Data::Text(text),
            Message::Binary(bytes) => Data::Binary(bytes),
        };
        // A full outbox means the client stopped reading; its ping timeout will end it.
        let _ = sessions.send(session, data);
    }

    /// Whether a volatile message may go now: the session has a transport that is not backed
    /// up. A WebSocket is writable below the loop's high-water mark; polling is taken as
    /// writable (the client re-polls right after each response).
    fn is_writable(&self, sessions: &mut Sessions<'_>, session: SessionId) -> bool {
        match sessions.transport(session) {
            None => false,
            Some(TransportKind::WebSocket) => match self.websockets.get(&session) {
                Some(&conn) => sessions.ctx().is_writable(conn),
                None => true,
            },
            Some(_) => true,
        }
    }

    /// Makes sure the loop timer fires no later than the server's next deadline.
    fn arm(&mut self, sessions: &mut Sessions<'_>) {
        let Some(next) = self.io.poll_timeout() else {
            return;
        };
        if self.timer.is_some_and(|(_, armed)| armed <= next) {
            return;
        }
        if let Some((timer, _)) = self.timer.take() {
            sessions.cancel_timer(timer);
        }
        self.timer = Some((sessions.set_timer(next, SERVER_TIMER), next));
    }

    fn now(&self, sessions: &Sessions<'_>) -> Instant {
        sessions.now()
    }
}

impl Handler for Glue {
    fn allow_request(&mut self, request: &Request) -> bool {
        let now = self.arrival.now.unwrap_or_else(Instant::now);
        let address = self
            .arrival
            .peer
            .map_or_else(String::new, |peer| peer.to_string());
        let mut handshake = Handshake::new(now, address);
        handshake.headers = request
            .headers
            .iter()
            .filter_map(|h| Some((h.name.clone(), String::from_utf8(h.value.clone()).ok()?)))
            .collect();
        handshake.query = super::query::decode(&request.query);
        self.handshake = Some(handshake);
        true
    }

    fn on_open(&mut self, sessions: &mut Sessions<'_>, session: SessionId) {
        let now = self.now(sessions);
        self.next_client += 1;
        let client = ClientId(self.next_client);
        self.clients.insert(session, client);
        self.sessions.insert(client, session);
        let handshake = self
            .handshake
            .take()
            .unwrap_or_else(|| Handshake::new(now, ""));
        if self.trace {
            let address = &handshake.address;
            eprintln!("sio {} opened from {address}", sid(sessions, session));
        }
        self.io.handle_open(now, client, handshake);
        self.drain(sessions);
    }

    fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
        let Some(&client) = self.clients.get(&session) else {
            return;
        };
        if let Some(conn) = self.arrival.ws {
            self.websockets.insert(session, conn);
        }
        if self.trace {
            trace::incoming(sid(sessions, session), data);
        }
        let now = self.now(sessions);
        match data {
            Data::Text(text) => self.io.handle_text(now, client, text),
            Data::Binary(bytes) => self.io.handle_binary(now, client, bytes),
        }
        self.drain(sessions);
    }

    fn on_close(&mut self, sessions: &mut Sessions<'_>, session: SessionId, reason: CloseReason) {
        self.websockets.remove(&session);
        let Some(client) = self.clients.remove(&session) else {
            return;
        };
        self.sessions.remove(&client);
        if self.trace {
            eprintln!("sio session {session} closed: {reason}");
        }
        let now = self.now(sessions);
        self.io.handle_close(now, client, disconnect_reason(reason));
        self.drain(sessions);
    }

    fn on_timer(&mut self, sessions: &mut Sessions<'_>, data: u64) {
        let now = self.now(sessions);
        match data {
            COMMANDS_TIMER => {
                for command in std::mem::take(&mut self.commands) {
                    self.io.execute(now, command);
                }
            }
            _ => {
                self.timer = None;
                self.io.handle_timeout(now);
            }
        }
        self.drain(sessions);
    }

    fn on_http(
        &mut self,
        _ctx: &mut Ctx,
        _conn: ConnId,
        request: &Request,
        body: &[u8],
    ) -> HttpReply {
        match self.http.as_mut() {
            Some(http) => HttpReply::Respond(http(request, body)),
            None => HttpReply::Respond(Response::new(404)),
        }
    }
}

/// Engine.IO's close reasons as socket.io reports them to `disconnect` listeners.
fn disconnect_reason(reason: CloseReason) -> DisconnectReason {
    match reason {
        CloseReason::TransportClose => DisconnectReason::TransportClose,
        CloseReason::PingTimeout => DisconnectReason::PingTimeout,
        CloseReason::ForcedClose => DisconnectReason::ForcedClose,
        CloseReason::ParseError => DisconnectReason::ParseError,
        _ => DisconnectReason::TransportError,
    }
}

fn sid<'a>(sessions: &'a Sessions<'_>, session: SessionId) -> &'a str {
    sessions.sid(session).unwrap_or("-")
}
