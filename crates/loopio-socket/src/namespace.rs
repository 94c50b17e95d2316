//! Namespaces: the CONNECT handshake with its middlewares, dynamic namespaces, and rooms.
//!
//! ```text
//! CONNECT /nsp ──► known? ── no ──► dynamic match? ── no ──► 4/nsp,{"message":"Invalid namespace"}
//!                    │ yes              │ yes: create the namespace
//!                    ▼                  ▼
//!              middlewares in order ── Err(e) ──► 4/nsp,{"message":e.message,"data":e.data}
//!                    │ all Ok
//!                    ▼
//!   socket joins its own room ─► 0/nsp,{"sid":…} ─► on_connection(socket)
//! ```

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde::Serialize;

use crate::broadcast::BroadcastOperator;
use crate::config::Handshake;
use crate::error::ConnectError;
use crate::extensions::Extensions;
use crate::ids::{ClientId, KeyHash, SocketId, SocketKey};
use crate::packet::PacketType;
use crate::server::Server;
use crate::socket::{Socket, SocketState};

pub(crate) type Middleware = Rc<dyn Fn(&mut Connecting<'_>) -> Result<(), ConnectError>>;
pub(crate) type ConnectionHandler = Rc<dyn Fn(&mut Socket<'_>)>;
type Matcher = Rc<dyn Fn(&str) -> bool>;

pub(crate) type Members = HashSet<SocketKey, KeyHash>;

pub(crate) struct Namespace {
    pub(crate) name: Rc<str>,
    pub(crate) members: Members,
    pub(crate) rooms: HashMap<Rc<str>, Members>,
    pub(crate) handlers: Rc<NamespaceHandlers>,
    /// Created by a dynamic match; removed again when its last socket leaves, so a peer
    /// cannot grow the namespace table by naming many namespaces.
    dynamic: bool,
    /// socket.io numbers the server's acks per namespace (`nsp._ids`), starting at 0.
    pub(crate) next_ack_id: u64,
}

impl Namespace {
    fn new(name: Rc<str>, handlers: Rc<NamespaceHandlers>, dynamic: bool) -> Self {
        Self {
            name,
            members: Members::default(),
            rooms: HashMap::new(),
            handlers,
            dynamic,
            next_ack_id: 0,
        }
    }
}

#[derive(Clone, Default)]
pub(crate) struct NamespaceHandlers {
    middlewares: Vec<Middleware>,
    connection: Option<ConnectionHandler>,
}

impl NamespaceHandlers {
    fn use_middleware(&mut self, middleware: Middleware) {
        self.middlewares.push(middleware);
    }
}

pub(crate) struct DynamicNamespace {
    matcher: Matcher,
    handlers: Rc<NamespaceHandlers>,
}

/// A socket being admitted: what middlewares see.
pub struct Connecting<'a> {
    id: SocketId,
    nsp: &'a str,
    handshake: Rc<Handshake>,
    auth: serde_json::Value,
    extensions: Extensions,
}

impl Connecting<'_> {
    /// The id the socket will have.
    pub fn id(&self) -> SocketId {
        self.id
    }

    /// The namespace being joined.
    pub fn namespace(&self) -> &str {
        self.nsp
    }

    /// The Engine.IO handshake.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The CONNECT payload (`{}` when the client sent none).
    pub fn auth(&self) -> &serde_json::Value {
        &self.auth
    }

    /// The socket's user data, kept when the socket is admitted.
    pub fn extensions(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}

/// A namespace's registration and emit handle, from [`Server::of`].
pub struct NamespaceRef<'a> {
    io: &'a mut Server,
    name: Rc<str>,
}

impl<'a> NamespaceRef<'a> {
    /// The namespace name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sets the handler run for each admitted socket, after the CONNECT reply is queued.
    pub fn on_connection(&mut self, handler: impl Fn(&mut Socket<'_>) + 'static) -> &mut Self {
        self.handlers().connection = Some(Rc::new(handler));
        self
    }

    /// Adds a middleware, run in order on every CONNECT; the first `Err` refuses the socket
    /// with CONNECT_ERROR. The place for authentication.
    pub fn use_middleware(
        &mut self,
        middleware: impl Fn(&mut Connecting<'_>) -> Result<(), ConnectError> + 'static,
    ) -> &mut Self {
        self.handlers().use_middleware(Rc::new(middleware));
        self
    }

    /// Everyone in the namespace.
    pub fn broadcast(self) -> BroadcastOperator<'a> {
        BroadcastOperator::new(self.io, crate::Selection::new(self.name.to_string()))
    }

    /// Emits to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(
        self,
        event: &str,
        data: &T,
    ) -> Result<(), crate::EmitError> {
        self.broadcast().emit(event, data)
    }

    /// The sockets of the namespace in `room`.
    pub fn to(self, room: &str) -> BroadcastOperator<'a> {
        self.broadcast().to(room.to_owned())
    }

    /// The sockets of the namespace not in `room`.
    pub fn except(self, room: &str) -> BroadcastOperator<'a> {
        self.broadcast().except(room.to_owned())
    }

    fn handlers(&mut self) -> &mut NamespaceHandlers {
        let namespace = self
            .io
            .namespaces
            .get_mut(&self.name)
            .expect("`of` created it");
        Rc::make_mut(&mut namespace.handlers)
    }
}

/// Registration handle for namespaces created on first use, from [`Server::of_dynamic`].
/// Each new namespace copies the handlers registered so far, as socket.io's parent
/// namespaces do.
pub struct DynamicRef<'a> {
    io: &'a mut Server,
    index: usize,
}

impl DynamicRef<'_> {
    /// Sets the connection handler of the namespaces this matcher creates.
    pub fn on_connection(&mut self, handler: impl Fn(&mut Socket<'_>) + 'static) -> &mut Self {
        self.handlers().connection = Some(Rc::new(handler));
        self
    }

    /// Adds a middleware to the namespaces this matcher creates.
    pub fn use_middleware(
        &mut self,
        middleware: impl Fn(&mut Connecting<'_>) -> Result<(), ConnectError> + 'static,
    ) -> &mut Self {
        self.handlers().use_middleware(Rc::new(middleware));
        self
    }

    fn handlers(&mut self) -> &mut NamespaceHandlers {
        Rc::make_mut(&mut self.io.dynamic[self.index].handlers)
    }
}

/// A matcher for [`Server::of_dynamic`]: `*` stands for exactly one non-empty path segment.
///
/// ```
/// let matches = loopio_socket::path_pattern("/team/*/chat");
/// assert!(matches("/team/42/chat"));
/// assert!(!matches("/team/42"));
/// assert!(!matches("/team//chat"));
/// ```
pub fn path_pattern(pattern: &str) -> impl Fn(&str) -> bool + 'static {
    let pattern = pattern.to_owned();
    move |name: &str| {
        let mut names = name.split('/');
        let mut parts = pattern.split('/');
        loop {
            match (parts.next(), names.next()) {
                (None, None) => return true,
                (Some("*"), Some(segment)) if !segment.is_empty() => {}
                (Some(part), Some(segment)) if part == segment => {}
                _ => return false,
            }
        }
    }
}

#[derive(Serialize)]
struct ConnectReply<'a> {
    sid: &'a str,
}

#[derive(Serialize)]
struct Refusal<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a serde_json::Value>,
}

impl Server {
    /// The namespace `name`, created (with no handlers) if it does not exist.
    ///
    /// ```
    /// use loopio_socket::{Config, ConnectError, Server};
    /// let mut io = Server::new(Config::new([1; 32]), std::time::Instant::now());
    /// io.of("/admin")
    ///     .use_middleware(|socket| match socket.auth().get("token") {
    ///         Some(token) if token == "secret" => Ok(()),
    ///         _ => Err(ConnectError::new("not authorized")),
    ///     })
    ///     .on_connection(|socket| socket.join("admins"));
    /// ```
    pub fn of(&mut self, name: &str) -> NamespaceRef<'_> {
        let name = match self.namespaces.get_key_value(name) {
            Some((name, _)) => name.clone(),
            None => {
                let name: Rc<str> = Rc::from(name);
                let namespace = Namespace::new(name.clone(), Rc::default(), false);
                self.namespaces.insert(name.clone(), namespace);
                name
            }
        };
        NamespaceRef { io: self, name }
    }

    /// Accepts namespaces for which `matcher` returns true, creating each on first CONNECT.
    /// Matchers are tried in registration order, after the known namespaces.
    ///
    /// ```
    /// use loopio_socket::{path_pattern, Config, Server};
    /// let mut io = Server::new(Config::new([1; 32]), std::time::Instant::now());
    /// io.of_dynamic(path_pattern("/room-*")).on_connection(|socket| {
    ///     let nsp = socket.namespace().to_owned();
    ///     let _ = socket.emit("welcome", &nsp);
    /// });
    /// ```
    pub fn of_dynamic(&mut self, matcher: impl Fn(&str) -> bool + 'static) -> DynamicRef<'_> {
        let dynamic = DynamicNamespace {
            matcher: Rc::new(matcher),
            handlers: Rc::default(),
        };
        self.dynamic.push(dynamic);
        let index = self.dynamic.len() - 1;
        DynamicRef { io: self, index }
    }

    /// Handles CONNECT to a namespace the client has not joined (`receive_packet` closes a
    /// client that sends a second one); a repeated call is ignored.
    pub(crate) fn connect(&mut self, client: ClientId, nsp: &str, auth: serde_json::Value) {
        if self.socket_of(client, nsp).is_some() {
            return;
        }
        let Some(handlers) = self.resolve(nsp) else {
            let refusal = Refusal {
                message: "Invalid namespace",
                data: None,
            };
            return self.send_control(client, PacketType::ConnectError, nsp, Some(&refusal));
        };
        let state = self
            .clients
            .get(&client)
            .expect("CONNECT came from a known client");
        let handshake = state.handshake.clone();
        let extensions = Extensions::default();
        let id = self.ids.next_id();
        let mut connecting = Connecting {
            id,
            nsp,
            handshake,
            auth,
            extensions,
        };
        for middleware in &handlers.middlewares {
            if let Err(error) = middleware(&mut connecting) {
                let refusal = Refusal {
                    message: &error.message,
                    data: error.data.as_ref(),
                };
                self.send_control(client, PacketType::ConnectError, nsp, Some(&refusal));
                self.forget_if_empty(nsp);
                return;
            }
        }
        let key = self.admit(client, connecting);
        let reply = ConnectReply { sid: id.as_str() };
        self.send_control(client, PacketType::Connect, nsp, Some(&reply));
        if let Some(handler) = handlers.connection.clone() {
            if let Some(mut socket) = Socket::attach(self, key) {
                handler(&mut socket);
            }
        }
    }

    fn resolve(&mut self, nsp: &str) -> Option<Rc<NamespaceHandlers>> {
        if let Some(namespace) = self.namespaces.get(nsp) {
            return Some(namespace.handlers.clone());
        }
        let dynamic = self.dynamic.iter().find(|d| (d.matcher)(nsp))?;
        let handlers = dynamic.handlers.clone();
        let name: Rc<str> = Rc::from(nsp);
        self.namespaces
            .insert(name.clone(), Namespace::new(name, handlers.clone(), true));
        Some(handlers)
    }

    fn admit(&mut self, client: ClientId, connecting: Connecting<'_>) -> SocketKey {
        let key = self.next_socket_key();
        let namespace = self
            .namespaces
            .get_mut(connecting.nsp)
            .expect("resolved above");
        namespace.members.insert(key);
        let nsp = namespace.name.clone();
        let state = SocketState::new(
            connecting.id,
            nsp.clone(),
            client,
            connecting.handshake,
            connecting.auth,
            connecting.extensions,
        );
        self.sockets.insert(key, Box::new(state));
        let client = self
            .clients
            .get_mut(&client)
            .expect("CONNECT came from this client");
        // Most clients join one namespace: no spare capacity for an idle session to hold.
        client.sockets.reserve_exact(1);
        client.sockets.push((nsp, key));
        if let Some(timer) = client.connect_timer.take() {
            self.timers.remove(&timer);
        }
        self.join_room(key, connecting.id.as_str());
        key
    }

    /// Drops a dynamic namespace left without sockets.
    pub(crate) fn forget_if_empty(&mut self, nsp: &str) {
        let empty = self
            .namespaces
            .get(nsp)
            .is_some_and(|ns| ns.dynamic && ns.members.is_empty());
        if empty {
            self.namespaces.remove(nsp);
        }
    }

    /// Adds a socket to a room, creating the room. Idempotent.
    pub(crate) fn join_room(&mut self, key: SocketKey, room: &str) {
        let Some(state) = self.sockets.get_mut(&key) else {
            return;
        };
        if state.rooms.iter().any(|r| &**r == room) {
            return;
        }
        let namespace = self
            .namespaces
            .get_mut(&state.nsp)
            .expect("a socket's namespace exists");
        let name = match namespace.rooms.get_key_value(room) {
            Some((name, _)) => name.clone(),
            None => Rc::from(room),
        };
        namespace.rooms.entry(name.clone()).or_default().insert(key);
        // The first room is the socket's own; many sockets never join another.
        state.rooms.reserve_exact(1);
        state.rooms.push(name);
    }

    /// Removes a socket from a room; an emptied room is deleted.
    pub(crate) fn leave_room(&mut self, key: SocketKey, room: &str) {
        let Some(state) = self.sockets.get_mut(&key) else {
            return;
        };
        let Some(at) = state.rooms.iter().position(|r| &**r == room) else {
            return;
        };
        state.rooms.swap_remove(at);
        let namespace = self
            .namespaces
            .get_mut(&state.nsp)
            .expect("a socket's namespace exists");
        remove_member(&mut namespace.rooms, room, key);
    }
}

pub(crate) fn remove_member(rooms: &mut HashMap<Rc<str>, Members>, room: &str, key: SocketKey) {
    if let Some(members) = rooms.get_mut(room) {
        members.remove(&key);
        if members.is_empty() {
            rooms.remove(room);
        }
    }
}
