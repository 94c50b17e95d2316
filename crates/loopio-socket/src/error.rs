//! Why sockets end, why connections are refused and why acks fail.

use std::fmt;

/// Why a socket left its namespace; `Display` gives socket.io's exact reason string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client sent DISCONNECT for this namespace.
    ClientNamespaceDisconnect,
    /// The server called `disconnect` on the socket.
    ServerNamespaceDisconnect,
    /// The Engine.IO session closed cleanly (the peer went away).
    TransportClose,
    /// The Engine.IO transport failed.
    TransportError,
    /// The peer missed its heartbeat.
    PingTimeout,
    /// The peer sent a packet this crate refused (see [`ParseError`](crate::ParseError)).
    ParseError,
    /// The server is shutting down ([`Server::close`](crate::Server::close)).
    ServerShuttingDown,
    /// The Engine.IO session was closed by the server below this layer.
    ForcedClose,
    /// The client was closed by this layer (`disconnect(true)`, connect timeout).
    ForcedServerClose,
}

impl DisconnectReason {
    /// The reason string socket.io passes to `disconnect` listeners.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientNamespaceDisconnect => "client namespace disconnect",
            Self::ServerNamespaceDisconnect => "server namespace disconnect",
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::ServerShuttingDown => "server shutting down",
            Self::ForcedClose => "forced close",
            Self::ForcedServerClose => "forced server close",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A middleware's refusal, sent as `CONNECT_ERROR {"message":…,"data":…}`.
///
/// ```
/// use loopio_socket::ConnectError;
/// let e = ConnectError::new("not authorized").with_data(serde_json::json!({"retry": false}));
/// assert_eq!(e.to_string(), "not authorized");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectError {
    /// Shown to the client as `err.message`.
    pub message: String,
    /// Shown to the client as `err.data`; omitted when `None`.
    pub data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// Adds the `data` field.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

/// Why an acknowledgement callback got no (usable) answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum AckError {
    /// The timeout passed first (socket.io: "operation has timed out").
    Timeout,
    /// The socket disconnected before answering.
    Disconnected,
    /// The answer did not deserialize into the requested type.
    Decode(serde_json::Error),
}

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("operation has timed out"),
            Self::Disconnected => f.write_str("socket disconnected before acknowledging"),
            Self::Decode(e) => write!(f, "acknowledgement does not decode: {e}"),
        }
    }
}

impl std::error::Error for AckError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Decode(e) => Some(e),
            _ => None,
        }
    }
}
