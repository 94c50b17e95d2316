//! Opcodes and the frame header: parse and emit (RFC 6455 §5.2).

use crate::Error;

/// The longest header: 2 fixed bytes, an 8-byte extended length and a 4-byte masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// Frame opcodes (RFC 6455 §5.2).
///
/// ```
/// use loopio_frame::OpCode;
///
/// assert_eq!(OpCode::from_u8(0x9), Some(OpCode::Ping));
/// assert_eq!(OpCode::from_u8(0x3), None); // reserved
/// assert!(OpCode::Close.is_control());
/// assert_eq!(OpCode::Binary.as_u8(), 0x2);
/// ```
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

impl OpCode {
    /// The opcode for the low four bits `bits`, or `None` when it is reserved.
    pub fn from_u8(bits: u8) -> Option<OpCode> {
        match bits {
            0x0 => Some(OpCode::Continuation),
            0x1 => Some(OpCode::Text),
            0x2 => Some(OpCode::Binary),
            0x8 => Some(OpCode::Close),
            0x9 => Some(OpCode::Ping),
            0xA => Some(OpCode::Pong),
            _ => None,
        }
    }

    /// The four-bit wire value.
    pub fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Whether this is a control opcode (Close, Ping, Pong): "opcodes where the most significant
    /// bit of the opcode is 1" (RFC 6455 §5.5).
    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }
}

/// A frame header, validated once by [`FrameHeader::parse`]; [`FrameHeader::emit`] writes exactly
/// [`FrameHeader::encoded_len`] bytes.
///
/// ```text
///  byte 0            byte 1            bytes 2..            then
/// +-+-+-+-+-------+ +-+-------------+ +-------------------+ +-----------------+ +---------+
/// |F|R|R|R| opcode| |M| length7     | | length16/length64 | | masking key     | | payload |
/// |I|S|S|S|  (4)  | |A|  0..=125    | | if length7 is     | | (4 bytes, only  | |  ...    |
/// |N|V|V|V|       | |S|  126 -> 16  | | 126 or 127,       | |  if MAS is set) | |         |
/// | |1|2|3|       | |K|  127 -> 64  | | big-endian        | |                 | |         |
/// +-+-+-+-+-------+ +-+-------------+ +-------------------+ +-----------------+ +---------+
/// ```
///
/// ```
/// use loopio_frame::{FrameHeader, HeaderStatus, OpCode};
///
/// // RFC 6455 §5.7: a 256-byte unmasked binary frame uses the 16-bit length.
/// let HeaderStatus::Complete(header, 4) = FrameHeader::parse(&[0x82, 0x7E, 0x01, 0x00])? else {
///     panic!("four bytes is a whole header here");
/// };
/// assert_eq!((header.opcode, header.fin, header.payload_len), (OpCode::Binary, true, 256));
/// assert_eq!(header.encoded_len(), 4);
///
/// let mut out = Vec::new();
/// header.emit(&mut out);
/// assert_eq!(out, [0x82, 0x7E, 0x01, 0x00]);
/// assert_eq!(FrameHeader::parse(&out[..3])?, HeaderStatus::Partial);
/// # Ok::<(), loopio_frame::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this is the final fragment of its message.
    pub fin: bool,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes (below 2^63).
    pub payload_len: u64,
}

/// What [`FrameHeader::parse`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderStatus {
    /// A whole, valid header and the number of input bytes it spans (which exceeds
    /// [`FrameHeader::encoded_len`] when the peer used a longer length encoding than needed).
    Complete(FrameHeader, usize),
    /// The bytes so far are a valid prefix; more are needed.
    Partial,
}

impl FrameHeader {
    /// Parses the header at the start of `bytes`, failing as soon as the bytes seen are invalid.
    ///
    /// Checks every rule a header alone can break: RSV bits, reserved opcodes, control frames
    /// fragmented or over 125 bytes, and the 64-bit length's high bit. Masking depends on the
    /// role, so the [`Decoder`](crate::Decoder) checks it.
    pub fn parse(bytes: &[u8]) -> Result<HeaderStatus, Error> {
        let Some(&first) = bytes.first() else {
            return Ok(HeaderStatus::Partial);
        };
        // RFC 6455 §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that defines
        // meanings for non-zero values"; loopio negotiates none.
        if first & 0x70 != 0 {
            return Err(Error::ReservedBits);
        }
        // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the
        // WebSocket Connection_."
        let opcode = OpCode::from_u8(first & 0x0F).ok_or(Error::ReservedOpCode(first & 0x0F))?;
        let fin = first & 0x80 != 0;
        // §5.5: "Control frames themselves MUST NOT be fragmented."
        if opcode.is_control() && !fin {
            return Err(Error::FragmentedControl);
        }
        let Some(&second) = bytes.get(1) else {
            return Ok(HeaderStatus::Partial);
        };
        let (payload_len, mut at) = match second & 0x7F {
            126 => match bytes.get(2..4) {
                Some(be) => (u64::from(u16::from_be_bytes([be[0], be[1]])), 4),
                None => return Ok(HeaderStatus::Partial),
            },
            127 => match bytes.get(2..10) {
                Some(be) => (u64::from_be_bytes(array(be)), 10),
                None => return Ok(HeaderStatus::Partial),
            },
            short => (u64::from(short), 2),
        };
        // §5.2: a 64-bit length is an unsigned integer "(the most significant bit MUST be 0)".
        //
        // §5.2 also says "the minimal number of bytes MUST be used to encode the length", but a
        // non-minimal length is unambiguous, costs nothing to accept, and no known peer sends
        // one; rejecting it would only add a branch, so it is accepted.
        if payload_len >> 63 != 0 {
            return Err(Error::LengthOverflow);
        }
        // §5.5: "All control frames MUST have a payload length of 125 bytes or less."
        if opcode.is_control() && payload_len > 125 {
            return Err(Error::ControlTooLong(payload_len));
        }
        let mask = if second & 0x80 != 0 {
            let Some(key) = bytes.get(at..at + 4) else {
                return Ok(HeaderStatus::Partial);
            };
            at += 4;
            Some([key[0], key[1], key[2], key[3]])
        } else {
            None
        };
        let header = FrameHeader {
            fin,
            opcode,
            mask,
            payload_len,
        };
        Ok(HeaderStatus::Complete(header, at))
    }

    /// The number of bytes [`FrameHeader::emit`] writes (2 to 14).
    pub fn encoded_len(&self) -> usize {
        encoded_len(self.payload_len, self.mask.is_some())
    }

    /// Appends this header to `out`, using the shortest length encoding.
    pub fn emit(&self, out: &mut Vec<u8>) {
        debug_assert!(
            self.payload_len >> 63 == 0,
            "payload lengths are below 2^63 (§5.2)"
        );
        let mut bytes = [0; MAX_HEADER_LEN];
        bytes[0] = u8::from(self.fin) << 7 | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut at = match self.payload_len {
            short @ 0..=125 => {
                bytes[1] = mask_bit | short as u8;
                2
            }
            medium @ 126..=0xFFFF => {
                bytes[1] = mask_bit | 126;
                bytes[2..4].copy_from_slice(&(medium as u16).to_be_bytes());
                4
            }
            long => {
                bytes[1] = mask_bit | 127;
                bytes[2..10].copy_from_slice(&long.to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            bytes[at..at + 4].copy_from_slice(&key);
            at += 4;
        }
        out.extend_from_slice(&bytes[..at]);
    }
}

fn encoded_len(payload_len: u64, masked: bool) -> usize {
    let length_bytes = match payload_len {
        0..=125 => 0,
        126..=0xFFFF => 2,
        _ => 8,
    };
    2 + length_bytes + if masked { 4 } else { 0 }
}

fn array(be: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    out.copy_from_slice(be);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(bytes: &[u8]) -> FrameHeader {
        match FrameHeader::parse(bytes) {
            Ok(HeaderStatus::Complete(header, len)) => {
                assert_eq!(len, bytes.len());
                header
            }
            other => panic!("expected a complete header, got {other:?}"),
        }
    }

    #[test]
    fn every_opcode_round_trips_and_reserved_ones_fail() {
        for bits in 0..=0xFu8 {
            match OpCode::from_u8(bits) {
                Some(op) => assert_eq!(op.as_u8(), bits),
                None => assert_eq!(
                    FrameHeader::parse(&[0x80 | bits]),
                    Err(Error::ReservedOpCode(bits))
                ),
            }
        }
    }

    #[test]
    fn rsv_bits_fail() {
        for rsv in [0x40, 0x20, 0x10, 0x70] {
            assert_eq!(FrameHeader::parse(&[0x81 | rsv]), Err(Error::ReservedBits));
        }
    }

    #[test]
    fn control_rules() {
        assert_eq!(FrameHeader::parse(&[0x09]), Err(Error::FragmentedControl));
        assert_eq!(
            FrameHeader::parse(&[0x89, 0x7E, 0x00, 0x7E]),
            Err(Error::ControlTooLong(126))
        );
        assert_eq!(complete(&[0x89, 0x7D]).payload_len, 125);
    }

    #[test]
    fn length_classes_and_high_bit() {
        assert_eq!(complete(&[0x82, 0x7E, 0xFF, 0xFF]).payload_len, 0xFFFF);
        let long = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
        assert_eq!(complete(&long).payload_len, 0x1_0000);
        // Non-minimal encodings are accepted (see the comment in `parse`).
        assert_eq!(complete(&[0x82, 0x7E, 0x00, 0x05]).payload_len, 5);
        assert_eq!(
            complete(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x05]).payload_len,
            5
        );
        let high = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(FrameHeader::parse(&high), Err(Error::LengthOverflow));
        let max = [0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(complete(&max).payload_len, u64::MAX >> 1);
    }

    #[test]
    fn every_prefix_is_partial_and_emit_matches_parse() {
        for len in [0, 125, 126, 0xFFFF, 0x1_0000, u64::MAX >> 1] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let header = FrameHeader {
                    fin: len % 2 == 0,
                    opcode: OpCode::Binary,
                    mask,
                    payload_len: len,
                };
                let mut out = Vec::new();
                header.emit(&mut out);
                assert_eq!(out.len(), header.encoded_len());
                for cut in 0..out.len() {
                    assert_eq!(FrameHeader::parse(&out[..cut]), Ok(HeaderStatus::Partial));
                }
                assert_eq!(complete(&out), header);
            }
        }
    }
}
