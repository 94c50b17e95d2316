//! loopio-socket (work in progress).
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod ack;
mod args;
mod broadcast;
mod config;
mod error;
mod extensions;
mod ids;
mod namespace;
mod packet;
mod server;
mod socket;

pub use args::{Args, Binary, EmitError, Encoded, RESERVED_EVENTS};
pub use broadcast::{BroadcastOperator, Command, Selection};
pub use config::{Config, Handshake};
pub use error::{AckError, ConnectError, DisconnectReason};
pub use extensions::Extensions;
pub use ids::{ClientId, SocketId};
pub use namespace::{path_pattern, Connecting, DynamicRef, NamespaceRef};
pub use packet::{Header, PacketType, ParseError};
pub use server::{Event, Message, Server, Stats, Transmit};
pub use socket::{Disconnected, EventContext, HandlerResult, Socket};
