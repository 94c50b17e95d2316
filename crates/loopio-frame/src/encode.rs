//! Frame emission: headers, whole frames and close frames.

use crate::{apply_mask, CloseCode, FrameHeader, OpCode};

/// The largest control frame payload (RFC 6455 §5.5).
const MAX_CONTROL_PAYLOAD: usize = 125;

/// Appends a frame header for a payload of `len` bytes, for callers that write the payload
/// themselves (vectored writes); a masked payload must be masked with the same key.
///
/// ```
/// use loopio_frame::{encode_header, OpCode};
///
/// let mut out = Vec::new();
/// encode_header(&mut out, OpCode::Binary, true, 65_536, None);
/// assert_eq!(out, [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
/// ```
pub fn encode_header(
    out: &mut Vec<u8>,
    opcode: OpCode,
    fin: bool,
    len: u64,
    mask: Option<[u8; 4]>,
) {
    FrameHeader {
        fin,
        opcode,
        mask,
        payload_len: len,
    }
    .emit(out);
}

/// Appends one frame (header, then payload masked with `mask` if given) to `out`.
///
/// A server passes `None`; a client passes a fresh key from a strong source for every frame
/// (RFC 6455 §5.3: "The masking key MUST be derived from a strong source of entropy"). The
/// payload is copied once, then masked in place. Control frames must carry ≤ 125 bytes and FIN;
/// this is the caller's duty and is only checked in debug builds.
///
/// ```
/// use loopio_frame::{encode_frame, OpCode};
///
/// // RFC 6455 §5.7, both examples of a single-frame "Hello".
/// let mut out = Vec::new();
/// encode_frame(&mut out, OpCode::Text, true, b"Hello", None);
/// assert_eq!(out, [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
///
/// out.clear();
/// encode_frame(&mut out, OpCode::Text, true, b"Hello", Some([0x37, 0xfa, 0x21, 0x3d]));
/// assert_eq!(out, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// ```
#[inline]
pub fn encode_frame(
    out: &mut Vec<u8>,
    opcode: OpCode,
    fin: bool,
    payload: &[u8],
    mask: Option<[u8; 4]>,
) {
    debug_assert!(
        !opcode.is_control() || (fin && payload.len() <= MAX_CONTROL_PAYLOAD),
        "control frames carry FIN and at most 125 bytes (RFC 6455 §5.5)"
    );
    if mask.is_none() && payload.len() <= 125 {
        // A server's small frame (most of them), inlined into the caller: two header bytes,
        // then the payload.
        out.reserve(2 + payload.len());
        out.extend_from_slice(&[u8::from(fin) << 7 | opcode.as_u8(), payload.len() as u8]);
        out.extend_from_slice(payload);
        return;
    }
    encode_long_or_masked(out, opcode, fin, payload, mask);
}

/// [`encode_frame`] for masked frames and payloads over 125 bytes.
fn encode_long_or_masked(
    out: &mut Vec<u8>,
    opcode: OpCode,
    fin: bool,
    payload: &[u8],
    mask: Option<[u8; 4]>,
) {
    let header = FrameHeader {
        fin,
        opcode,
        mask,
        payload_len: payload.len() as u64,
    };
    out.reserve(header.encoded_len() + payload.len());
    header.emit(out);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key, 0);
    }
}

/// Appends a close frame with `code` and `reason` (truncated to fit 125 bytes on a char boundary).
///
/// `code` should satisfy [`CloseCode::is_allowed_on_wire`]; to close without a code, send an
/// empty close frame with [`encode_frame`].
///
/// ```
/// use loopio_frame::{encode_close, CloseCode};
///
/// let mut out = Vec::new();
/// encode_close(&mut out, CloseCode::NORMAL, "bye", None);
/// assert_eq!(out, [0x88, 0x05, 0x03, 0xE8, b'b', b'y', b'e']);
///
/// // 62 two-byte characters (124 bytes) do not fit after the code: one is dropped whole.
/// out.clear();
/// encode_close(&mut out, CloseCode::GOING_AWAY, &"é".repeat(62), None);
/// assert_eq!(out[1], 2 + 122);
/// ```
pub fn encode_close(out: &mut Vec<u8>, code: CloseCode, reason: &str, mask: Option<[u8; 4]>) {
    let reason = truncate(reason, MAX_CONTROL_PAYLOAD - 2);
    let mut payload = [0; MAX_CONTROL_PAYLOAD];
    payload[..2].copy_from_slice(&code.0.to_be_bytes());
    payload[2..2 + reason.len()].copy_from_slice(reason.as_bytes());
    encode_frame(out, OpCode::Close, true, &payload[..2 + reason.len()], mask);
}

/// The longest prefix of `text` that fits `max` bytes and ends on a char boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_length_classes() {
        let cases: [(u64, &[u8]); 5] = [
            (0, &[0x82, 0x00]),
            (125, &[0x82, 0x7D]),
            (126, &[0x82, 0x7E, 0x00, 0x7E]),
            (0xFFFF, &[0x82, 0x7E, 0xFF, 0xFF]),
            (0x1_0000, &[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]),
        ];
        for (len, expected) in cases {
            let mut out = Vec::new();
            encode_header(&mut out, OpCode::Binary, true, len, None);
            assert_eq!(out, expected, "len {len}");
        }
    }

    #[test]
    fn small_unmasked_frames_match_header_then_payload() {
        for fin in [true, false] {
            for len in [0, 1, 125, 126] {
                let payload = vec![0x5A; len];
                let mut fast = Vec::new();
                encode_frame(&mut fast, OpCode::Text, fin, &payload, None);
                let mut expected = Vec::new();
                encode_header(&mut expected, OpCode::Text, fin, len as u64, None);
                expected.extend_from_slice(&payload);
                assert_eq!(fast, expected, "fin {fin} len {len}");
            }
        }
    }

    #[test]
    fn close_reason_is_cut_on_a_char_boundary() {
        for extra in 0..4 {
            let reason = format!("{}{}", "a".repeat(120 + extra), "\u{10FFFF}");
            let mut out = Vec::new();
            encode_close(&mut out, CloseCode::NORMAL, &reason, None);
            let payload = &out[2..];
            assert!(payload.len() <= 125);
            assert_eq!(usize::from(out[1]), payload.len());
            assert!(std::str::from_utf8(&payload[2..]).is_ok());
        }
    }
}
