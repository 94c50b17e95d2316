//! Engine.IO v4 packets and long-polling payloads.
//!
//! ```text
//! packet   = type-digit [data]            ; "4hello", "2probe", "6"
//! type     = "0" open | "1" close | "2" ping | "3" pong | "4" message | "5" upgrade | "6" noop
//! binary   = "b" base64(bytes)            ; a binary message inside a polling payload
//! payload  = packet *( %x1E packet )      ; polling bodies, joined by the record separator
//! ```
//!
//! Over WebSocket each packet is one frame: text packets are text frames as above, binary
//! messages are binary frames holding the raw bytes (no type prefix).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// The record separator joining packets in a polling payload (`\x1e`).
pub const SEPARATOR: u8 = 0x1e;

/// The type of an Engine.IO packet; the discriminant is its ASCII digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketType {
    /// `0`: the server's handshake (JSON with `sid`, `upgrades`, ...).
    Open = 0x30,
    /// `1`: the session ends.
    Close = 0x31,
    /// `2`: heartbeat request (server to client in v4), or `2probe` during an upgrade.
    Ping = 0x32,
    /// `3`: heartbeat answer, or `3probe` during an upgrade.
    Pong = 0x33,
    /// `4`: application data.
    Message = 0x34,
    /// `5`: the client switches to the probed WebSocket.
    Upgrade = 0x35,
    /// `6`: nothing; used to release a held long-polling request.
    Noop = 0x36,
}

impl PacketType {
    /// The type for an ASCII digit `0`..=`6`.
    ///
    /// ```
    /// use loopio_engine::PacketType;
    /// assert_eq!(PacketType::from_digit(b'4'), Some(PacketType::Message));
    /// assert_eq!(PacketType::from_digit(b'7'), None);
    /// ```
    pub fn from_digit(digit: u8) -> Option<PacketType> {
        Some(match digit {
            0x30 => PacketType::Open,
            0x31 => PacketType::Close,
            0x32 => PacketType::Ping,
            0x33 => PacketType::Pong,
            0x34 => PacketType::Message,
            0x35 => PacketType::Upgrade,
            0x36 => PacketType::Noop,
            _ => return None,
        })
    }

    /// The ASCII digit written on the wire.
    pub fn digit(self) -> u8 {
        self as u8
    }

    /// The name the official implementation uses (`"open"`, `"message"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Open => "open",
            PacketType::Close => "close",
            PacketType::Ping => "ping",
            PacketType::Pong => "pong",
            PacketType::Message => "message",
            PacketType::Upgrade => "upgrade",
            PacketType::Noop => "noop",
        }
    }
}

/// Packet data: text, or bytes (binary messages only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data<'a> {
    /// UTF-8 text (possibly empty).
    Text(&'a str),
    /// Raw bytes of a binary message.
    Binary(&'a [u8]),
}

impl Data<'_> {
    /// Length of the data in bytes (decoded, before any base64).
    pub fn len(&self) -> usize {
        match self {
            Data::Text(text) => text.len(),
            Data::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the data is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this is binary data.
    pub fn is_binary(&self) -> bool {
        matches!(self, Data::Binary(_))
    }
}

/// One decoded packet, borrowing its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// What the packet is.
    pub kind: PacketType,
    /// Its data; `Data::Text("")` when the packet has none.
    pub data: Data<'a>,
}

/// How an encoded packet goes over a WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsKind {
    /// A text frame.
    Text,
    /// A binary frame.
    Binary,
}

/// Why a packet could not be decoded. The session closes with
/// [`CloseReason::ParseError`](crate::CloseReason::ParseError).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketError {
    /// A packet with no bytes at all (`""`, e.g. a trailing separator).
    Empty,
    /// The first byte is not `0`..=`6` or `b`.
    UnknownType(u8),
    /// A `b` packet whose data is not valid base64.
    InvalidBase64,
    /// A text packet that is not valid UTF-8.
    InvalidUtf8,
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketError::Empty => f.write_str("empty packet"),
            PacketError::UnknownType(byte) => write!(f, "unknown packet type 0x{byte:02x}"),
            PacketError::InvalidBase64 => f.write_str("invalid base64 in binary packet"),
            PacketError::InvalidUtf8 => f.write_str("packet is not valid UTF-8"),
        }
    }
}

impl std::error::Error for PacketError {}

impl<'a> Packet<'a> {
    /// A message packet.
    pub fn message(data: Data<'a>) -> Packet<'a> {
        Packet {
            kind: PacketType::Message,
            data,
        }
    }

    /// A packet of `kind` carrying `text`.
    pub fn text(kind: PacketType, text: &'a str) -> Packet<'a> {
        Packet {
            kind,
            data: Data::Text(text),
        }
    }

    /// Decodes one text-encoded packet (a polling record or a WebSocket text frame). A `b`
    /// packet is base64-decoded into `scratch`, which the returned packet then borrows.
    ///
    /// ```
    /// use loopio_engine::{Data, Packet, PacketType};
    /// let mut scratch = Vec::new();
    /// let packet = Packet::decode(b"4hello", &mut scratch).unwrap();
    /// assert_eq!(packet, Packet::text(PacketType::Message, "hello"));
    /// let packet = Packet::decode(b"bAQI=", &mut scratch).unwrap();
    /// assert_eq!(packet.data, Data::Binary(&[1, 2]));
    /// ```
    pub fn decode(record: &'a [u8], scratch: &'a mut Vec<u8>) -> Result<Packet<'a>, PacketError> {
        let (&first, rest) = record.split_first().ok_or(PacketError::Empty)?;
        if first == b'b' {
            scratch.clear();
            STANDARD
                .decode_vec(rest, scratch)
                .map_err(|_| PacketError::InvalidBase64)?;
            return Ok(Packet::message(Data::Binary(scratch)));
        }
        let kind = PacketType::from_digit(first).ok_or(PacketError::UnknownType(first))?;
        let text = std::str::from_utf8(rest).map_err(|_| PacketError::InvalidUtf8)?;
        Ok(Packet::text(kind, text))
    }

    /// [`Packet::decode`] for text already known to be UTF-8 (a WebSocket text frame): the
    /// same result without checking the UTF-8 again.
    ///
    /// ```
    /// use loopio_engine::{Packet, PacketType};
    /// let mut scratch = Vec::new();
    /// let packet = Packet::decode_str("4héllo", &mut scratch).unwrap();
    /// assert_eq!(packet, Packet::text(PacketType::Message, "héllo"));
    /// ```
    pub fn decode_str(text: &'a str, scratch: &'a mut Vec<u8>) -> Result<Packet<'a>, PacketError> {
        let first = *text.as_bytes().first().ok_or(PacketError::Empty)?;
        if first == b'b' {
            return Packet::decode(text.as_bytes(), scratch);
        }
        let kind = PacketType::from_digit(first).ok_or(PacketError::UnknownType(first))?;
        // The first byte is an ASCII digit, so the rest starts on a char boundary.
        Ok(Packet::text(kind, &text[1..]))
    }

    /// Bytes [`Packet::encode_polling`] appends.
    pub fn polling_len(&self) -> usize {
        match self.data {
            Data::Text(text) => 1 + text.len(),
            Data::Binary(bytes) => 1 + bytes.len().div_ceil(3) * 4,
        }
    }

    /// Appends the polling encoding: the type digit and text, or `b` and base64.
    ///
    /// ```
    /// use loopio_engine::{Data, Packet};
    /// let mut out = Vec::new();
    /// Packet::message(Data::Binary(&[1, 2, 3])).encode_polling(&mut out);
    /// assert_eq!(out, b"bAQID");
    /// ```
    pub fn encode_polling(&self, out: &mut Vec<u8>) {
        match self.data {
            Data::Text(text) => {
                out.push(self.kind.digit());
                out.extend_from_slice(text.as_bytes());
            }
            Data::Binary(bytes) => {
                out.push(b'b');
                let start = out.len();
                out.resize(start + bytes.len().div_ceil(3) * 4, 0);
                let written = STANDARD
                    .encode_slice(bytes, &mut out[start..])
                    .expect("the slice was sized with the padded base64 length");
                out.truncate(start + written);
            }
        }
    }

    /// Appends the WebSocket frame payload and says which frame type carries it.
    ///
    /// ```
    /// use loopio_engine::{Data, Packet, WsKind};
    /// let mut out = Vec::new();
    /// assert_eq!(Packet::message(Data::Binary(&[1])).encode_ws(&mut out), WsKind::Binary);
    /// assert_eq!(out, [1]);
    /// ```
    pub fn encode_ws(&self, out: &mut Vec<u8>) -> WsKind {
        match self.data {
            Data::Text(text) => {
                out.push(self.kind.digit());
                out.extend_from_slice(text.as_bytes());
                WsKind::Text
            }
            Data::Binary(bytes) => {
                out.extend_from_slice(bytes);
                WsKind::Binary
            }
        }
    }
}

/// Shows a packet for traces: `message "hello"`, `message <3 bytes>`, `ping "probe"`.
impl fmt::Display for Packet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        match self.data {
            Data::Text("") => Ok(()),
            Data::Text(text) if text.len() <= 120 => write!(f, " {text:?}"),
            Data::Text(text) => {
                let mut end = 120;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                write!(f, " {:?}... ({} bytes)", &text[..end], text.len())
            }
            Data::Binary(bytes) => write!(f, " <{} bytes>", bytes.len()),
        }
    }
}

/// Splits a complete polling payload into its records (without decoding them).
///
/// ```
/// let records: Vec<&[u8]> = loopio_engine::records(b"4a\x1e4b").collect();
/// assert_eq!(records, [&b"4a"[..], &b"4b"[..]]);
/// ```
pub fn records(payload: &[u8]) -> impl Iterator<Item = &[u8]> {
    payload.split(|&byte| byte == SEPARATOR)
}

/// Why a payload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload is longer than the limit (`maxPayload`).
    TooLarge,
    /// One of its packets is malformed.
    Packet(PacketError),
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::TooLarge => f.write_str("payload larger than maxPayload"),
            PayloadError::Packet(error) => write!(f, "malformed packet: {error}"),
        }
    }
}

impl std::error::Error for PayloadError {}

impl From<PacketError> for PayloadError {
    fn from(error: PacketError) -> Self {
        PayloadError::Packet(error)
    }
}

/// Incremental polling-payload decoder: feed body bytes as they arrive, get each packet as
/// soon as its separator is seen. Holds at most one partial record; refuses payloads over
/// `max_payload` bytes in total.
///
/// ```
/// use loopio_engine::{PayloadDecoder, PacketType};
/// let mut decoder = PayloadDecoder::new(1_000_000);
/// let mut kinds = Vec::new();
/// decoder.feed(b"4hel", |p| kinds.push(p.kind)).unwrap();
/// decoder.feed(b"lo\x1e2", |p| kinds.push(p.kind)).unwrap();
/// decoder.finish(|p| kinds.push(p.kind)).unwrap();
/// assert_eq!(kinds, [PacketType::Message, PacketType::Ping]);
/// ```
#[derive(Debug, Default)]
pub struct PayloadDecoder {
    partial: Vec<u8>,
    scratch: Vec<u8>,
    seen: usize,
    max_payload: usize,
}

impl PayloadDecoder {
    /// A decoder refusing payloads longer than `max_payload` bytes.
    pub fn new(max_payload: usize) -> PayloadDecoder {
        PayloadDecoder {
            max_payload,
            ..PayloadDecoder::default()
        }
    }

    /// Consumes `input`, calling `on_packet` for each record completed by a separator.
    pub fn feed(
        &mut self,
        input: &[u8],
        mut on_packet: impl FnMut(Packet<'_>),
    ) -> Result<(), PayloadError> {
        self.seen = self.seen.saturating_add(input.len());
        if self.seen > self.max_payload {
            return Err(PayloadError::TooLarge);
        }
        let mut rest = input;
        while let Some(at) = rest.iter().position(|&byte| byte == SEPARATOR) {
            let record = if self.partial.is_empty() {
                &rest[..at]
            } else {
                self.partial.extend_from_slice(&rest[..at]);
                &self.partial[..]
            };
            on_packet(Packet::decode(record, &mut self.scratch)?);
            self.partial.clear();
            rest = &rest[at + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    /// Ends the payload: decodes the last record and resets the decoder.
    pub fn finish(&mut self, on_packet: impl FnOnce(Packet<'_>)) -> Result<(), PayloadError> {
        let result = Packet::decode(&self.partial, &mut self.scratch).map(on_packet);
        self.partial.clear();
        self.seen = 0;
        Ok(result?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decoded packet copied out: text as `Ok`, bytes as `Err`.
    type Owned = (PacketType, Result<String, Vec<u8>>);

    fn owned(packet: Packet<'_>) -> Owned {
        let data = match packet.data {
            Data::Text(text) => Ok(text.to_owned()),
            Data::Binary(bytes) => Err(bytes.to_vec()),
        };
        (packet.kind, data)
    }

    #[test]
    fn every_type_decodes() {
        let mut scratch = Vec::new();
        for digit in b'0'..=b'6' {
            let record = [digit, b'x'];
            let packet = Packet::decode(&record, &mut scratch).unwrap();
            assert_eq!(packet.kind.digit(), digit);
            assert_eq!(packet.data, Data::Text("x"));
        }
    }

    #[test]
    fn malformed_packets_are_errors() {
        let mut scratch = Vec::new();
        assert_eq!(Packet::decode(b"", &mut scratch), Err(PacketError::Empty));
        assert_eq!(
            Packet::decode(b"7", &mut scratch),
            Err(PacketError::UnknownType(b'7'))
        );
        assert_eq!(
            Packet::decode(b"b!!", &mut scratch),
            Err(PacketError::InvalidBase64)
        );
        assert_eq!(
            Packet::decode(b"4\xff", &mut scratch),
            Err(PacketError::InvalidUtf8)
        );
    }

    #[test]
    fn binary_round_trips_through_polling_encoding() {
        for len in 0..=10usize {
            let bytes: Vec<u8> = (0..len as u8).collect();
            let packet = Packet::message(Data::Binary(&bytes));
            let mut out = Vec::new();
            packet.encode_polling(&mut out);
            assert_eq!(out.len(), packet.polling_len());
            let mut scratch = Vec::new();
            assert_eq!(Packet::decode(&out, &mut scratch).unwrap(), packet);
        }
    }

    #[test]
    fn display_is_readable() {
        assert_eq!(
            Packet::text(PacketType::Ping, "probe").to_string(),
            "ping \"probe\""
        );
        assert_eq!(
            Packet::message(Data::Binary(&[1, 2])).to_string(),
            "message <2 bytes>"
        );
        assert_eq!(Packet::text(PacketType::Noop, "").to_string(), "noop");
    }

    /// A payload as a browser client sends it: text, binary, ping answer.
    const FIXTURE: &[u8] = b"4hello\x1ebAQID\x1e3\x1e4\xc3\xa9t\xc3\xa9";

    fn decode_in_chunks(chunks: &[&[u8]]) -> Result<Vec<Owned>, PayloadError> {
        let mut decoder = PayloadDecoder::new(1_000);
        let mut packets = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, |p| packets.push(owned(p)))?;
        }
        decoder.finish(|p| packets.push(owned(p)))?;
        Ok(packets)
    }

    #[test]
    fn payload_whole_byte_by_byte_and_at_every_split() {
        let whole = decode_in_chunks(&[FIXTURE]).unwrap();
        assert_eq!(
            whole,
            [
                (PacketType::Message, Ok("hello".to_owned())),
                (PacketType::Message, Err(vec![1, 2, 3])),
                (PacketType::Pong, Ok(String::new())),
                (PacketType::Message, Ok("été".to_owned())),
            ]
        );
        let bytes: Vec<&[u8]> = FIXTURE.chunks(1).collect();
        assert_eq!(decode_in_chunks(&bytes).unwrap(), whole);
        for split in 0..=FIXTURE.len() {
            let (a, b) = FIXTURE.split_at(split);
            assert_eq!(
                decode_in_chunks(&[a, b]).unwrap(),
                whole,
                "split at {split}"
            );
        }
        let by_records: Vec<_> = records(FIXTURE)
            .map(|record| owned(Packet::decode(record, &mut Vec::new()).unwrap()))
            .collect();
        assert_eq!(by_records, whole);
    }

    #[test]
    fn payload_limit_and_errors() {
        let mut decoder = PayloadDecoder::new(4);
        assert_eq!(decoder.feed(b"4abcd", |_| ()), Err(PayloadError::TooLarge));
        assert_eq!(
            decode_in_chunks(&[b"4a\x1e"]),
            Err(PayloadError::Packet(PacketError::Empty)),
            "a trailing separator leaves an empty record"
        );
        assert_eq!(
            decode_in_chunks(&[b"4a\x1e9"]),
            Err(PayloadError::Packet(PacketError::UnknownType(b'9')))
        );
    }
}
