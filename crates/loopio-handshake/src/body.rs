//! Request bodies delimited by `Content-Length` or by `chunked` (RFC 9112 §6, §7).

use std::fmt;

use crate::request::hex_value;

/// Most bytes in one chunk-size line (size, extensions, CRLF). Extensions are ignored, so a long
/// line only costs time; 4 KiB is far above any real client's.
const MAX_CHUNK_LINE: usize = 4 << 10;

/// Most bytes in the trailer section, which is read and dropped. Same default as the head.
const MAX_TRAILERS: usize = 8 << 10;

/// Hex digits in a chunk size: 16 fill a `u64`; more (even leading zeros) is refused.
const MAX_SIZE_DIGITS: u8 = 16;

/// How a message body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    None,
    /// Exactly this many bytes.
    ContentLength(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Incremental body reader for [`BodyFraming`], bounded by a maximum size.
///
/// Feed it any split of the bytes after the head; it appends the body to a caller buffer and
/// stops at the end of the body, so the bytes after it (a pipelined request) stay with the caller.
///
/// ```text
/// 5;ext=ignored\r\n      chunk-size [ chunk-ext ] CRLF
/// hello\r\n              chunk-data CRLF
/// 0\r\n                  last-chunk
/// Expires: never\r\n     trailer section, skipped
/// \r\n
/// ```
///
/// ```
/// use loopio_handshake::{BodyDecoder, BodyFraming};
///
/// let mut decoder = BodyDecoder::new(BodyFraming::Chunked, 1 << 20)?;
/// let mut body = Vec::new();
/// assert_eq!(decoder.decode(b"5;ext=ignored\r\nhel", &mut body)?, (18, false));
/// assert_eq!(decoder.decode(b"lo\r\n0\r\n\r\nGET /", &mut body)?, (9, true));
/// assert_eq!(body, b"hello");
/// # Ok::<(), loopio_handshake::BodyError>(())
/// ```
#[derive(Debug)]
pub struct BodyDecoder {
    state: State,
    /// Body bytes allowed, less those already announced by chunk sizes.
    budget: u64,
    /// Bytes of the current chunk-size line or of the trailer section so far.
    line: usize,
}

/// What the decoder awaits next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// `remaining` more bytes of a `Content-Length` body.
    LengthData { remaining: u64 },
    /// Hex digits of a chunk size (`digits` read so far).
    ChunkSize { size: u64, digits: u8 },
    /// Whitespace after the size, which must lead to `;`.
    ExtensionStart { size: u64 },
    /// Chunk extensions, ignored up to the CR.
    Extension { size: u64 },
    /// The LF ending the chunk-size line.
    ChunkSizeLf { size: u64 },
    /// `remaining` more bytes of chunk data.
    ChunkData { remaining: u64 },
    /// The CR after chunk data.
    ChunkDataCr,
    /// The LF after chunk data.
    ChunkDataLf,
    /// The start of a trailer line or of the final blank line.
    TrailerStart,
    /// The rest of a trailer line, up to its CR.
    Trailer,
    /// The LF ending a trailer line.
    TrailerLf,
    /// The LF of the final blank line.
    EndLf,
    /// The body is complete.
    Done,
}

/// Why a body was refused; [`BodyError::status`] gives the HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is larger than the decoder's `max` (413).
    TooLarge,
    /// A chunk size that is empty, not hex or longer than 16 digits (400).
    InvalidChunkSize,
    /// A malformed chunk-size line or a chunk not followed by CRLF (400).
    InvalidChunkLine,
    /// A chunk-size line longer than 4 KiB (400).
    ChunkLineTooLong,
    /// A malformed trailer line (400).
    InvalidTrailer,
    /// A trailer section longer than 8 KiB (431).
    TrailersTooLarge,
}

impl BodyError {
    /// The status code to answer with: 413, 431 or 400.
    ///
    /// ```
    /// use loopio_handshake::{BodyDecoder, BodyFraming};
    ///
    /// let err = BodyDecoder::new(BodyFraming::ContentLength(1 << 30), 1 << 20).unwrap_err();
    /// assert_eq!(err.status(), 413);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            BodyError::TooLarge => 413,
            BodyError::TrailersTooLarge => 431,
            _ => 400,
        }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BodyError::TooLarge => "request body too large",
            BodyError::InvalidChunkSize => "invalid chunk size",
            BodyError::InvalidChunkLine => "malformed chunk framing",
            BodyError::ChunkLineTooLong => "chunk-size line too long",
            BodyError::InvalidTrailer => "malformed trailer line",
            BodyError::TrailersTooLarge => "trailer section too large",
        })
    }
}

impl std::error::Error for BodyError {}

impl BodyDecoder {
    /// A decoder for `framing` refusing bodies larger than `max` bytes.
    ///
    /// A `Content-Length` over `max` is refused at once with [`BodyError::TooLarge`]; a chunked
    /// body as soon as a chunk size would take it over.
    ///
    /// ```
    /// use loopio_handshake::{BodyDecoder, BodyFraming};
    ///
    /// let mut decoder = BodyDecoder::new(BodyFraming::ContentLength(2), 16)?;
    /// let mut body = Vec::new();
    /// assert_eq!(decoder.decode(b"okGET", &mut body)?, (2, true));
    /// assert_eq!(body, b"ok");
    /// # Ok::<(), loopio_handshake::BodyError>(())
    /// ```
    pub fn new(framing: BodyFraming, max: usize) -> Result<BodyDecoder, BodyError> {
        let budget = u64::try_from(max).unwrap_or(u64::MAX);
        let state = match framing {
            BodyFraming::None | BodyFraming::ContentLength(0) => State::Done,
            BodyFraming::ContentLength(length) if length > budget => {
                return Err(BodyError::TooLarge)
            }
            BodyFraming::ContentLength(length) => State::LengthData { remaining: length },
            BodyFraming::Chunked => State::ChunkSize { size: 0, digits: 0 },
        };
        Ok(BodyDecoder {
            state,
            budget,
            line: 0,
        })
    }

    /// Whether the whole body has been decoded.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes a prefix of `input`, appending body bytes to `out`. Returns bytes consumed and
    /// whether the body is complete.
    ///
    /// Until the body is complete all of `input` is consumed, so the caller need not keep any of
    /// it; once complete, the bytes after the body are left unconsumed. After an error the
    /// decoder must not be used again.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(usize, bool), BodyError> {
        let mut pos = 0;
        while pos < input.len() && self.state != State::Done {
            let rest = &input[pos..];
            pos += match self.state {
                State::LengthData { remaining } | State::ChunkData { remaining } => {
                    self.copy(rest, remaining, out)
                }
                _ => {
                    self.step(rest[0])?;
                    1
                }
            };
        }
        Ok((pos, self.is_done()))
    }

    /// Copies up to `remaining` data bytes; returns how many.
    fn copy(&mut self, input: &[u8], remaining: u64, out: &mut Vec<u8>) -> usize {
        let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
        out.extend_from_slice(&input[..n]);
        let remaining = remaining - n as u64;
        self.state = match self.state {
            State::LengthData { .. } if remaining == 0 => State::Done,
            State::LengthData { .. } => State::LengthData { remaining },
            _ if remaining == 0 => State::ChunkDataCr,
            _ => State::ChunkData { remaining },
        };
        n
    }

    /// Advances the chunk framing by one byte.
    fn step(&mut self, byte: u8) -> Result<(), BodyError> {
        self.state = match self.state {
            State::ChunkSize { size, digits } => self.chunk_size(size, digits, byte)?,
            State::ExtensionStart { size } => match byte {
                b' ' | b'\t' => self.line_byte(State::ExtensionStart { size })?,
                b';' => self.line_byte(State::Extension { size })?,
                _ => return Err(BodyError::InvalidChunkLine),
            },
            State::Extension { size } => match byte {
                b'\r' => State::ChunkSizeLf { size },
                b'\t' | b' '..=b'~' | 0x80..=0xff => self.line_byte(State::Extension { size })?,
                _ => return Err(BodyError::InvalidChunkLine),
            },
            State::ChunkSizeLf { size } => self.chunk_line_end(size, byte)?,
            State::ChunkDataCr => expect(byte, b'\r', State::ChunkDataLf)?,
            State::ChunkDataLf => {
                self.line = 0;
                expect(byte, b'\n', State::ChunkSize { size: 0, digits: 0 })?
            }
            State::TrailerStart => match byte {
                b'\r' => State::EndLf,
                b'\n' => return Err(BodyError::InvalidTrailer),
                _ => self.trailer_byte(State::Trailer)?,
            },
            State::Trailer => match byte {
                b'\r' => State::TrailerLf,
                b'\n' => return Err(BodyError::InvalidTrailer),
                _ => self.trailer_byte(State::Trailer)?,
            },
            State::TrailerLf => self.trailer_byte(trailer_lf(byte, State::TrailerStart)?)?,
            State::EndLf => trailer_lf(byte, State::Done)?,
            State::LengthData { .. } | State::ChunkData { .. } | State::Done => self.state,
        };
        Ok(())
    }

    /// `chunk-size = 1*HEXDIG`, then optional whitespace and `;` extensions, then CRLF.
    fn chunk_size(&mut self, size: u64, digits: u8, byte: u8) -> Result<State, BodyError> {
        if let Some(digit) = hex_value(byte) {
            if digits == MAX_SIZE_DIGITS {
                return Err(BodyError::InvalidChunkSize);
            }
            let size = size << 4 | u64::from(digit);
            if size > self.budget {
                return Err(BodyError::TooLarge);
            }
            return self.line_byte(State::ChunkSize {
                size,
                digits: digits + 1,
            });
        }
        if digits == 0 {
            return Err(BodyError::InvalidChunkSize);
        }
        match byte {
            b'\r' => Ok(State::ChunkSizeLf { size }),
            b' ' | b'\t' => self.line_byte(State::ExtensionStart { size }),
            b';' => self.line_byte(State::Extension { size }),
            _ => Err(BodyError::InvalidChunkSize),
        }
    }

    /// The LF of a chunk-size line: data follows, or the trailers after `last-chunk`.
    fn chunk_line_end(&mut self, size: u64, byte: u8) -> Result<State, BodyError> {
        if byte != b'\n' {
            return Err(BodyError::InvalidChunkLine);
        }
        self.line = 0;
        if size == 0 {
            return Ok(State::TrailerStart);
        }
        self.budget -= size; // `chunk_size` checked `size <= budget`.
        Ok(State::ChunkData { remaining: size })
    }

    fn line_byte(&mut self, next: State) -> Result<State, BodyError> {
        self.line += 1;
        if self.line > MAX_CHUNK_LINE {
            return Err(BodyError::ChunkLineTooLong);
        }
        Ok(next)
    }

    fn trailer_byte(&mut self, next: State) -> Result<State, BodyError> {
        self.line += 1;
        if self.line > MAX_TRAILERS {
            return Err(BodyError::TrailersTooLarge);
        }
        Ok(next)
    }
}

/// Chunk framing is strict CRLF: lenient line endings are a request-smuggling vector.
fn expect(byte: u8, wanted: u8, next: State) -> Result<State, BodyError> {
    if byte == wanted {
        Ok(next)
    } else {
        Err(BodyError::InvalidChunkLine)
    }
}

fn trailer_lf(byte: u8, next: State) -> Result<State, BodyError> {
    if byte == b'\n' {
        Ok(next)
    } else {
        Err(BodyError::InvalidTrailer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_shrinks_by_each_announced_chunk() {
        let mut decoder = BodyDecoder::new(BodyFraming::Chunked, 10).unwrap();
        let mut out = Vec::new();
        assert_eq!(decoder.decode(b"6\r\n", &mut out), Ok((3, false)));
        assert_eq!(decoder.budget, 4);
        assert_eq!(decoder.state, State::ChunkData { remaining: 6 });
        assert_eq!(
            decoder.decode(b"abcdef\r\n5", &mut out),
            Err(BodyError::TooLarge)
        );
    }

    #[test]
    fn chunk_line_counter_resets_per_line() {
        let mut decoder = BodyDecoder::new(BodyFraming::Chunked, 1 << 20).unwrap();
        let mut line = b"1;".to_vec();
        line.resize(MAX_CHUNK_LINE - 2, b'x');
        line.extend_from_slice(b"\r\nz\r\n");
        let mut out = Vec::new();
        for _ in 0..3 {
            assert_eq!(decoder.decode(&line, &mut out), Ok((line.len(), false)));
        }
        assert_eq!(out, b"zzz");
    }
}
