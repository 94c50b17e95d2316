//! Incremental UTF-8 validation that fails as soon as the bytes seen cannot start valid text.

use crate::Error;

/// Validates UTF-8 that arrives in pieces, carrying at most 3 bytes of a split character.
///
/// [`Utf8Validator::feed`] fails as soon as the bytes fed so far can no longer be a prefix of
/// valid UTF-8 (surrogates, overlongs and code points above U+10FFFF are caught at the byte that
/// rules them out); [`Utf8Validator::finish`] fails if the text ends inside a character. Each
/// byte is checked once, by `std::str::from_utf8`, whose ASCII fast path does the heavy lifting.
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
        self.feed_with(bytes, |_| {})
    }

    /// Validates the next piece and appends every completed character to `out`.
    pub(crate) fn push_str(&mut self, bytes: &[u8], out: &mut String) -> Result<(), Error> {
        self.feed_with(bytes, |text| out.push_str(text))
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

    fn feed_with(&mut self, mut bytes: &[u8], mut emit: impl FnMut(&str)) -> Result<(), Error> {
        if self.pending_len > 0 {
            bytes = self.complete_pending(bytes, &mut emit)?;
        }
        // Split off a trailing character cut short, so `from_utf8` sees whole characters only
        // and each byte is validated exactly once.
        let (whole, tail) = bytes.split_at(cut_start(bytes));
        emit(std::str::from_utf8(whole).map_err(|_| Error::InvalidUtf8)?);
        if !tail.is_empty() {
            self.hold(tail)?;
        }
        Ok(())
    }

    /// Feeds the first bytes of `bytes` to the held-back character; returns the rest.
    fn complete_pending<'b>(
        &mut self,
        bytes: &'b [u8],
        emit: &mut impl FnMut(&str),
    ) -> Result<&'b [u8], Error> {
        let held = self.pending_len();
        let take = (width(self.pending[0]) - held).min(bytes.len());
        let (head, rest) = bytes.split_at(take);
        let mut joined = self.pending;
        joined[held..held + take].copy_from_slice(head);
        self.pending_len = 0;
        match std::str::from_utf8(&joined[..held + take]) {
            Ok(text) => emit(text),
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

    #[test]
    fn ending_inside_a_character_fails() {
        let mut utf8 = Utf8Validator::new();
        utf8.feed(b"\xF0\x90\x80").expect("valid prefix");
        assert_eq!(utf8.finish(), Err(Error::InvalidUtf8));
        assert!(utf8.is_complete(), "finish resets");
    }
}
