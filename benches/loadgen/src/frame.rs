//! The client side of RFC 6455 framing: just what a load generator needs.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |                               |
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |  ... extended length (64) ... | Masking-key, if MASK set      |
//! +-------------------------------+-------------------------------+
//! ```
//!
//! The decoder accepts masked frames too: `tcp-echo` gets its own masked frames back verbatim.

/// Continuation frame.
pub const CONTINUATION: u8 = 0x0;
/// Text frame.
pub const TEXT: u8 = 0x1;
/// Binary frame.
pub const BINARY: u8 = 0x2;
/// Close frame.
pub const CLOSE: u8 = 0x8;
/// Ping frame.
pub const PING: u8 = 0x9;
/// Pong frame.
pub const PONG: u8 = 0xA;

/// Frames above this are refused: no scenario sends more than 64 KiB.
const MAX_PAYLOAD: u64 = 64 << 20;

/// A parsed frame header.
#[derive(Debug, Clone, Copy)]
pub struct Head {
    pub fin: bool,
    pub opcode: u8,
    pub header_len: usize,
    pub payload_len: usize,
    pub mask: Option<[u8; 4]>,
}

impl Head {
    /// Header plus payload.
    pub fn total_len(&self) -> usize {
        self.header_len + self.payload_len
    }
}

/// Parses one header; `Ok(None)` until the whole frame (header and payload) is in `buf`.
pub fn parse(buf: &[u8]) -> Result<Option<Head>, &'static str> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    if b0 & 0x70 != 0 {
        return Err("RSV bits set without an extension");
    }
    let mut at = 2;
    let mut len = u64::from(b1 & 0x7F);
    if len == 126 {
        let Some(bytes) = buf.get(2..4) else {
            return Ok(None);
        };
        len = u64::from(u16::from_be_bytes([bytes[0], bytes[1]]));
        at = 4;
    } else if len == 127 {
        let Some(bytes) = buf.get(2..10) else {
            return Ok(None);
        };
        len = u64::from_be_bytes(bytes.try_into().expect("slice of 8"));
        at = 10;
    }
    if len > MAX_PAYLOAD {
        return Err("frame larger than 64 MiB");
    }
    let mask = if b1 & 0x80 != 0 {
        let Some(key) = buf.get(at..at + 4) else {
            return Ok(None);
        };
        at += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    let head = Head {
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0F,
        header_len: at,
        payload_len: len as usize,
        mask,
    };
    Ok((buf.len() >= head.total_len()).then_some(head))
}

/// Appends a FIN frame header for a `len`-byte payload masked with `mask`; returns where the
/// payload will start. Append the payload, then call [`mask_from`].
pub fn begin(out: &mut Vec<u8>, opcode: u8, len: usize, mask: [u8; 4]) -> usize {
    out.push(0x80 | opcode);
    // RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length.
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= 0xFFFF {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    out.len()
}

/// Masks `out[start..]` in place (RFC 6455 §5.3: a client MUST mask every frame it sends).
pub fn mask_from(out: &mut [u8], start: usize, mask: [u8; 4]) {
    apply_mask(&mut out[start..], mask);
}

/// XORs `buf` with the repeating 4-byte key, eight bytes at a time.
pub fn apply_mask(buf: &mut [u8], mask: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3],
    ]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes((&*chunk).try_into().expect("chunk of 8")) ^ wide;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    // Every chunk was 8 bytes, so the remainder starts at key offset 0.
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= mask[i & 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_length_class() {
        for len in [0, 1, 7, 125, 126, 65535, 65536] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut out = Vec::new();
            let key = [1, 2, 3, 4];
            let start = begin(&mut out, BINARY, len, key);
            out.extend_from_slice(&payload);
            mask_from(&mut out, start, key);
            let head = parse(&out).unwrap().unwrap();
            assert_eq!(head.total_len(), out.len());
            let body = &mut out[head.header_len..];
            apply_mask(body, head.mask.unwrap());
            assert_eq!(body, &payload[..]);
            assert!(parse(&out[..out.len() - 1]).unwrap().is_none() || len == 0);
        }
    }

    #[test]
    fn mask_matches_plain_xor() {
        for len in 0..=64 {
            let mut fast: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let plain: Vec<u8> = fast
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ [9, 8, 7, 6][i % 4])
                .collect();
            apply_mask(&mut fast, [9, 8, 7, 6]);
            assert_eq!(fast, plain);
        }
    }
}
