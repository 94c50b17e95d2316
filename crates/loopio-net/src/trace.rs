//! `LOOPIO_TRACE=1`: every frame in and out, annotated, and every handshake head, on stderr.
//!
//! ```text
//! #3.0 <- FIN rsv=000 op=TEXT mask=37fa213d len=5 | 48 65 6c 6c 6f "Hello"
//! #3.0 -> FIN rsv=000 op=TEXT unmasked len=5 | 48 65 6c 6c 6f "Hello"
//! ```

use loopio_frame::OpCode;

use crate::ConnId;

const PREVIEW: usize = 16;

/// Whether `LOOPIO_TRACE=1` is set (read once when the loop is created).
pub(crate) fn enabled_by_env() -> bool {
    std::env::var_os("LOOPIO_TRACE").is_some_and(|v| v == "1")
}

/// Prints an HTTP head as text.
pub(crate) fn head(conn: ConnId, arrow: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for line in text.trim_end().lines() {
        eprintln!("{conn} {arrow} {line}");
    }
}

/// Prints one outgoing frame.
pub(crate) fn frame_out(
    conn: ConnId,
    opcode: OpCode,
    fin: bool,
    payload: &[u8],
    mask: Option<[u8; 4]>,
) {
    let op = opcode_name(opcode_bits(opcode));
    eprintln!(
        "{conn} -> {} {}",
        describe(fin, 0, op, mask, payload.len() as u64),
        preview(payload)
    );
}

/// Annotates raw incoming frames; keeps a partial header across reads.
#[derive(Debug, Default)]
pub(crate) struct FrameTracer {
    header: Vec<u8>,
    /// Payload bytes of the current frame still to skip.
    remaining: u64,
}

impl FrameTracer {
    /// Prints every frame header that completes within `data` (still masked).
    pub(crate) fn feed(&mut self, conn: ConnId, mut data: &[u8]) {
        while !data.is_empty() {
            if self.remaining > 0 {
                let skip = self.remaining.min(data.len() as u64) as usize;
                self.remaining -= skip as u64;
                data = &data[skip..];
                continue;
            }
            self.header.push(data[0]);
            data = &data[1..];
            if let Some((len, mask)) = parse_header(&self.header) {
                let first = self.header[0];
                let available = &data[..data.len().min(len.min(PREVIEW as u64) as usize)];
                let mut shown = available.to_vec();
                if let Some(key) = mask {
                    shown
                        .iter_mut()
                        .zip(key.iter().cycle())
                        .for_each(|(b, k)| *b ^= k);
                }
                let line = describe(
                    first & 0x80 != 0,
                    (first >> 4) & 0x7,
                    opcode_name(first & 0x0f),
                    mask,
                    len,
                );
                eprintln!("{conn} <- {line} {}", preview(&shown));
                self.header.clear();
                self.remaining = len;
            }
        }
    }
}

/// `Some((payload length, mask))` once `header` holds a complete frame header.
fn parse_header(header: &[u8]) -> Option<(u64, Option<[u8; 4]>)> {
    let second = *header.get(1)?;
    let (len, at) = match second & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes([*header.get(2)?, *header.get(3)?])),
            4,
        ),
        127 => {
            let bytes: [u8; 8] = header.get(2..10)?.try_into().ok()?;
            (u64::from_be_bytes(bytes), 10)
        }
        short => (u64::from(short), 2),
    };
    if second & 0x80 == 0 {
        return (header.len() == at).then_some((len, None));
    }
    let key: [u8; 4] = header.get(at..at + 4)?.try_into().ok()?;
    (header.len() == at + 4).then_some((len, Some(key)))
}

fn describe(fin: bool, rsv: u8, op: &str, mask: Option<[u8; 4]>, len: u64) -> String {
    let fin = if fin { "FIN" } else { "---" };
    let mask = match mask {
        Some(k) => format!("mask={:02x}{:02x}{:02x}{:02x}", k[0], k[1], k[2], k[3]),
        None => "unmasked".to_owned(),
    };
    format!("{fin} rsv={rsv:03b} op={op} {mask} len={len}")
}

fn preview(payload: &[u8]) -> String {
    let shown = &payload[..payload.len().min(PREVIEW)];
    let hex: Vec<String> = shown.iter().map(|b| format!("{b:02x}")).collect();
    let text: String = shown
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("| {} {text:?}", hex.join(" "))
}

fn opcode_bits(opcode: OpCode) -> u8 {
    match opcode {
        OpCode::Continuation => 0x0,
        OpCode::Text => 0x1,
        OpCode::Binary => 0x2,
        OpCode::Close => 0x8,
        OpCode::Ping => 0x9,
        OpCode::Pong => 0xa,
        _ => 0xf,
    }
}

fn opcode_name(bits: u8) -> &'static str {
    match bits {
        0x0 => "CONT",
        0x1 => "TEXT",
        0x2 => "BINARY",
        0x8 => "CLOSE",
        0x9 => "PING",
        0xa => "PONG",
        _ => "RESERVED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parses_at_every_split() {
        // FIN TEXT, masked, 126 → 16-bit length 0x0100, key 01 02 03 04.
        let header = [0x81, 0xfe, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04];
        for cut in 1..header.len() {
            assert_eq!(parse_header(&header[..cut]), None, "cut {cut}");
        }
        assert_eq!(parse_header(&header), Some((256, Some([1, 2, 3, 4]))));
        assert_eq!(parse_header(&[0x82, 0x05]), Some((5, None)));
    }
}
