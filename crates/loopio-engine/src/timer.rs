//! The session's deadlines in one table indexed by [`Timer`].

use std::time::Instant;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Send the next ping (`ping_interval` after open or after the last pong).
    Ping = 0,
    /// Close with "ping timeout" unless a pong arrives (`ping_timeout` after a ping).
    Pong = 1,
    /// Drop an unfinished upgrade (`upgrade_timeout` after the probing WebSocket opened).
    Upgrade = 2,
    /// Give up waiting for a GET to carry the close packet (`close_timeout`).
    Close = 3,
}

impl Timer {
    const ALL: [Timer; 4] = [Timer::Ping, Timer::Pong, Timer::Upgrade, Timer::Close];
}

/// One optional deadline per [`Timer`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TimerTable([Option<Instant>; 4]);

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.0[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.0[timer as usize] = None;
    }

    pub(crate) fn stop_all(&mut self) {
        self.0 = [None; 4];
    }

    /// The nearest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    /// Takes the earliest deadline that is due at `now`.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        let due = Timer::ALL
            .into_iter()
            .filter(|&timer| self.0[timer as usize].is_some_and(|at| at <= now))
            .min_by_key(|&timer| self.0[timer as usize])?;
        self.stop(due);
        Some(due)
    }
}
