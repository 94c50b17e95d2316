//! Incremental UTF-8 validation that fails as soon as the bytes seen cannot start valid text.

use crate::Error;

/// Validates UTF-8 that arrives in pieces, carrying at most 3 bytes of a split character.
///
/// [`Utf8Validator::feed`] fails as soon as the bytes fed so far can no longer be a prefix of
/// valid UTF-8 (surrogates, overlongs and code points above U+10FFFF are caught at the byte that
/// rules them out); [`Utf8Validator::finish`] fails if the text ends inside a character. Each
/// byte is checked once: ASCII 16 bytes at a time, other characters one by one against the
/// table of RFC 3629 §4.
///
/// ```
/// use loopio_frame::{Error, Utf8Validator};
///
/// let mut utf8 = Utf8Validator::new();
/// utf8.feed(b"caf\xC3")?; // "é" split after its first byte
/// assert!(!utf8.is_complete());
/// utf8.feed(b"\xA9")?;
/// utf8.finish()?;
///
/// // 0xED 0xA0 starts a UTF-16 surrogate, which UTF-8 forbids: fail at the second byte.
/// assert_eq!(utf8.feed(b"\xED"), Ok(()));
/// assert_eq!(utf8.feed(b"\xA0"), Err(Error::InvalidUtf8));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Utf8Validator {
    /// The start of a character split across feeds; always a valid prefix.
    pending: [u8; 4],
    pending_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a text.
    pub fn new() -> Utf8Validator {
        Utf8Validator::default()
    }

    /// Validates the next piece of text.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.feed_into(bytes, None)
    }

    /// Validates the next piece and appends every completed character to `out`.
    pub(crate) fn push_str(&mut self, bytes: &[u8], out: &mut String) -> Result<(), Error> {
        self.feed_into(bytes, Some(out))
    }

    /// Ends the text: fails if it stopped inside a character, and resets for the next text.
    pub fn finish(&mut self) -> Result<(), Error> {
        let complete = self.is_complete();
        *self = Utf8Validator::new();
        if complete {
            Ok(())
        } else {
            Err(Error::InvalidUtf8)
        }
    }

    /// Whether the text so far ends on a character boundary.
    pub fn is_complete(&self) -> bool {
        self.pending_len == 0
    }

    /// The bytes of a split character held back (0 to 3).
    pub fn pending_len(&self) -> usize {
        usize::from(self.pending_len)
    }

    fn feed_into(&mut self, mut bytes: &[u8], mut out: Option<&mut String>) -> Result<(), Error> {
        if self.pending_len > 0 {
            bytes = self.complete_pending(bytes, out.as_deref_mut())?;
        }
        // Split off a trailing character cut short, so the check sees whole characters only
        // and each byte is validated exactly once.
        let (whole, tail) = bytes.split_at(cut_start(bytes));
        match out {
            // Text that is kept needs a `str`, which `text` gives; validation alone takes the
            // faster `is_valid` (also on mostly-ASCII text).
            Some(out) => out.push_str(text(whole)?),
            None if is_valid(whole) => {}
            None => return Err(Error::InvalidUtf8),
        }
        if !tail.is_empty() {
            self.hold(tail)?;
        }
        Ok(())
    }

    /// Feeds the first bytes of `bytes` to the held-back character; returns the rest.
    fn complete_pending<'b>(
        &mut self,
        bytes: &'b [u8],
        out: Option<&mut String>,
    ) -> Result<&'b [u8], Error> {
        let held = self.pending_len();
        let take = (width(self.pending[0]) - held).min(bytes.len());
        let (head, rest) = bytes.split_at(take);
        let mut joined = self.pending;
        joined[held..held + take].copy_from_slice(head);
        self.pending_len = 0;
        match std::str::from_utf8(&joined[..held + take]) {
            Ok(text) => {
                if let Some(out) = out {
                    out.push_str(text);
                }
            }
            // `take` stopped short of the width only because `bytes` ran out.
            Err(_) => self.hold(&joined[..held + take])?,
        }
        Ok(rest)
    }

    /// Keeps `tail`, the start of a character, if it can still become a valid one.
    fn hold(&mut self, tail: &[u8]) -> Result<(), Error> {
        // `error_len() == None` means "valid so far, input ended unexpectedly"; Some means
        // no continuation can make these bytes valid.
        match std::str::from_utf8(tail) {
            Err(error) if error.error_len().is_none() && error.valid_up_to() == 0 => {
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len() as u8;
                Ok(())
            }
            _ => Err(Error::InvalidUtf8),
        }
    }
}

/// `bytes` as text if they are valid UTF-8, as `std::str::from_utf8` but cheaper on the usual
/// WebSocket text message (short, all ASCII: JSON, Socket.IO packets), where std's validation
/// costs several times the check below.
#[inline]
pub(crate) fn text(bytes: &[u8]) -> Result<&str, Error> {
    if bytes.is_ascii() {
        #[allow(unsafe_code)]
        // SAFETY: every ASCII byte is a whole UTF-8 character on its own, so bytes that are all
        // ASCII are valid UTF-8. Tested in this module (`text_matches_std`).
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|_| Error::InvalidUtf8)
}

/// Whether `bytes` is valid UTF-8, as `std::str::from_utf8(bytes).is_ok()` but faster on
/// mostly-ASCII text: std's ASCII fast path needs word-aligned runs and falls back to a byte at
/// a time after every non-ASCII character, which text with a few percent of them (JSON with
/// names, accents or emoji) hits constantly; this one resumes 16 bytes at a time at once.
fn is_valid(bytes: &[u8]) -> bool {
    let mut at = 0;
    while at < bytes.len() {
        at += ascii_prefix(&bytes[at..]);
        // At the end, or at a non-ASCII byte: check characters until ASCII resumes.
        while let Some(&lead) = bytes.get(at) {
            if lead < 0x80 {
                break;
            }
            match char_width(&bytes[at..]) {
                Some(width) => at += width,
                None => return false,
            }
        }
    }
    true
}

/// The length of the ASCII prefix of `bytes`, found 64, then 16, bytes at a time.
fn ascii_prefix(bytes: &[u8]) -> usize {
    const HIGH: u128 = u128::from_ne_bytes([0x80; 16]);
    let lane = |bytes: &[u8]| u128::from_le_bytes(bytes.try_into().expect("16 bytes")) & HIGH;
    // Little-endian lanes: the lowest set bit belongs to the first non-ASCII byte.
    let first_high = |high: u128| (high.trailing_zeros() / 8) as usize;
    let mut at = 0;
    while let Some(block) = bytes.get(at..at + 64) {
        let lanes = [
            lane(&block[..16]),
            lane(&block[16..32]),
            lane(&block[32..48]),
            lane(&block[48..]),
        ];
        if lanes.iter().any(|&high| high != 0) {
            break;
        }
        at += 64;
    }
    while let Some(chunk) = bytes.get(at..at + 16) {
        let high = lane(chunk);
        if high != 0 {
            return at + first_high(high);
        }
        at += 16;
    }
    at + bytes[at..]
        .iter()
        .position(|&byte| byte >= 0x80)
        .unwrap_or(bytes.len() - at)
}

/// The width of the valid multi-byte character at the start of `bytes` (whose first byte is
/// not ASCII), or `None` if it is invalid or cut short. RFC 3629 §4: the second byte's range
/// depends on the lead, which is what excludes overlongs, surrogates and code points past
/// U+10FFFF; later bytes are plain continuation bytes.
fn char_width(bytes: &[u8]) -> Option<usize> {
    let (width, low, high) = match bytes[0] {
        0xC2..=0xDF => (2, 0x80, 0xBF),
        0xE0 => (3, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
        0xED => (3, 0x80, 0x9F),
        0xF0 => (4, 0x90, 0xBF),
        0xF1..=0xF3 => (4, 0x80, 0xBF),
        0xF4 => (4, 0x80, 0x8F),
        _ => return None,
    };
    let rest = bytes.get(1..width)?;
    let continuation = |byte: &u8| byte & 0xC0 == 0x80;
    let valid = match *rest {
        [second] => (low..=high).contains(&second),
        [second, third] => (low..=high).contains(&second) && continuation(&third),
        [second, third, fourth] => {
            (low..=high).contains(&second) && continuation(&third) && continuation(&fourth)
        }
        _ => false,
    };
    valid.then_some(width)
}

/// Where a character cut short by the end of `bytes` starts, or `bytes.len()` if none is.
fn cut_start(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=len.min(3) {
        let byte = bytes[len - back];
        if byte & 0xC0 != 0x80 {
            // The last non-continuation byte: cut here if its character needs more bytes.
            return if width(byte) > back { len - back } else { len };
        }
    }
    len
}

/// The length of the character a lead byte starts (1 for ASCII and for invalid leads, which
/// `from_utf8` then rejects).
fn width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_characters_are_held_and_completed() {
        let text = "a\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}z";
        for cut in 0..=text.len() {
            let mut utf8 = Utf8Validator::new();
            let mut out = String::new();
            utf8.push_str(&text.as_bytes()[..cut], &mut out)
                .expect("valid prefix");
            utf8.push_str(&text.as_bytes()[cut..], &mut out)
                .expect("valid rest");
            utf8.finish().expect("complete");
            assert_eq!(out, text);
        }
    }

    #[test]
    fn byte_by_byte_keeps_at_most_three_pending() {
        let mut utf8 = Utf8Validator::new();
        for &byte in "\u{10FFFF}".as_bytes() {
            assert!(utf8.pending_len() <= 3);
            utf8.feed(&[byte]).expect("valid prefix");
        }
        assert!(utf8.is_complete());
    }

    /// A deterministic byte stream biased towards the bytes where UTF-8 rules change.
    fn noisy_bytes(seed: u64, len: usize) -> Vec<u8> {
        const INTERESTING: [u8; 24] = [
            b'a', b'{', 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
            0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF,
        ];
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                match state % 8 {
                    0..=4 => b'a' + (state >> 8) as u8 % 26,
                    _ => INTERESTING[(state >> 16) as usize % INTERESTING.len()],
                }
            })
            .collect()
    }

    #[test]
    fn text_matches_std() {
        let mut inputs: Vec<Vec<u8>> = (0..4000)
            .map(|seed| noisy_bytes(seed, (seed % 70) as usize))
            .collect();
        // All-ASCII inputs of every length around the word sizes `is_ascii` reads, and each with
        // one non-ASCII byte (valid or not) at every position.
        for len in 0..40 {
            let ascii: Vec<u8> = (0..len).map(|i| b' ' + (i % 95) as u8).collect();
            for at in 0..len {
                for byte in [0x7F, 0x80, 0xC3, 0xFF] {
                    let mut bytes = ascii.clone();
                    bytes[at] = byte;
                    inputs.push(bytes);
                }
            }
            inputs.push(ascii);
        }
        for bytes in inputs {
            let std = std::str::from_utf8(&bytes).map_err(|_| Error::InvalidUtf8);
            assert_eq!(text(&bytes), std, "{bytes:02x?}");
        }
    }

    #[test]
    fn is_valid_agrees_with_std() {
        let samples = [
            "plain ascii that is longer than sixteen bytes",
            "a\u{80}\u{7FF}\u{800}\u{D7FF}\u{E000}\u{FFFF}\u{10000}\u{10FFFF}z",
            "{\"name\":\"Zoë\",\"city\":\"Zürich\",\"mood\":\"😀\"} and more ascii after it",
        ];
        for sample in samples {
            assert!(is_valid(sample.as_bytes()), "{sample}");
        }
        for seed in 0..4000 {
            let bytes = noisy_bytes(seed, (seed % 70) as usize);
            assert_eq!(
                is_valid(&bytes),
                std::str::from_utf8(&bytes).is_ok(),
                "{bytes:02x?}"
            );
        }
        // Every two- and three-byte sequence behind ASCII, at every position of a 16-byte lane.
        for a in 0x80..=0xFFu8 {
            for b in 0..=0xFFu8 {
                for c in [0x00, 0x80, 0xBF] {
                    for pad in [0, 5, 15] {
                        let mut bytes = vec![b'x'; pad];
                        bytes.extend_from_slice(&[a, b, c]);
                        bytes.extend_from_slice(b"0123456789abcdef");
                        assert_eq!(
                            is_valid(&bytes),
                            std::str::from_utf8(&bytes).is_ok(),
                            "{bytes:02x?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn feed_and_push_str_agree_at_every_split() {
        for seed in 0..600 {
            let bytes = noisy_bytes(seed, 40);
            let whole = std::str::from_utf8(&bytes).is_ok();
            for cut in 0..=bytes.len() {
                let (head, tail) = bytes.split_at(cut);
                let mut fed = Utf8Validator::new();
                let fed_ok = fed
                    .feed(head)
                    .and_then(|()| fed.feed(tail))
                    .and_then(|()| fed.finish());
                let mut pushed = Utf8Validator::new();
                let mut out = String::new();
                let first = pushed.push_str(head, &mut out);
                let pushed_ok = first
                    .and_then(|()| pushed.push_str(tail, &mut out))
                    .and_then(|()| pushed.finish());
                assert_eq!(fed_ok.is_ok(), whole, "{bytes:02x?} cut {cut}");
                assert_eq!(pushed_ok.is_ok(), whole, "{bytes:02x?} cut {cut}");
                // Fail fast: a head that cannot start valid text fails on its own.
                let head_ok = Utf8Validator::new().feed(head).is_ok();
                let head_prefix = match std::str::from_utf8(head) {
                    Ok(_) => true,
                    Err(error) => error.error_len().is_none(),
                };
                assert_eq!(head_ok, head_prefix, "{bytes:02x?} cut {cut}");
            }
        }
    }

    #[test]
    fn ending_inside_a_character_fails() {
        let mut utf8 = Utf8Validator::new();
        utf8.feed(b"\xF0\x90\x80").expect("valid prefix");
        assert_eq!(utf8.finish(), Err(Error::InvalidUtf8));
        assert!(utf8.is_complete(), "finish resets");
    }
}
