//! Why a request was refused, why a session ended, why a send failed.

use std::fmt;

/// A refused Engine.IO request, with the official code (0–5) and message.
///
/// Polling requests get `400` (`403` for [`RequestError::Forbidden`]) with the JSON body
/// `{"code":N,"message":"…"}`; refused WebSocket upgrades get `400` with the message as
/// `text/html`, as the official server answers them.
///
/// ```
/// use loopio_engine::RequestError;
/// let error = RequestError::UnknownSid;
/// assert_eq!((error.code(), error.status()), (1, 400));
/// assert_eq!(error.to_string(), "Session ID unknown");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// 0: `transport` is missing, unknown or disabled (misuse by the client).
    UnknownTransport,
    /// 1: `sid` names no live session (misbehaving or stale client).
    UnknownSid,
    /// 2: a handshake that is not a `GET` (misbehaving client).
    BadHandshakeMethod,
    /// 3: anything else malformed: transport mismatch, bad `Origin`, bad upgrade (malformed).
    BadRequest,
    /// 4: the application rejected the handshake ([`crate::Server::reject`]).
    Forbidden,
    /// 5: `EIO` is missing or not `4` (unsupported).
    UnsupportedProtocolVersion,
}

impl RequestError {
    /// The numeric code in the JSON body.
    pub fn code(self) -> u8 {
        match self {
            RequestError::UnknownTransport => 0,
            RequestError::UnknownSid => 1,
            RequestError::BadHandshakeMethod => 2,
            RequestError::BadRequest => 3,
            RequestError::Forbidden => 4,
            RequestError::UnsupportedProtocolVersion => 5,
        }
    }

    /// The HTTP status for a polling request: 403 for `Forbidden`, else 400.
    pub fn status(self) -> u16 {
        match self {
            RequestError::Forbidden => 403,
            _ => 400,
        }
    }

    /// The official message text.
    pub fn message(self) -> &'static str {
        match self {
            RequestError::UnknownTransport => "Transport unknown",
            RequestError::UnknownSid => "Session ID unknown",
            RequestError::BadHandshakeMethod => "Bad handshake method",
            RequestError::BadRequest => "Bad request",
            RequestError::Forbidden => "Forbidden",
            RequestError::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for RequestError {}

/// Why a session ended; the text matches the official `close` event reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent `1`, or its WebSocket closed cleanly.
    TransportClose,
    /// The transport failed: held GET dropped, overlapping GET, oversize POST, bad content,
    /// wrong heartbeat direction, WebSocket error.
    TransportError,
    /// No `3` (pong) within `ping_timeout` of a ping.
    PingTimeout,
    /// The server called [`crate::Connection::close`].
    ForcedClose,
    /// A packet could not be decoded.
    ParseError,
}

impl CloseReason {
    /// Which side ended the session.
    pub fn initiator(self) -> Initiator {
        match self {
            CloseReason::TransportClose => Initiator::Client,
            CloseReason::ForcedClose => Initiator::Server,
            _ => Initiator::Protocol,
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ForcedClose => "forced close",
            CloseReason::ParseError => "parse error",
        })
    }
}

/// Who ended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Initiator {
    /// The peer closed or asked to close.
    Client,
    /// The application asked to close.
    Server,
    /// This state machine ended it on a protocol rule (timeout, malformed input).
    Protocol,
}

/// Why [`crate::Connection::send`] refused a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The session is closing or closed; the packet was dropped (misuse).
    Closed,
    /// The outgoing queue would exceed [`crate::Config::max_buffered`] (slow client).
    BufferFull,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Closed => "session is closed",
            SendError::BufferFull => "outgoing buffer is full",
        })
    }
}

impl std::error::Error for SendError {}
