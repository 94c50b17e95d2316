//! Sans-I/O RFC 6455 frame codec.
//!
//! CONTRACT STUB written by the coordinator: the public items below are what `loopio-net` codes
//! against. The implementer of this crate replaces every `todo!()`, may split this file into
//! modules and add items, but keeps these names and signatures (or updates `loopio-net` too).
#![deny(unsafe_code)]

/// Which end of the connection this codec serves; decides the masking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Expects masked frames, sends unmasked ones.
    Server,
    /// Expects unmasked frames, sends masked ones.
    Client,
}

/// Frame opcodes (RFC 6455 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpCode {
    /// 0x0
    Continuation,
    /// 0x1
    Text,
    /// 0x2
    Binary,
    /// 0x8
    Close,
    /// 0x9
    Ping,
    /// 0xA
    Pong,
}

/// A close status code (RFC 6455 §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005, never on the wire: "no status code was present".
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006, never on the wire: "closed without a close frame".
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1011
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
}

/// Size limits the decoder enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single frame payload accepted, in bytes. Default 16 MiB.
    pub max_frame_size: u64,
    /// Largest assembled message accepted, in bytes. Default 16 MiB.
    pub max_message_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_frame_size: 16 << 20, max_message_size: 16 << 20 }
    }
}

/// Why the decoder failed; each maps to the close code to send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Placeholder variant; the implementer defines the real ones.
    Protocol,
}

impl Error {
    /// The close code this failure must be answered with (1002, 1007 or 1009).
    pub fn close_code(&self) -> CloseCode {
        todo!()
    }
}

/// The payload of a close frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code.
    pub code: CloseCode,
    /// The UTF-8 reason, possibly empty.
    pub reason: &'a str,
}

/// A complete message or control frame, borrowed from the input or the decoder's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message, validated UTF-8.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
    /// A ping with its payload (≤ 125 bytes).
    Ping(&'a [u8]),
    /// A pong with its payload (≤ 125 bytes).
    Pong(&'a [u8]),
    /// A close frame; `None` when it carried no payload.
    Close(Option<CloseFrame<'a>>),
}

/// What one [`Decoder::decode`] call did.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// Bytes of the input consumed (always > 0 when the input was non-empty).
    pub consumed: usize,
    /// A complete message, if one finished within the consumed bytes.
    pub message: Option<Message<'a>>,
}

/// Incremental message decoder: feed bytes split anywhere, get messages out.
///
/// Usage contract: call `decode(&mut buf[pos..])`, advance `pos` by `consumed`, handle
/// `message`, repeat until `pos == buf.len()`. The decoder keeps partial headers and partial
/// payloads itself, so the caller never keeps leftover bytes. Input is unmasked in place.
#[derive(Debug)]
pub struct Decoder {
    _private: (),
}

impl Decoder {
    /// A decoder for `role` with `limits`. Allocates nothing until a message spans reads.
    pub fn new(role: Role, limits: Limits) -> Decoder {
        let _ = (role, limits);
        todo!()
    }

    /// Consumes a prefix of `input` (unmasking it in place) and returns at most one message.
    pub fn decode<'a>(&'a mut self, input: &'a mut [u8]) -> Result<Decoded<'a>, Error> {
        let _ = input;
        todo!()
    }
}

/// Appends one frame (header, then payload masked with `mask` if given) to `out`.
pub fn encode_frame(out: &mut Vec<u8>, opcode: OpCode, fin: bool, payload: &[u8], mask: Option<[u8; 4]>) {
    let _ = (out, opcode, fin, payload, mask);
    todo!()
}

/// Appends a close frame with `code` and `reason` (truncated to fit 125 bytes on a char boundary).
pub fn encode_close(out: &mut Vec<u8>, code: CloseCode, reason: &str, mask: Option<[u8; 4]>) {
    let _ = (out, code, reason, mask);
    todo!()
}

/// XORs `buf` with `key`, starting at key position `offset % 4`.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let _ = (buf, key, offset);
    todo!()
}
