//! Limits and timeouts of the event loop, each with its default, unit and risk.

use std::time::Duration;

/// What to do when a connection's unsent output would pass [`Config::max_buffered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverflowPolicy {
    /// Drop the TCP connection at once (its peer is not reading); the service sees
    /// [`CloseReason::Overflow`](crate::CloseReason::Overflow). The default.
    Close,
    /// Refuse the message with [`SendError::Full`](crate::SendError::Full) and keep the
    /// connection; the service decides.
    Reject,
}

/// Server pings for connections that went quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Silence, in time, after which the server sends a ping.
    pub interval: Duration,
    /// How long after that ping the peer has to send anything before the connection is closed
    /// with 1001.
    pub timeout: Duration,
}

/// Configuration of an [`EventLoop`](crate::EventLoop).
///
/// ```
/// use std::time::Duration;
/// let config = loopio_net::Config {
///     max_connections: 1_000,
///     handshake_timeout: Duration::from_secs(5),
///     ..loopio_net::Config::default()
/// };
/// assert_eq!(config.high_water, 1 << 20);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// Frame and message size limits. Default 16 MiB each. Risk: memory per connection while a
    /// message is being assembled.
    pub frame_limits: loopio_frame::Limits,
    /// HTTP head limits. Default 8 KiB, 64 headers. Risk: memory per connection still in its
    /// handshake.
    pub head_limits: loopio_handshake::Limits,
    /// Largest plain HTTP request body, in bytes. Default 1 MiB (answered 413 past it).
    pub max_body: usize,
    /// Most open TCP connections (server and client). Default 10 000; accepting pauses at the
    /// limit and resumes when a slot frees. Risk: file descriptors and memory.
    pub max_connections: usize,
    /// Time a connection has to send a complete request head (and body), or a client to receive
    /// its `101`. Default 10 s. Risk: slowloris connections holding slots.
    pub handshake_timeout: Duration,
    /// Time a WebSocket peer has to finish a frame or a fragmented message once its first byte
    /// arrived; past it the connection is failed with close 1008 (policy violation) and the
    /// service sees [`CloseReason::Timeout`](crate::CloseReason::Timeout). Any complete message
    /// (data or control) restarts the clock; an idle connection between messages is not timed
    /// (see [`Config::keepalive`]). Default 60 s; `None` disables it. Risk: too short fails
    /// honest peers sending a large message over a slow link (16 MiB in 60 s needs 280 KB/s);
    /// `None` lets a peer hold a slot and up to `max_message_size` bytes by trickling one frame.
    pub message_timeout: Option<Duration>,
    /// Connections the kernel queues for the listener before the loop accepts them (the
    /// `listen(2)` backlog, capped by the kernel's `net.core.somaxconn`). Default `None`: mio's
    /// (and std's) fixed 128. Risk: too small, and a burst of connects past it has its SYNs
    /// dropped: those peers retry after 1 s, then 3 s, ... Needs the `listen-backlog` feature
    /// (it brings in `socket2`, since mio 1.x cannot set a backlog).
    #[cfg(feature = "listen-backlog")]
    pub listen_backlog: Option<u32>,
    /// Time the peer has to answer our close frame, and then to close TCP. Default 5 s.
    pub close_timeout: Duration,
    /// Server pings on quiet WebSocket connections. Default `None` (no pings, no idle limit).
    pub keepalive: Option<Keepalive>,
    /// Unsent bytes past which [`Ctx::is_writable`](crate::Ctx::is_writable) turns false and
    /// [`Service::on_drain`](crate::Service::on_drain) is promised once it drains below half.
    /// Default 1 MiB.
    pub high_water: usize,
    /// Hard limit on unsent bytes per connection. Default 64 MiB (room for a 16 MiB echo).
    /// Risk: memory per slow reader.
    pub max_buffered: usize,
    /// What passing [`Config::max_buffered`] does. Default [`OverflowPolicy::Close`].
    pub overflow: OverflowPolicy,
    /// Longest a graceful shutdown lasts: time for peers to take their queued output and close
    /// frames, and for the service's pending work ([`Service::is_shutdown_pending`], e.g. a
    /// polling client's last GET). Past it the remaining connections are aborted. Default 5 s.
    ///
    /// [`Service::is_shutdown_pending`]: crate::Service::is_shutdown_pending
    pub shutdown_timeout: Duration,
    /// Size of the one loop-owned read buffer, in bytes. Default 256 KiB: one per loop, and
    /// large enough that most 64 KiB frames arrive whole (decoded in place, not copied).
    pub read_buffer: usize,
    /// Bytes read from one connection per readiness before others get a turn. Default 1 MiB.
    pub read_budget: usize,
    /// Commands a [`Handle`](crate::Handle) may queue before it reports `Full`. Default 65 536.
    pub max_queued_commands: usize,
    /// Print every frame and handshake to stderr. Default: `LOOPIO_TRACE=1` in the environment
    /// when the loop is created.
    pub trace: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            frame_limits: loopio_frame::Limits::default(),
            head_limits: loopio_handshake::Limits::default(),
            max_body: 1 << 20,
            max_connections: 10_000,
            handshake_timeout: Duration::from_secs(10),
            message_timeout: Some(Duration::from_secs(60)),
            #[cfg(feature = "listen-backlog")]
            listen_backlog: None,
            close_timeout: Duration::from_secs(5),
            keepalive: None,
            high_water: 1 << 20,
            max_buffered: 64 << 20,
            overflow: OverflowPolicy::Close,
            shutdown_timeout: Duration::from_secs(5),
            read_buffer: 256 << 10,
            read_budget: 1 << 20,
            max_queued_commands: 1 << 16,
            trace: false,
        }
    }
}
