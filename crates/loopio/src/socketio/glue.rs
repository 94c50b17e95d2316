//! [`Glue`]: the Engine.IO [`Handler`] that drives one [`loopio_socket::Server`], following the
//! driving contract in `loopio_socket`'s crate docs (open, messages, close, time, commands,
//! then drain).

use std::time::Instant;

use loopio_net::{ConnId, Ctx, HttpReply, Request, Response, TimerId};
use loopio_socket::{
    ClientId, Command, DisconnectReason, Handshake, Message, MessageRef, Server, TransmitRef,
};

use super::trace;
use crate::engineio::{CloseReason, Data, Handler, SendError, SessionId, Sessions, SharedMessage};

/// The user's handler for HTTP requests outside the Engine.IO path.
pub(crate) type HttpHandler = Box<dyn FnMut(&Request, &[u8]) -> Response>;

/// `data` of the one loop timer the glue keeps armed (see [`Glue::arm`]).
const SERVER_TIMER: u64 = 0;

/// The Socket.IO layer as an Engine.IO [`Handler`]. A session and its Socket.IO client share
/// one number ([`client_of`], [`session_of`]), so no table maps between them.
pub(crate) struct Glue {
    pub(crate) io: Server,
    /// The armed [`SERVER_TIMER`] and its deadline.
    timer: Option<(TimerId, Instant)>,
    pub(crate) http: Option<HttpHandler>,
    /// `(path, bytes)` of the browser client bundle, served at `<path>socket.io.js`.
    pub(crate) client_script: Option<(String, Vec<u8>)>,
    trace: bool,
}

/// The Socket.IO client of an Engine.IO session.
fn client_of(session: SessionId) -> ClientId {
    ClientId(session.to_bits())
}

/// The Engine.IO session of a Socket.IO client.
fn session_of(client: ClientId) -> SessionId {
    SessionId::from_bits(client.0)
}

impl Glue {
    pub(crate) fn new(io: Server, trace: bool) -> Glue {
        Glue {
            io,
            timer: None,
            http: None,
            client_script: None,
            trace,
        }
    }

    /// Runs a command from another thread (contract point 5), then drains.
    pub(crate) fn execute(&mut self, sessions: &mut Sessions<'_>, command: Command) {
        self.io.execute(sessions.now(), command);
        self.drain(sessions);
    }

    /// Drain step (contract point 6): transmits, diagnostics, then the timer. Transmits are
    /// borrowed: a message for one recipient goes from the server's buffer straight into the
    /// session's.
    ///
    /// A broadcast's messages are each encoded as a WebSocket frame once, for the first
    /// WebSocket recipient, and copied whole to the others.
    fn drain(&mut self, sessions: &mut Sessions<'_>) {
        while let Some(transmit) = self.io.poll_transmit_ref() {
            match transmit {
                TransmitRef::Send {
                    client,
                    message,
                    volatile,
                } => {
                    let data = match &message {
                        MessageRef::Text(text) => Data::Text(text),
                        MessageRef::Shared(Message::Text(text)) => Data::Text(text),
                        MessageRef::Shared(Message::Binary(bytes)) => Data::Binary(bytes),
                    };
                    let session = session_of(client);
                    let sent = if volatile || self.trace {
                        send(sessions, session, data, None, volatile, self.trace)
                    } else {
                        // The usual message: nothing to check before the send.
                        !matches!(sessions.send(session, data), Err(SendError::BufferFull))
                    };
                    // The message borrowed the server only until it was sent.
                    if !sent {
                        self.overloaded(sessions, client);
                    }
                    continue;
                }
                TransmitRef::Broadcast {
                    clients,
                    text,
                    attachments,
                    volatile,
                } => {
                    let trace = self.trace;
                    let mut overloaded = Vec::new();
                    broadcast(
                        sessions,
                        clients,
                        &text,
                        &attachments,
                        volatile,
                        trace,
                        &mut overloaded,
                    );
                    // After the broadcast: closing a client changes the server it borrows.
                    for client in overloaded {
                        self.overloaded(sessions, client);
                    }
                }
                TransmitRef::Close { client } => {
                    sessions.close(session_of(client));
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

    /// The overload policy (see [`send`]): the client stopped reading and its session
    /// passed its hard limit. Its sockets disconnect now with "transport error", the session
    /// closes after what was queued before.
    fn overloaded(&mut self, sessions: &mut Sessions<'_>, client: ClientId) {
        let session = session_of(client);
        if self.trace {
            eprintln!("sio {} over max_buffered: closed", sid(sessions, session));
        }
        let now = self.now(sessions);
        self.io
            .handle_close(now, client, DisconnectReason::TransportError);
        sessions.close(session);
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
    fn on_open(&mut self, sessions: &mut Sessions<'_>, session: SessionId) {
        let now = self.now(sessions);
        let handshake = match sessions.handshake(session) {
            Some(opened) => {
                let address = opened
                    .peer
                    .map_or_else(String::new, |peer| peer.to_string());
                let mut handshake = Handshake::new(opened.time, address);
                for header in &opened.request.headers {
                    if let Ok(value) = std::str::from_utf8(&header.value) {
                        handshake.push_header(&header.name, value);
                    }
                }
                for (name, value) in super::query::decode(&opened.request.query) {
                    handshake.push_query(&name, &value);
                }
                // Held for the session's life: no spare capacity.
                handshake.shrink_to_fit();
                handshake
            }
            None => Handshake::new(now, ""),
        };
        if self.trace {
            let address = &handshake.address;
            eprintln!("sio {} opened from {address}", sid(sessions, session));
        }
        self.io.handle_open(now, client_of(session), handshake);
        self.drain(sessions);
    }

    fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
        if self.trace {
            trace::incoming(sid(sessions, session), data);
        }
        let now = self.now(sessions);
        let client = client_of(session);
        match data {
            Data::Text(text) => self.io.handle_text(now, client, text),
            Data::Binary(bytes) => self.io.handle_binary(now, client, bytes),
        }
        self.drain(sessions);
    }

    fn on_close(&mut self, sessions: &mut Sessions<'_>, session: SessionId, reason: CloseReason) {
        if self.trace {
            eprintln!("sio session {session} closed: {reason}");
        }
        let now = self.now(sessions);
        self.io
            .handle_close(now, client_of(session), disconnect_reason(reason));
        self.drain(sessions);
    }

    /// Graceful shutdown: every socket gets its DISCONNECT after what was queued for it and
    /// disconnects with "server shutting down"; every session is then closed.
    fn on_shutdown(&mut self, sessions: &mut Sessions<'_>) {
        let now = self.now(sessions);
        self.io.close(now);
        self.drain(sessions);
    }

    fn on_timer(&mut self, sessions: &mut Sessions<'_>, _data: u64) {
        let now = self.now(sessions);
        self.timer = None;
        self.io.handle_timeout(now);
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

/// Sends one message; sends to sessions the engine no longer knows are dropped (their
/// sockets have already disconnected). Returns `false` when the session is past its hard
/// limit.
///
/// The overload policy: a message that would take the session past its hard limit
/// (Engine.IO `max_buffered` queued bytes over polling, the loop's `max_buffered` over
/// WebSocket) is not sent and the session is closed ([`Glue::overloaded`]), as the loop does
/// for a WebSocket past `max_buffered` (`OverflowPolicy::Close`). Over polling what was
/// queued before still goes out, so the client never sees a stream with a hole in it.
fn send(
    sessions: &mut Sessions<'_>,
    session: SessionId,
    data: Data<'_>,
    shared: Option<&mut SharedMessage>,
    volatile: bool,
    trace: bool,
) -> bool {
    if volatile && !sessions.is_writable(session) {
        if trace {
            eprintln!("sio {} -> dropped volatile message", sid(sessions, session));
        }
        return true;
    }
    if trace {
        trace::outgoing(sid(sessions, session), data);
    }
    let sent = match shared {
        Some(frame) => sessions.send_shared(session, data, frame),
        None => sessions.send(session, data),
    };
    !matches!(sent, Err(SendError::BufferFull))
}

/// Sends a packet's text message and attachments to each of `clients`, each message encoded
/// once; adds the clients past their hard limit (see [`send`]) to `full`: they get none of
/// the packet's later messages.
fn broadcast(
    sessions: &mut Sessions<'_>,
    clients: &[ClientId],
    text: &str,
    attachments: &[std::rc::Rc<[u8]>],
    volatile: bool,
    trace: bool,
    full: &mut Vec<ClientId>,
) {
    if attachments.is_empty() && !volatile && !trace {
        // The usual broadcast: one text message, no checks per recipient beyond the send.
        let mut frame = SharedMessage::default();
        for &client in clients {
            let sent = sessions.send_shared(session_of(client), Data::Text(text), &mut frame);
            if let Err(SendError::BufferFull) = sent {
                full.push(client);
            }
        }
        return;
    }
    let mut frames: Vec<SharedMessage> = std::iter::repeat_with(Default::default)
        .take(1 + attachments.len())
        .collect();
    let messages = std::iter::once(Data::Text(text))
        .chain(attachments.iter().map(|bytes| Data::Binary(bytes)));
    for &client in clients {
        let session = session_of(client);
        let over = messages
            .clone()
            .zip(frames.iter_mut())
            .any(|(data, frame)| !send(sessions, session, data, Some(frame), volatile, trace));
        if over {
            full.push(client);
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
