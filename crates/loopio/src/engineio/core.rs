//! The session table and the engine→loop half of the driving contract: transmits to TCP
//! connections, one loop timer per session, and the TCP connection ↔ session map.

use std::net::SocketAddr;
use std::time::Instant;

use loopio_engine::{
    Connection, Server, SessionHandle, Trace, TransmitKind, TransportEnd, TransportId,
};
use loopio_net::{ConnId, Ctx, Request, TimerId};

use super::SessionId;

/// Tags the `data` of the loop timers that belong to sessions; the handler's own timers use
/// the values below it.
pub(crate) const SESSION_TIMER: u64 = 1 << 63;

/// One live session: its state machine and the loop timer armed for it.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) engine: Connection,
    /// The armed loop timer and its deadline. It may fire before the engine's next deadline
    /// (a pong moved it later); `handle_timeout` then does nothing and the timer is re-armed.
    timer: Option<(TimerId, Instant)>,
}

/// A reusable place for a session; `generation` grows each time it is freed, so a stale
/// [`SessionId`] names nothing.
#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    session: Option<Session>,
}

/// The handshake of the session whose `on_open` runs (see [`super::Sessions::handshake`]).
#[derive(Debug)]
pub(crate) struct Opening {
    pub(crate) session: SessionId,
    pub(crate) request: Request,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) time: Instant,
}

/// TCP connection → session, indexed by the connection's slot in the loop (its
/// [`ConnId::to_bits`] low half): the loop reuses small slot numbers and has at most
/// `max_connections`, so the table is as long as the most connections ever open at once, and
/// the lookup each message makes is an index and a compare instead of a hash probe.
#[derive(Debug, Default)]
struct Holders(Vec<Option<(ConnId, SessionId)>>);

impl Holders {
    fn slot(conn: ConnId) -> usize {
        conn.to_bits() as u32 as usize
    }

    fn insert(&mut self, conn: ConnId, id: SessionId) {
        let slot = Self::slot(conn);
        if self.0.len() <= slot {
            self.0.resize(slot + 1, None);
        }
        self.0[slot] = Some((conn, id));
    }

    fn get(&self, conn: ConnId) -> Option<SessionId> {
        match self.0.get(Self::slot(conn))? {
            Some((held, id)) if *held == conn => Some(*id),
            _ => None,
        }
    }

    fn remove(&mut self, conn: ConnId) -> Option<SessionId> {
        let entry = self.0.get_mut(Self::slot(conn))?;
        match *entry {
            Some((held, id)) if held == conn => {
                *entry = None;
                Some(id)
            }
            _ => None,
        }
    }
}

/// Everything the Engine.IO service owns besides the handler.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) server: Server,
    /// Indexed by [`SessionHandle`]: the engine hands out small reusable indexes.
    slots: Vec<Slot>,
    /// TCP connections the engine holds for a session: held GETs, the WebSocket, the probe.
    /// POSTs are answered within the call that delivers them and never appear here.
    transports: Holders,
    /// Sessions commanded by the handler whose outputs are not drained yet.
    pub(crate) dirty: Vec<SessionId>,
    /// The handshake of the session being opened, while its `on_open` runs.
    pub(crate) opening: Option<Opening>,
    /// Response bytes from the engine, reused.
    pub(crate) out: Vec<u8>,
    pub(crate) trace: bool,
}

impl Core {
    pub(crate) fn new(server: Server, trace: bool) -> Core {
        Core {
            server,
            slots: Vec::new(),
            transports: Holders::default(),
            opening: None,
            dirty: Vec::new(),
            out: Vec::new(),
            trace,
        }
    }

    /// Stores a session the engine just accepted.
    pub(crate) fn insert(&mut self, handle: SessionHandle, engine: Connection) -> SessionId {
        if self.slots.len() <= handle.0 {
            self.slots.resize_with(handle.0 + 1, Slot::default);
        }
        let slot = &mut self.slots[handle.0];
        slot.session = Some(Session {
            engine,
            timer: None,
        });
        SessionId {
            index: handle.0 as u32,
            generation: slot.generation,
        }
    }

    /// The id of the live session under `handle`.
    pub(crate) fn id_of(&self, handle: SessionHandle) -> Option<SessionId> {
        let slot = self.slots.get(handle.0)?;
        slot.session.as_ref().map(|_| SessionId {
            index: handle.0 as u32,
            generation: slot.generation,
        })
    }

    pub(crate) fn get(&self, id: SessionId) -> Option<&Session> {
        let slot = self.slots.get(id.index as usize)?;
        (slot.generation == id.generation)
            .then_some(slot.session.as_ref())
            .flatten()
    }

    pub(crate) fn get_mut(&mut self, id: SessionId) -> Option<&mut Session> {
        let slot = self.slots.get_mut(id.index as usize)?;
        (slot.generation == id.generation)
            .then_some(slot.session.as_mut())
            .flatten()
    }

    /// Every live session, e.g. to close them all on shutdown.
    pub(crate) fn ids(&self) -> Vec<SessionId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.session.is_some())
            .map(|(index, slot)| SessionId {
                index: index as u32,
                generation: slot.generation,
            })
            .collect()
    }

    /// Drops an ended session (after its last transmits) and frees its sid and handle.
    pub(crate) fn remove(&mut self, ctx: &mut Ctx, id: SessionId) {
        let Some(slot) = self.slots.get_mut(id.index as usize) else {
            return;
        };
        if slot.generation != id.generation {
            return;
        }
        if let Some(session) = slot.session.take() {
            if let Some((timer, _)) = session.timer {
                ctx.cancel_timer(timer);
            }
            slot.generation = slot.generation.wrapping_add(1);
            self.server.remove(SessionHandle(id.index as usize));
        }
    }

    /// Remembers that `conn` carries a transport of `id` (a held GET, a WebSocket).
    pub(crate) fn hold(&mut self, conn: ConnId, id: SessionId) {
        self.transports.insert(conn, id);
    }

    /// Forgets the transport on `conn`, returning its session if it had one.
    pub(crate) fn release(&mut self, conn: ConnId) -> Option<SessionId> {
        self.transports.remove(conn)
    }

    /// The session whose transport `conn` carries.
    pub(crate) fn holder(&self, conn: ConnId) -> Option<SessionId> {
        self.transports.get(conn)
    }

    /// Drain step 1: writes every transmit of `id` to its TCP connection. Transmits for a
    /// connection that is already gone fail quietly, as the contract allows.
    pub(crate) fn transmit(&mut self, ctx: &mut Ctx, id: SessionId) {
        let now = ctx.now();
        let Core {
            slots,
            transports,
            out,
            trace,
            ..
        } = self;
        let Some(session) = slots
            .get_mut(id.index as usize)
            .filter(|slot| slot.generation == id.generation)
            .and_then(|slot| slot.session.as_mut())
        else {
            return;
        };
        loop {
            out.clear();
            let Some(transmit) = session.engine.poll_transmit(now, out) else {
                return;
            };
            let conn = ConnId::from_bits(transmit.to.0);
            if *trace {
                let via = match transmit.kind {
                    TransmitKind::Http { .. } => "polling",
                    _ => "websocket",
                };
                let packets = Trace::transmit(&transmit, out);
                eprintln!("eio {} {via} {conn} -> {packets}", session.engine.sid());
            }
            // A finished or closed transport no longer belongs to the session.
            let releases = !matches!(transmit.kind, TransmitKind::WsText | TransmitKind::WsBinary);
            if releases && transports.get(conn) == Some(id) {
                transports.remove(conn);
            }
            // Send errors mean the TCP connection is gone or closing; its `on_close` (or the
            // session's own deadlines) take it from there.
            let _ = match transmit.kind {
                TransmitKind::Http { close } => ctx.respond_raw(conn, out, close),
                TransmitKind::WsText => match std::str::from_utf8(out) {
                    Ok(text) => ctx.send_text(conn, text),
                    // The engine encodes text packets from `&str` and base64 only.
                    Err(_) => ctx.close_without_status(conn),
                },
                TransmitKind::WsBinary => ctx.send_binary(conn, out),
                TransmitKind::WsClose => ctx.close_without_status(conn),
                _ => Ok(()),
            };
        }
    }

    /// Drain step 3: makes sure a loop timer fires no later than the engine's next deadline.
    /// An armed timer that fires earlier stays (no heap churn on every pong).
    pub(crate) fn arm_timer(&mut self, ctx: &mut Ctx, id: SessionId) {
        let Some(session) = self.get_mut(id) else {
            return;
        };
        let next = session.engine.poll_timeout();
        match (session.timer, next) {
            (Some((timer, _)), None) => {
                ctx.cancel_timer(timer);
                session.timer = None;
            }
            (Some((_, armed)), Some(next)) if armed <= next => {}
            (armed, Some(next)) => {
                if let Some((timer, _)) = armed {
                    ctx.cancel_timer(timer);
                }
                let data = SESSION_TIMER | u64::from(id.index);
                session.timer = Some((ctx.set_timer(next, data), next));
            }
            (None, None) => {}
        }
    }

    /// A session timer fired: returns the session if `timer` is still the one armed for it.
    pub(crate) fn take_timer(&mut self, timer: TimerId, data: u64) -> Option<SessionId> {
        let index = (data & !SESSION_TIMER) as u32;
        let slot = self.slots.get_mut(index as usize)?;
        let session = slot.session.as_mut()?;
        match session.timer {
            Some((armed, _)) if armed == timer => {
                session.timer = None;
                Some(SessionId {
                    index,
                    generation: slot.generation,
                })
            }
            _ => None,
        }
    }

    /// A transport `conn` of a session ended by itself (EOF, reset, close frame).
    pub(crate) fn transport_closed(
        &mut self,
        now: Instant,
        conn: ConnId,
        end: TransportEnd,
    ) -> Option<SessionId> {
        let id = self.release(conn)?;
        let trace = self.trace;
        let session = self.get_mut(id)?;
        if trace {
            eprintln!(
                "eio {} {conn} transport ended: {end:?}",
                session.engine.sid()
            );
        }
        let transport = TransportId(conn.to_bits());
        session.engine.handle_transport_closed(now, transport, end);
        Some(id)
    }
}

/// Names a TCP connection to the engine.
pub(crate) fn transport_of(conn: ConnId) -> TransportId {
    TransportId(conn.to_bits())
}

/// Bytes of one session slot (see [`super::session_state_size`]).
pub(crate) fn session_slot_size() -> usize {
    std::mem::size_of::<Slot>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(index: u32, generation: u32) -> ConnId {
        ConnId::from_bits(u64::from(generation) << 32 | u64::from(index))
    }

    fn session(index: u32) -> SessionId {
        SessionId {
            index,
            generation: 7,
        }
    }

    #[test]
    fn holders_answer_only_the_connection_that_holds() {
        let mut holders = Holders::default();
        assert_eq!(holders.get(conn(3, 0)), None);
        holders.insert(conn(3, 0), session(1));
        assert_eq!(holders.get(conn(3, 0)), Some(session(1)));
        assert_eq!(holders.get(conn(2, 0)), None);
        // The same slot reused by a later connection: the old id names nothing.
        assert_eq!(holders.get(conn(3, 1)), None);
        assert_eq!(holders.remove(conn(3, 1)), None);
        assert_eq!(holders.get(conn(3, 0)), Some(session(1)));
        holders.insert(conn(3, 1), session(2));
        assert_eq!(holders.get(conn(3, 0)), None);
        assert_eq!(holders.remove(conn(3, 0)), None);
        assert_eq!(holders.remove(conn(3, 1)), Some(session(2)));
        assert_eq!(holders.get(conn(3, 1)), None);
        assert_eq!(holders.remove(conn(9, 0)), None);
    }
}
