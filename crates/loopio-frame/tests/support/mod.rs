//! Shared helpers: build frames, and decode a fixture whole, byte by byte and at every split.
#![allow(dead_code)] // each test file uses a different subset

use loopio_frame::{encode_frame, Decoder, Error, Limits, Message, OpCode, Role};

/// A decoder output, owned so feeds of the same fixture can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
    Failed(Error),
}

impl From<Message<'_>> for Event {
    fn from(message: Message<'_>) -> Event {
        match message {
            Message::Text(text) => Event::Text(text.to_owned()),
            Message::Binary(bytes) => Event::Binary(bytes.to_vec()),
            Message::Ping(bytes) => Event::Ping(bytes.to_vec()),
            Message::Pong(bytes) => Event::Pong(bytes.to_vec()),
            Message::Close(frame) => Event::Close(frame.map(|f| (f.code.0, f.reason.to_owned()))),
        }
    }
}

/// The masking key the sender of frames to `decoder_role` uses (a client masks).
pub fn key_for(decoder_role: Role) -> Option<[u8; 4]> {
    match decoder_role {
        Role::Server => Some([0x37, 0xFA, 0x21, 0x3D]),
        Role::Client => None,
    }
}

/// One frame as the peer of a `decoder_role` decoder would send it.
pub fn frame(decoder_role: Role, opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_frame(&mut out, opcode, fin, payload, key_for(decoder_role));
    out
}

/// Feeds `chunks` in order; stops at the first error, recorded as the last event. Returns the
/// events and, on error, the index of the chunk that raised it.
pub fn feed(decoder: &mut Decoder, chunks: &[&[u8]]) -> (Vec<Event>, Option<usize>) {
    let mut events = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        let mut chunk = chunk.to_vec();
        let (mut pos, len) = (0, chunk.len());
        while pos < len {
            match decoder.decode(&mut chunk[pos..]) {
                Ok(decoded) => {
                    assert!(decoded.consumed > 0, "non-empty input must make progress");
                    assert!(pos + decoded.consumed <= len);
                    pos += decoded.consumed;
                    events.extend(decoded.message.map(Event::from));
                }
                Err(error) => {
                    events.push(Event::Failed(error));
                    return (events, Some(index));
                }
            }
        }
    }
    (events, None)
}

/// Decodes `wire` whole, byte by byte and split in two at every point, asserts all feeds give
/// the same events, and returns them.
pub fn decode_all_ways(role: Role, limits: Limits, wire: &[u8]) -> Vec<Event> {
    let (whole, _) = feed(&mut Decoder::new(role, limits), &[wire]);
    let bytes: Vec<&[u8]> = wire.chunks(1).collect();
    let (bytewise, _) = feed(&mut Decoder::new(role, limits), &bytes);
    assert_eq!(bytewise, whole, "byte by byte vs whole");
    for cut in 0..=wire.len() {
        let (head, tail) = wire.split_at(cut);
        let (split, _) = feed(&mut Decoder::new(role, limits), &[head, tail]);
        assert_eq!(split, whole, "split at {cut} vs whole");
    }
    whole
}

/// [`decode_all_ways`] with default limits, for both roles (the peer's frames masked or not).
pub fn decode_both_roles(build: impl Fn(Role) -> Vec<u8>) -> Vec<Event> {
    let server = decode_all_ways(Role::Server, Limits::default(), &build(Role::Server));
    let client = decode_all_ways(Role::Client, Limits::default(), &build(Role::Client));
    assert_eq!(server, client, "server vs client");
    server
}

/// The index of the byte whose arrival made the decoder fail when fed one byte at a time.
pub fn failing_byte(role: Role, limits: Limits, wire: &[u8]) -> Option<usize> {
    let bytes: Vec<&[u8]> = wire.chunks(1).collect();
    feed(&mut Decoder::new(role, limits), &bytes).1
}

/// Tiny xorshift64 PRNG for reproducible random tests.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `0..bound` (`bound > 0`).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}
