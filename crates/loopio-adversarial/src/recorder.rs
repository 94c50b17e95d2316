//! [`Recorder`]: a service that echoes or broadcasts and counts what happened, so tests can
//! compare the loop's view with the clients'.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;

use loopio_net::{CloseReason, ConnId, Ctx, Data, Service};

/// What [`Recorder`] does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Send it back to its sender.
    Echo,
    /// Send it to every open connection (the sender included).
    Broadcast,
}

/// Something the recorder saw, streamed to the test when it asked for events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A WebSocket opened.
    Open(ConnId),
    /// A connection the service knew ended.
    Closed(ConnId, CloseReason),
}

/// Counts kept on the loop thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// `on_open` calls.
    pub opens: u64,
    /// `on_close` calls.
    pub closes: u64,
    /// `on_close` calls by reason (`Debug` text).
    pub closes_by_reason: BTreeMap<String, u64>,
    /// Connections open now, as the service sees them.
    pub open_now: usize,
    /// Highest slab index of any `ConnId` seen (from its `#index.generation` display): bounds
    /// the loop's connection table.
    pub max_index: u32,
    /// Messages received.
    pub messages_in: u64,
    /// Messages queued successfully.
    pub messages_out: u64,
    /// Sends refused (`SendError`).
    pub send_errors: u64,
    /// Largest `buffered_amount` seen on any connection after a send.
    pub max_buffered_seen: usize,
}

/// Echo or broadcast service that records [`Stats`] and optionally streams [`Event`]s.
#[derive(Debug)]
pub struct Recorder {
    mode: Mode,
    events: Option<mpsc::Sender<Event>>,
    open: BTreeSet<ConnId>,
    stats: Stats,
}

impl Recorder {
    /// A recorder in `mode`, streaming events to `events` if given.
    pub fn new(mode: Mode, events: Option<mpsc::Sender<Event>>) -> Recorder {
        Recorder {
            mode,
            events,
            open: BTreeSet::new(),
            stats: Stats::default(),
        }
    }

    /// A copy of the counts.
    pub fn stats(&self) -> Stats {
        let mut stats = self.stats.clone();
        stats.open_now = self.open.len();
        stats
    }

    /// Connections open now.
    pub fn open_conns(&self) -> Vec<ConnId> {
        self.open.iter().copied().collect()
    }

    /// Sends `data` to every open connection.
    pub fn broadcast(&mut self, ctx: &mut Ctx, data: Data<'_>) {
        let targets: Vec<ConnId> = self.open.iter().copied().collect();
        for conn in targets {
            self.send(ctx, conn, data);
        }
    }

    /// Sends `data` to `conn`, counting the outcome.
    pub fn send(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
        let result = match data {
            Data::Text(text) => ctx.send_text(conn, text),
            Data::Binary(bytes) => ctx.send_binary(conn, bytes),
        };
        match result {
            Ok(()) => self.stats.messages_out += 1,
            Err(_) => self.stats.send_errors += 1,
        }
        let buffered = ctx.buffered_amount(conn);
        self.stats.max_buffered_seen = self.stats.max_buffered_seen.max(buffered);
    }

    fn note_index(&mut self, conn: ConnId) {
        self.stats.max_index = self.stats.max_index.max(slab_index(conn));
    }
}

/// The slab index of `conn`, read from its `#index.generation` display.
pub fn slab_index(conn: ConnId) -> u32 {
    let text = conn.to_string();
    text.trim_start_matches('#')
        .split('.')
        .next()
        .and_then(|index| index.parse().ok())
        .expect("ConnId displays as #index.generation")
}

impl Service for Recorder {
    fn on_open(&mut self, _ctx: &mut Ctx, conn: ConnId) {
        self.stats.opens += 1;
        self.open.insert(conn);
        self.note_index(conn);
        if let Some(events) = &self.events {
            let _ = events.send(Event::Open(conn));
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
        self.stats.messages_in += 1;
        match self.mode {
            Mode::Echo => self.send(ctx, conn, data),
            Mode::Broadcast => self.broadcast(ctx, data),
        }
    }

    fn on_close(&mut self, _ctx: &mut Ctx, conn: ConnId, reason: &CloseReason) {
        self.stats.closes += 1;
        self.open.remove(&conn);
        self.note_index(conn);
        *self
            .stats
            .closes_by_reason
            .entry(format!("{reason:?}"))
            .or_default() += 1;
        if let Some(events) = &self.events {
            let _ = events.send(Event::Closed(conn, reason.clone()));
        }
    }
}
