//! Per-connection state: what the connection awaits, its parser, and its unsent output.
//!
//! ```text
//!  server:  ReadingHead ──upgrade──▶ Open ──close sent──▶ AwaitingClose ─┐
//!              │  ▲   └─request──▶ ReadingBody ─┐          │ peer close  │ peer close
//!              │  └──keep-alive── AwaitingResponse ◀┘ (held)  ▼            ▼
//!              └─error / Connection: close ─────────────▶ Lingering ──EOF / deadline──▶ freed
//!  client:  Connecting ──▶ AwaitingAccept ──101──▶ Open ──▶ ... same as above
//! ```

use std::time::Instant;

use loopio_frame::{Decoder, Role};
use loopio_handshake::{BodyDecoder, Request};
use mio::net::TcpStream;

use crate::trace::FrameTracer;

/// What a connection is waiting for. Named after what it awaits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Server: the request head is arriving.
    ReadingHead,
    /// Server: a plain request's body is arriving.
    ReadingBody,
    /// Server: the service holds a plain request; the flag says whether keep-alive follows.
    AwaitingResponse { keep_alive: bool },
    /// Client: TCP connect in progress.
    Connecting,
    /// Client: request sent, awaiting the `101`.
    AwaitingAccept,
    /// WebSocket open in both directions.
    Open,
    /// We sent a close frame and await the peer's.
    AwaitingClose,
    /// Closing TCP: flush, then (server) FIN, then discard input until EOF or the deadline.
    Lingering,
}

impl State {
    /// Whether the connection keeps a parser for incoming bytes in this state.
    pub(crate) fn keeps_input(self) -> bool {
        !matches!(self, State::Lingering | State::Connecting)
    }
}

/// The parser for incoming bytes; taken out of the connection while bytes are processed so the
/// service can use [`Ctx`](crate::Ctx) meanwhile.
#[derive(Debug, Default)]
pub(crate) enum Input {
    /// No parser (lingering, or taken).
    #[default]
    None,
    /// Bytes of an incomplete HTTP head (empty in the common case: heads arrive whole).
    Head(Vec<u8>),
    /// A plain request whose body is arriving.
    Body(Box<BodyInput>),
    /// Client: our key and the incomplete response head.
    Accept(Box<AcceptInput>),
    /// WebSocket frames.
    Frames(Decoder),
}

/// A request whose body is being read.
#[derive(Debug)]
pub(crate) struct BodyInput {
    pub(crate) request: Request,
    pub(crate) decoder: BodyDecoder,
    pub(crate) body: Vec<u8>,
}

/// Client handshake state.
#[derive(Debug)]
pub(crate) struct AcceptInput {
    pub(crate) key: String,
    pub(crate) head: Vec<u8>,
}

/// One TCP connection.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) socket: TcpStream,
    pub(crate) state: State,
    pub(crate) role: Role,
    pub(crate) input: Input,
    /// Unsent output; bytes before `out_pos` are already written.
    pub(crate) out: Vec<u8>,
    pub(crate) out_pos: usize,
    /// Bytes of frames queued from the read buffer, sent before `out` (see `borrowed.rs`).
    pub(crate) borrowed: u32,
    /// The one protocol deadline of the current state (handshake, keepalive, close, linger).
    pub(crate) deadline: Option<Instant>,
    /// When the frame or fragmented message being received started
    /// ([`Config::message_timeout`](crate::Config::message_timeout)); `None` between messages.
    pub(crate) message_start: Option<Instant>,
    /// When bytes last arrived (keepalive).
    pub(crate) last_read: Instant,
    /// The code of the close frame we sent.
    pub(crate) close_code: u16,
    pub(crate) flags: Flags,
    /// Frame annotator, only when tracing.
    pub(crate) tracer: Option<Box<FrameTracer>>,
}

/// Small per-connection booleans.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Flags {
    /// Queued in the loop's dirty list for a flush.
    pub(crate) dirty: bool,
    /// The service knows this connection (so it gets `on_close`).
    pub(crate) seen: bool,
    /// `on_close` already queued.
    pub(crate) notified: bool,
    /// Output passed the high-water mark; `on_drain` is owed.
    pub(crate) over_high_water: bool,
    /// A keepalive ping is unanswered.
    pub(crate) ping_outstanding: bool,
    /// Our FIN is sent.
    pub(crate) write_shut: bool,
    /// A message-timeout timer is in the heap. When it fires it re-arms from `message_start`
    /// if a message completed meanwhile, so a busy connection pushes at most one timer per
    /// timeout period.
    pub(crate) message_timer: bool,
}

impl Conn {
    /// A connection in `state`.
    pub(crate) fn new(
        socket: TcpStream,
        role: Role,
        state: State,
        input: Input,
        now: Instant,
    ) -> Conn {
        Conn {
            socket,
            state,
            role,
            input,
            out: Vec::new(),
            out_pos: 0,
            borrowed: 0,
            deadline: None,
            message_start: None,
            last_read: now,
            close_code: 0,
            flags: Flags::default(),
            tracer: None,
        }
    }

    /// Unsent bytes.
    pub(crate) fn buffered(&self) -> usize {
        self.out.len() - self.out_pos + self.borrowed as usize
    }

    /// Whether `out` holds no unsent byte (borrowed frames aside).
    pub(crate) fn out_empty(&self) -> bool {
        self.out.len() == self.out_pos
    }
}
