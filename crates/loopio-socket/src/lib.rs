//! loopio-socket (work in progress).
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod args;
mod packet;

pub use args::{Args, Binary, EncodeError, Encoded, RESERVED_EVENTS};
pub use packet::{Header, PacketType, ParseError};
