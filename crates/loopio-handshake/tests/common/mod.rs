//! Helpers shared by the scenario tests: incremental feeding and a tiny PRNG.
#![allow(dead_code)]

use std::fmt::Debug;

use loopio_handshake::{BodyDecoder, BodyError, BodyFraming, Parsed};

/// Parses `bytes` whole and at every prefix length, as a growing read buffer would, and checks
/// that each prefix gives `Partial` until the first final answer, and that answer from then on.
/// A `Complete` must first appear exactly at its `head_len`. Returns the whole-input result.
pub fn parse_all_ways<T, E, F>(bytes: &[u8], parse: F) -> Result<Parsed<T>, E>
where
    T: PartialEq + Debug,
    E: PartialEq + Debug,
    F: Fn(&[u8]) -> Result<Parsed<T>, E>,
{
    let whole = parse(bytes);
    let mut settled_at = None;
    for end in 0..=bytes.len() {
        let result = parse(&bytes[..end]);
        match (&result, settled_at) {
            (Ok(Parsed::Partial), None) => {}
            (_, None) => {
                settled_at = Some(end);
                assert_eq!(
                    result, whole,
                    "first answer, at {end} bytes, differs from whole"
                );
            }
            (_, Some(_)) => assert_eq!(result, whole, "answer changed at {end} bytes"),
        }
    }
    if let Ok(Parsed::Complete { head_len, .. }) = &whole {
        assert_eq!(
            settled_at,
            Some(*head_len),
            "complete before or after the head ended"
        );
    }
    whole
}

/// What a body decode produced: body bytes, bytes consumed in total, and whether it finished.
pub type Decoded = Result<(Vec<u8>, usize, bool), BodyError>;

/// Decodes `input` fed as the given pieces.
pub fn decode_pieces(framing: BodyFraming, max: usize, input: &[u8], cuts: &[usize]) -> Decoded {
    let mut decoder = BodyDecoder::new(framing, max)?;
    let mut body = Vec::new();
    let mut consumed = 0;
    for &end in cuts.iter().chain([&input.len()]) {
        let (n, done) = decoder.decode(&input[consumed..end], &mut body)?;
        consumed += n;
        if done {
            return Ok((body, consumed, true));
        }
        assert_eq!(
            consumed, end,
            "an unfinished decoder must consume everything"
        );
    }
    Ok((body, consumed, false))
}

/// Decodes `input` whole, byte by byte, and split in two and in three at every point; all
/// must agree. Returns the whole-input result.
pub fn decode_all_ways(framing: BodyFraming, max: usize, input: &[u8]) -> Decoded {
    let whole = decode_pieces(framing, max, input, &[]);
    let bytes: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        decode_pieces(framing, max, input, &bytes),
        whole,
        "byte by byte"
    );
    for a in 0..=input.len() {
        assert_eq!(
            decode_pieces(framing, max, input, &[a]),
            whole,
            "split at {a}"
        );
        for b in a..=input.len().min(a + 24) {
            assert_eq!(
                decode_pieces(framing, max, input, &[a, b]),
                whole,
                "split at {a}, {b}"
            );
        }
    }
    whole
}

/// xorshift64*: deterministic randomness without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
