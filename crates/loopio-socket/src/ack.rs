//! Acknowledgements the server waits for: one socket's answer, or every addressed socket's
//! answers collected into one callback (a broadcast with ack).
//!
//! ```text
//! emit_with_ack ──► Pending::Single ──ACK──► callback(Ok(args))
//!                        │ timeout / disconnect ──► callback(Err(..))
//! broadcast ack ──► AckGroup { remaining } ◄─ Pending::Group on each member
//!                        │ remaining == 0 ──► callback(None, replies)
//!                        │ timeout ─────────► callback(Some(Timeout), replies so far)
//! ```
//!
//! A member that disconnects stops being waited for, so a group without a timeout still ends.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::args::Args;
use crate::error::AckError;
use crate::ids::SocketKey;
use crate::server::{Server, Timer, TimerKey};

pub(crate) type SingleCallback = Box<dyn FnOnce(&mut Server, Result<Args<'_>, AckError>)>;

pub(crate) enum Pending {
    Single {
        callback: SingleCallback,
        timer: Option<TimerKey>,
    },
    Group(u64),
}

/// Collects typed replies for one broadcast.
pub(crate) trait Collector {
    fn push(&mut self, args: &Args<'_>);
    fn finish(self: Box<Self>, io: &mut Server, error: Option<AckError>);
}

pub(crate) struct AckGroup {
    remaining: usize,
    id: u64,
    members: Vec<SocketKey>,
    collector: Box<dyn Collector>,
    timer: Option<TimerKey>,
}

/// Replies that fail to decode into `T` are skipped but still count as answered.
pub(crate) struct Typed<T, F> {
    replies: Vec<T>,
    callback: F,
}

impl<T, F> Typed<T, F> {
    pub(crate) fn new(callback: F) -> Self {
        Self {
            replies: Vec::new(),
            callback,
        }
    }
}

impl<T, F> Collector for Typed<T, F>
where
    T: DeserializeOwned,
    F: FnOnce(&mut Server, Option<AckError>, Vec<T>),
{
    fn push(&mut self, args: &Args<'_>) {
        if let Ok(reply) = args.decode() {
            self.replies.push(reply);
        }
    }

    fn finish(self: Box<Self>, io: &mut Server, error: Option<AckError>) {
        (self.callback)(io, error, self.replies);
    }
}

/// Wraps a typed single-ack callback.
pub(crate) fn single<T, F>(callback: F) -> SingleCallback
where
    T: DeserializeOwned,
    F: FnOnce(&mut Server, Result<T, AckError>) + 'static,
{
    Box::new(move |io, result| {
        let typed = result.and_then(|args| args.decode().map_err(AckError::Decode));
        callback(io, typed);
    })
}

impl Server {
    pub(crate) fn register_single(
        &mut self,
        socket: SocketKey,
        id: u64,
        callback: SingleCallback,
        timeout: Option<Duration>,
    ) {
        let timer = timeout.map(|t| self.arm(self.now + t, Timer::Ack(socket, id)));
        if let Some(state) = self.sockets.get_mut(&socket) {
            state.acks.push((id, Pending::Single { callback, timer }));
        }
    }

    /// Starts waiting for `members`' answers to ack `id`; with no members the callback runs
    /// at once with no replies, as in socket.io.
    pub(crate) fn register_group(
        &mut self,
        id: u64,
        members: Vec<SocketKey>,
        collector: Box<dyn Collector>,
        timeout: Option<Duration>,
    ) {
        self.next_group += 1;
        let group = self.next_group;
        for member in &members {
            let state = self
                .sockets
                .get_mut(member)
                .expect("members come from the socket table");
            state.acks.push((id, Pending::Group(group)));
        }
        let timer = timeout.map(|t| self.arm(self.now + t, Timer::Group(group)));
        let remaining = members.len();
        self.groups.insert(
            group,
            AckGroup {
                remaining,
                id,
                members,
                collector,
                timer,
            },
        );
        if remaining == 0 {
            self.finish_group(group, None);
        }
    }

    /// An ACK packet from `socket`. Unknown ids are ignored, as socket.io does.
    pub(crate) fn receive_ack(&mut self, socket: SocketKey, id: u64, args: Args<'_>) {
        let Some(state) = self.sockets.get_mut(&socket) else {
            return;
        };
        let Some(at) = state.acks.iter().position(|(pending, _)| *pending == id) else {
            return;
        };
        match state.acks.swap_remove(at).1 {
            Pending::Single { callback, timer } => {
                if let Some(timer) = timer {
                    self.timers.remove(&timer);
                }
                callback(self, Ok(args));
            }
            Pending::Group(group) => {
                let Some(state) = self.groups.get_mut(&group) else {
                    return;
                };
                state.collector.push(&args);
                state.remaining -= 1;
                if state.remaining == 0 {
                    self.finish_group(group, None);
                }
            }
        }
    }

    pub(crate) fn ack_timed_out(&mut self, socket: SocketKey, id: u64) {
        let Some(state) = self.sockets.get_mut(&socket) else {
            return;
        };
        let found = state.acks.iter().position(|(pending, _)| *pending == id);
        let Some(at) = found else { return };
        if let (_, Pending::Single { callback, .. }) = state.acks.swap_remove(at) {
            callback(self, Err(AckError::Timeout));
        }
    }

    pub(crate) fn group_lost_member(&mut self, group: u64) {
        let Some(state) = self.groups.get_mut(&group) else {
            return;
        };
        state.remaining -= 1;
        if state.remaining == 0 {
            self.finish_group(group, None);
        }
    }

    /// Ends a broadcast ack: members that have not answered stop being waited for.
    pub(crate) fn finish_group(&mut self, group: u64, error: Option<AckError>) {
        let Some(state) = self.groups.remove(&group) else {
            return;
        };
        if let Some(timer) = state.timer {
            self.timers.remove(&timer);
        }
        for member in &state.members {
            if let Some(socket) = self.sockets.get_mut(member) {
                socket.acks.retain(|(id, p)| {
                    !(*id == state.id && matches!(p, Pending::Group(g) if *g == group))
                });
            }
        }
        state.collector.finish(self, error);
    }
}
