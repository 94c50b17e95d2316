//! Sans-I/O RFC 6455 frame codec: bytes in, messages out; messages in, bytes out.
//!
//! `loopio-frame` owns everything between the opening handshake and the socket: frame headers,
//! payload lengths, masking, opcodes, fragmentation, incremental UTF-8 validation of text, and
//! close frame payloads. It does no I/O, reads no clock and draws no randomness: a client's
//! masking keys come from the caller. It does not do the HTTP upgrade (`loopio-handshake`),
//! own sockets or buffers (`loopio-net`), or time the close handshake.
//!
//! A frame on the wire (RFC 6455 §5.2):
//!
//! ```text
//! byte 0: FIN(1) RSV1(1) RSV2(1) RSV3(1) opcode(4)
//! byte 1: MASK(1) length7(7)     length7 0..=125 is the length; 126: a u16 follows; 127: a u64
//! [2 or 8 bytes]  extended length, big-endian (a u64 must have its top bit clear)
//! [4 bytes]       masking key, present iff MASK (client-to-server frames only)
//! payload         length bytes, XORed with key[i % 4] when masked
//! ```
//!
//! Decoding the RFC 6455 §5.7 examples, a masked "Hello" sent to a server and an unmasked one
//! sent to a client:
//!
//! ```
//! use loopio_frame::{Decoder, Limits, Message, Role};
//!
//! let mut from_client = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
//! let mut server = Decoder::new(Role::Server, Limits::default());
//! let decoded = server.decode(&mut from_client)?;
//! assert_eq!(decoded.consumed, 11);
//! assert_eq!(decoded.message, Some(Message::Text("Hello")));
//!
//! // Bytes may arrive split anywhere; the decoder keeps what it needs.
//! let mut from_server = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
//! let mut client = Decoder::new(Role::Client, Limits::default());
//! let (head, tail) = from_server.split_at_mut(3);
//! assert_eq!(client.decode(head)?.message, None);
//! assert_eq!(client.decode(tail)?.message, Some(Message::Text("Hello")));
//! # Ok::<(), loopio_frame::Error>(())
//! ```
//!
//! Encoding is [`encode_frame`], [`encode_close`] or, for vectored writes, [`encode_header`].
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod close;
mod decode;
mod encode;
mod error;
mod header;
mod mask;
mod utf8;

pub use close::{CloseCode, CloseFrame};
pub use decode::{Decoded, Decoder, Message, SpareBuffer};
pub use encode::{encode_close, encode_frame, encode_header};
pub use error::Error;
pub use header::{FrameHeader, HeaderStatus, OpCode, MAX_HEADER_LEN};
pub use mask::apply_mask;
pub use utf8::Utf8Validator;

/// Which end of the connection this codec serves; decides the masking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Expects masked frames, sends unmasked ones.
    Server,
    /// Expects unmasked frames, sends masked ones.
    Client,
}

/// Size limits the decoder enforces; both are checked against the header's length field, so
/// an oversized frame fails with 1009 before any of its payload is buffered.
///
/// ```
/// use loopio_frame::Limits;
///
/// let small = Limits { max_frame_size: 64 << 10, ..Limits::default() };
/// assert_eq!(small.max_message_size, 16 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single frame payload accepted, in bytes. Default 16 MiB. Risk if raised: a peer
    /// can make the decoder buffer this much per connection for a message that spans reads.
    pub max_frame_size: u64,
    /// Largest assembled message accepted, in bytes. Default 16 MiB. Risk if raised: memory
    /// per connection grows to this while a fragmented message assembles.
    pub max_message_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: 16 << 20,
            max_message_size: 16 << 20,
        }
    }
}

/// Runs the README example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
