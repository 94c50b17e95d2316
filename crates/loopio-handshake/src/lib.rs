//! Sans-I/O HTTP/1.1 heads for loopio: WebSocket upgrades (server and client), polling requests,
//! request bodies and responses.
//!
//! This crate owns the bytes of HTTP/1.1 heads: parsing request heads with `httparse`, the RFC 6455
//! upgrade checks, the `Sec-WebSocket-Accept` key, Content-Length and chunked request bodies, and
//! writing responses. It does not own sockets, timeouts, buffers or Engine.IO logic: the caller
//! feeds bytes in and writes the bytes out.
//!
//! # Example: answer a browser's upgrade request
//!
//! The opening handshake from RFC 6455 §1.3, as a client sends it:
//!
//! ```text
//! GET /chat HTTP/1.1
//! Host: server.example.com
//! Upgrade: websocket
//! Connection: Upgrade
//! Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
//! Origin: http://example.com
//! Sec-WebSocket-Protocol: chat, superchat
//! Sec-WebSocket-Version: 13
//! ```
//!
//! and the `101` it gets back:
//!
//! ```text
//! HTTP/1.1 101 Switching Protocols
//! Upgrade: websocket
//! Connection: Upgrade
//! Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
//! Sec-WebSocket-Protocol: chat
//! ```
//!
//! ```
//! use loopio_handshake::{check_upgrade, parse_request, write_switching_protocols, Limits, Parsed};
//!
//! let bytes = b"GET /chat HTTP/1.1\r\n\
//!     Host: server.example.com\r\n\
//!     Upgrade: websocket\r\n\
//!     Connection: Upgrade\r\n\
//!     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Origin: http://example.com\r\n\
//!     Sec-WebSocket-Protocol: chat, superchat\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n";
//!
//! let Parsed::Complete { value: request, head_len } = parse_request(bytes, &Limits::default())?
//! else {
//!     unreachable!("the head is complete");
//! };
//! assert_eq!(head_len, bytes.len()); // bytes after the head would be WebSocket frames
//!
//! let offer = check_upgrade(&request)?;
//! assert_eq!(offer.protocols, ["chat", "superchat"]);
//!
//! let mut out = Vec::new();
//! write_switching_protocols(&mut out, &offer.key, Some("chat"), &[]);
//! assert_eq!(
//!     out,
//!     b"HTTP/1.1 101 Switching Protocols\r\n\
//!       Upgrade: websocket\r\n\
//!       Connection: Upgrade\r\n\
//!       Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
//!       Sec-WebSocket-Protocol: chat\r\n\r\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Hostile input
//!
//! Every limit is explicit ([`Limits`], the `max` of [`BodyDecoder::new`]) and every refusal is a
//! typed error that names its HTTP status: [`RequestError::status`], [`BodyError::status`],
//! [`UpgradeError::status`]. Nothing here panics on peer input.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]

mod body;
mod client;
mod request;
mod response;
mod tokens;
mod upgrade;

pub use body::{BodyDecoder, BodyError, BodyFraming};
pub use client::{
    client_key, parse_server_response, parse_server_response_with_protocols, write_client_request,
    ClientError, ServerAccept,
};
pub use request::{find_head_end, parse_request, Request, RequestError, Syntax};
pub use response::{reason_phrase, write_response};
pub use upgrade::{
    accept_key, check_upgrade, is_upgrade_request, write_switching_protocols, write_upgrade_error,
    UpgradeError, WsOffer,
};

/// Header-block limits.
///
/// A peer that exceeds one gets `431 Request Header Fields Too Large`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest head (start line, headers and the blank line), in bytes. Default 8 KiB, the
    /// common browser and proxy ceiling. Risk if raised: each connection may buffer this much
    /// before it is refused.
    pub max_head_bytes: usize,
    /// Most header lines accepted. Default 64. Up to 128 are parsed into a stack array; a larger
    /// limit costs one allocation per parse.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 8 << 10,
            max_headers: 64,
        }
    }
}

/// Result of parsing a head that may not have fully arrived yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The head is complete: `value` was parsed from the first `head_len` bytes.
    Complete {
        /// The parsed head.
        value: T,
        /// Bytes of the head, including the final CRLF CRLF; anything after is body or frames.
        head_len: usize,
    },
    /// More bytes are needed.
    Partial,
}

/// One header, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Name as sent (compare case-insensitively).
    pub name: String,
    /// Raw value bytes, without surrounding whitespace.
    pub value: Vec<u8>,
}
