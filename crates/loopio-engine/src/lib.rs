//! Sans-I/O Engine.IO v4 server (WIP docs).
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod config;
mod connection;
mod error;
mod http;
mod packet;
mod queue;
mod rng;
mod server;
mod timer;
mod trace;

pub use config::{AllowedOrigins, Config, Cors, Transports};
pub use connection::{Connection, Event, Transmit, TransmitKind, TransportEnd};
pub use error::{CloseReason, Initiator, RequestError, SendError};
pub use packet::{
    records, Data, Packet, PacketError, PacketType, PayloadDecoder, PayloadError, WsKind, SEPARATOR,
};
pub use server::{
    Incoming, RequestHead, RequestKind, Route, Server, SessionHandle, SessionRequest, Sid,
    TransportId, TransportKind,
};
pub use trace::Trace;
