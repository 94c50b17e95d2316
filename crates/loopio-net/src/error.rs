//! Errors returned to the service and to other threads.

use std::fmt;

/// Why [`Ctx`](crate::Ctx) could not queue output for a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The connection ended (or the id is stale).
    Gone,
    /// The connection is not in a state for this: not an open WebSocket, closing, or (for
    /// [`Ctx::respond`](crate::Ctx::respond)) not holding a request.
    WrongState,
    /// The unsent output would pass the hard limit; with
    /// [`OverflowPolicy::Close`](crate::OverflowPolicy::Close) the connection has been dropped.
    Full,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Gone => "connection is gone",
            SendError::WrongState => "connection is not in a state to accept this",
            SendError::Full => "connection output is over its hard limit",
        })
    }
}

impl std::error::Error for SendError {}

/// Why a client connection could not be started.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not `ws://host[:port][/path]`.
    BadUrl,
    /// The host did not resolve or the socket could not be created.
    Io(std::io::Error),
    /// [`Config::max_connections`](crate::Config::max_connections) are open.
    TooManyConnections,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::BadUrl => f.write_str("expected ws://host[:port][/path]"),
            ConnectError::Io(err) => write!(f, "cannot connect: {err}"),
            ConnectError::TooManyConnections => f.write_str("connection limit reached"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ConnectError {
    fn from(err: std::io::Error) -> Self {
        ConnectError::Io(err)
    }
}

/// Why a [`Handle`](crate::Handle) command was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandleError {
    /// The loop has stopped.
    Stopped,
    /// [`Config::max_queued_commands`](crate::Config::max_queued_commands) are waiting.
    Full,
}

impl fmt::Display for HandleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandleError::Stopped => "event loop has stopped",
            HandleError::Full => "event loop command queue is full",
        })
    }
}

impl std::error::Error for HandleError {}
