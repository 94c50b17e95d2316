//! Broadcasts: who is addressed ([`Selection`], plain `Send` data), the borrowed
//! [`BroadcastOperator`] that acts on it, and [`Command`]s for emits from other threads.
//!
//! A selection resolves like socket.io's in-memory adapter: the sockets in any of `rooms`
//! (all sockets of the namespace when there are none), minus the sockets in any of `except`
//! (and the sending socket, when emitted from one). Each socket is visited once: a
//! per-broadcast generation number marks visited and excluded sockets, so resolving allocates
//! nothing and costs O(members of the named rooms).

use std::borrow::Cow;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ack::Typed;
use crate::args::{EmitError, Encoded};
use crate::error::AckError;
use crate::ids::{SocketId, SocketKey};
use crate::packet::PacketType;
use crate::server::{push_packet, Queued, Server, Shared};

/// Which sockets of a namespace a broadcast addresses.
///
/// ```
/// use loopio_socket::Selection;
/// let selection = Selection::new("/chat").to("lobby").to("ops").except("muted").volatile();
/// let command = selection.emit("notice", &"maintenance at 5").unwrap();
/// let _: &dyn Send = &command; // may cross to the loop thread
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection<'a> {
    nsp: Cow<'a, str>,
    rooms: Vec<Cow<'a, str>>,
    except: Vec<Cow<'a, str>>,
    pub(crate) except_socket: Option<SocketId>,
    volatile: bool,
}

impl<'a> Selection<'a> {
    /// Every socket of namespace `nsp`.
    pub fn new(nsp: impl Into<Cow<'a, str>>) -> Self {
        let nsp = nsp.into();
        Self {
            nsp,
            rooms: Vec::new(),
            except: Vec::new(),
            except_socket: None,
            volatile: false,
        }
    }

    /// Narrows to the sockets in `room` (several calls: in any of them).
    pub fn to(mut self, room: impl Into<Cow<'a, str>>) -> Self {
        self.rooms.push(room.into());
        self
    }

    /// Leaves out the sockets in `room`.
    pub fn except(mut self, room: impl Into<Cow<'a, str>>) -> Self {
        self.except.push(room.into());
        self
    }

    /// Marks the messages volatile (see [`Transmit::Send`](crate::Transmit::Send)).
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.nsp
    }

    /// Copies borrowed names so the selection can travel.
    pub fn into_owned(self) -> Selection<'static> {
        let own =
            |v: Vec<Cow<'a, str>>| v.into_iter().map(|r| Cow::Owned(r.into_owned())).collect();
        Selection {
            nsp: Cow::Owned(self.nsp.into_owned()),
            rooms: own(self.rooms),
            except: own(self.except),
            except_socket: self.except_socket,
            volatile: self.volatile,
        }
    }

    /// Encodes an emit now, as a command to run on the loop thread.
    pub fn emit<T: Serialize + ?Sized>(self, event: &str, data: &T) -> Result<Command, EmitError> {
        let packet = Encoded::event(&self.nsp, event, data)?;
        Ok(Command::Emit {
            selection: self.into_owned(),
            packet,
        })
    }
}

/// A server operation as plain data, built on any thread and run with [`Server::execute`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Send an encoded event to the selection.
    Emit {
        /// Who.
        selection: Selection<'static>,
        /// What, encoded for the selection's namespace.
        packet: Encoded,
    },
    /// Make the selected sockets join a room.
    Join {
        /// Who.
        selection: Selection<'static>,
        /// The room.
        room: String,
    },
    /// Make the selected sockets leave a room.
    Leave {
        /// Who.
        selection: Selection<'static>,
        /// The room.
        room: String,
    },
    /// Disconnect the selected sockets (with `close`, their whole clients).
    Disconnect {
        /// Who.
        selection: Selection<'static>,
        /// Close the Engine.IO sessions too.
        close: bool,
    },
}

/// A selection bound to the server: `io.to(room)`, `socket.broadcast()` and friends.
pub struct BroadcastOperator<'a> {
    io: &'a mut Server,
    selection: Selection<'a>,
    timeout: Option<Duration>,
}

impl<'a> BroadcastOperator<'a> {
    pub(crate) fn new(io: &'a mut Server, selection: Selection<'a>) -> Self {
        Self {
            io,
            selection,
            timeout: None,
        }
    }

    /// Also addresses the sockets in `room`.
    pub fn to(mut self, room: impl Into<Cow<'a, str>>) -> Self {
        self.selection = self.selection.to(room);
        self
    }

    /// Leaves out the sockets in `room`.
    pub fn except(mut self, room: impl Into<Cow<'a, str>>) -> Self {
        self.selection = self.selection.except(room);
        self
    }

    /// Marks the messages volatile.
    pub fn volatile(mut self) -> Self {
        self.selection = self.selection.volatile();
        self
    }

    /// Sets the timeout of [`BroadcastOperator::emit_with_ack`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Encodes once and queues the same bytes for every addressed socket.
    pub fn emit<T: Serialize + ?Sized>(self, event: &str, data: &T) -> Result<(), EmitError> {
        let packet = self.io.encode(
            PacketType::Event,
            &self.selection.nsp,
            None,
            Some(event),
            data,
        )?;
        self.io.broadcast_shared(&self.selection, &packet);
        Ok(())
    }

    /// Emits asking every addressed socket for an ack. `callback` runs once: with no error
    /// when all answered (at once when none is addressed), or with [`AckError::Timeout`] and
    /// the answers so far. Sockets that disconnect stop being waited for.
    pub fn emit_with_ack<T, D, F>(self, event: &str, data: &D, callback: F) -> Result<(), EmitError>
    where
        T: DeserializeOwned + 'static,
        D: Serialize + ?Sized,
        F: FnOnce(&mut Server, Option<AckError>, Vec<T>) + 'static,
    {
        let Self {
            io,
            selection,
            timeout,
        } = self;
        let id = match io.namespaces.get_mut(&*selection.nsp) {
            Some(namespace) => {
                namespace.next_ack_id += 1;
                namespace.next_ack_id - 1
            }
            None => 0,
        };
        let packet = io.encode(
            PacketType::Event,
            &selection.nsp,
            Some(id),
            Some(event),
            data,
        )?;
        let volatile = selection.volatile;
        let mut members = Vec::new();
        io.targets(&selection, |transmits, key, client| {
            push_packet(transmits, client, &packet, volatile);
            members.push(key);
        });
        io.register_group(id, members, Box::new(Typed::new(callback)), timeout);
        Ok(())
    }

    /// The ids of the addressed sockets.
    pub fn fetch_sockets(self) -> Vec<SocketId> {
        let mut keys = Vec::new();
        self.io.targets(&self.selection, |_, key, _| keys.push(key));
        keys.iter()
            .filter_map(|key| self.io.sockets.get(key).map(|s| s.id()))
            .collect()
    }

    /// Makes the addressed sockets join `room`.
    pub fn sockets_join(self, room: &str) {
        for key in self.io.target_keys(&self.selection) {
            self.io.join_room(key, room);
        }
    }

    /// Makes the addressed sockets leave `room`.
    pub fn sockets_leave(self, room: &str) {
        for key in self.io.target_keys(&self.selection) {
            self.io.leave_room(key, room);
        }
    }

    /// Disconnects the addressed sockets (with `close`, their whole clients).
    pub fn disconnect_sockets(self, close: bool) {
        for key in self.io.target_keys(&self.selection) {
            self.io.disconnect_socket(key, close);
        }
    }
}

impl Server {
    /// Emits to every socket of the main namespace `/`.
    ///
    /// ```
    /// use loopio_socket::{Config, Server};
    /// let mut io = Server::new(Config::new([1; 32]), std::time::Instant::now());
    /// io.emit("news", &serde_json::json!({"hello": "world"})).unwrap();
    /// assert!(io.poll_transmit().is_none()); // nobody connected yet
    /// ```
    pub fn emit<T: Serialize + ?Sized>(&mut self, event: &str, data: &T) -> Result<(), EmitError> {
        self.broadcast().emit(event, data)
    }

    /// Everyone in the main namespace `/`.
    pub fn broadcast(&mut self) -> BroadcastOperator<'_> {
        BroadcastOperator::new(self, Selection::new("/"))
    }

    /// The sockets of `/` in `room`.
    pub fn to<'a>(&'a mut self, room: impl Into<Cow<'a, str>>) -> BroadcastOperator<'a> {
        self.broadcast().to(room)
    }

    /// The sockets of `/` not in `room`.
    pub fn except<'a>(&'a mut self, room: impl Into<Cow<'a, str>>) -> BroadcastOperator<'a> {
        self.broadcast().except(room)
    }

    /// Command: runs an operation built elsewhere (for example on another thread).
    pub fn execute(&mut self, now: Instant, command: Command) {
        self.now = now;
        match command {
            Command::Emit { selection, packet } => {
                let (text, attachments) = packet.into_parts();
                let attachments = attachments.into_iter().map(Into::into).collect();
                let packet = Shared {
                    text: text.into(),
                    attachments,
                };
                self.broadcast_shared(&selection, &packet);
            }
            Command::Join { selection, room } => {
                BroadcastOperator::new(self, selection).sockets_join(&room);
            }
            Command::Leave { selection, room } => {
                BroadcastOperator::new(self, selection).sockets_leave(&room);
            }
            Command::Disconnect { selection, close } => {
                BroadcastOperator::new(self, selection).disconnect_sockets(close);
            }
        }
    }

    /// Queues one [`Queued::Broadcast`] for all the addressed clients: the glue then sees
    /// the packet once, not once per recipient.
    fn broadcast_shared(&mut self, selection: &Selection<'_>, packet: &Shared) {
        if self.transmits.is_empty() {
            self.recipients.clear();
        }
        let mut recipients = std::mem::take(&mut self.recipients);
        let start = recipients.len();
        self.targets(selection, |_, _, client| recipients.push(client));
        let range = (start, recipients.len());
        self.recipients = recipients;
        if range.0 == range.1 {
            return;
        }
        self.transmits.push_back(Queued::Broadcast {
            range,
            packet: packet.clone(),
            volatile: selection.volatile,
        });
    }

    fn target_keys(&mut self, selection: &Selection<'_>) -> Vec<SocketKey> {
        let mut keys = Vec::new();
        self.targets(selection, |_, key, _| keys.push(key));
        keys
    }

    /// Calls `visit` once per addressed socket (see the module docs).
    fn targets(
        &mut self,
        selection: &Selection<'_>,
        mut visit: impl FnMut(
            &mut std::collections::VecDeque<crate::server::Queued>,
            SocketKey,
            crate::ClientId,
        ),
    ) {
        self.generation += 1;
        let generation = self.generation;
        let Some(namespace) = self.namespaces.get(&*selection.nsp) else {
            return;
        };
        let (sockets, transmits) = (&mut self.sockets, &mut self.transmits);
        let sender = selection.except_socket.as_ref().map(SocketId::as_str);
        for room in selection.except.iter().map(|r| &**r).chain(sender) {
            for key in namespace.rooms.get(room).into_iter().flatten() {
                if let Some(state) = sockets.get_mut(key) {
                    state.mark = generation;
                }
            }
        }
        let mut consider = |key: &SocketKey| {
            if let Some(state) = sockets.get_mut(key) {
                if state.mark != generation {
                    state.mark = generation;
                    visit(transmits, *key, state.client);
                }
            }
        };
        if selection.rooms.is_empty() {
            namespace.members.iter().for_each(&mut consider);
        }
        for room in &selection.rooms {
            namespace
                .rooms
                .get(&**room)
                .into_iter()
                .flatten()
                .for_each(&mut consider);
        }
    }
}
