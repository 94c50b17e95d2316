//! `loopio_frame::Decoder`, both roles, fed a random chunking of the input.
//!
//! Input: `[config] [split count] [split seeds...] [wire bytes...]`. `config` bit 0 picks the
//! role, bits 1-2 the limits.
//!
//! Invariants:
//! - the messages and the error (if any) are identical whether the wire bytes arrive whole or
//!   in chunks, and every call consumes > 0 bytes of a non-empty input and no more than it got;
//! - after an error every call returns the same error;
//! - each decoded message, re-encoded with `encode_frame` (also as two fragments for data
//!   messages) and decoded by a fresh decoder, gives the same message;
//! - a decoder's heap never exceeds a small multiple of the bytes fed, whatever the length
//!   fields claim (even with unlimited limits).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loopio_fuzz::{HeapWatch, Input, Splits};
use loopio_frame::{
    encode_close, encode_frame, CloseCode, Decoder, Error, Limits, Message, OpCode, Role,
};

/// A decoded message, owned so it outlives the decoder borrow.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

impl Owned {
    fn from(message: Message<'_>) -> Owned {
        match message {
            Message::Text(text) => Owned::Text(text.to_owned()),
            Message::Binary(bytes) => Owned::Binary(bytes.to_vec()),
            Message::Ping(bytes) => Owned::Ping(bytes.to_vec()),
            Message::Pong(bytes) => Owned::Pong(bytes.to_vec()),
            Message::Close(frame) => Owned::Close(frame.map(|f| (f.code.0, f.reason.to_owned()))),
        }
    }
}

const UNLIMITED: Limits = Limits {
    max_frame_size: u64::MAX,
    max_message_size: usize::MAX,
};

fn limits(bits: u8) -> Limits {
    match bits & 3 {
        0 => Limits::default(),
        1 => Limits {
            max_frame_size: 16,
            max_message_size: 40,
        },
        2 => Limits {
            max_frame_size: 0,
            max_message_size: 0,
        },
        _ => UNLIMITED,
    }
}

/// Feeds `chunks` in order, recording every message and the error that ends the stream.
fn run(decoder: &mut Decoder, chunks: Vec<Vec<u8>>) -> (Vec<Owned>, Option<Error>) {
    let mut messages = Vec::new();
    for mut chunk in chunks {
        let mut pos = 0;
        while pos < chunk.len() {
            let left = chunk.len() - pos;
            match decoder.decode(&mut chunk[pos..]) {
                Ok(decoded) => {
                    assert!(decoded.consumed > 0, "no progress on {left} bytes");
                    assert!(decoded.consumed <= left, "consumed {} of {left}", decoded.consumed);
                    pos += decoded.consumed;
                    messages.extend(decoded.message.map(Owned::from));
                }
                Err(error) => {
                    // A failed decoder stays failed with the same error.
                    assert_eq!(decoder.decode(&mut [0x81, 0x00]).err(), Some(error));
                    assert_eq!(decoder.decode(&mut []).err(), Some(error));
                    return (messages, Some(error));
                }
            }
        }
    }
    let decoded = decoder.decode(&mut []).expect("empty input after success");
    assert_eq!((decoded.consumed, decoded.message), (0, None));
    (messages, None)
}

/// Re-encodes `message` as the peer of `role` would and checks it decodes back the same.
fn round_trip(role: Role, message: &Owned, key: [u8; 4], cut: usize) {
    let mask = (role == Role::Server).then_some(key);
    let mut wire = Vec::new();
    let (opcode, payload): (OpCode, &[u8]) = match message {
        Owned::Text(text) => (OpCode::Text, text.as_bytes()),
        Owned::Binary(bytes) => (OpCode::Binary, bytes),
        Owned::Ping(bytes) => (OpCode::Ping, bytes),
        Owned::Pong(bytes) => (OpCode::Pong, bytes),
        Owned::Close(None) => (OpCode::Close, &[]),
        Owned::Close(Some((code, reason))) => {
            encode_close(&mut wire, CloseCode(*code), reason, mask);
            (OpCode::Close, &[])
        }
    };
    if wire.is_empty() {
        encode_frame(&mut wire, opcode, true, payload, mask);
    }
    let mut decoder = Decoder::new(role, UNLIMITED);
    assert_eq!(run(&mut decoder, vec![wire]), (vec![message.clone()], None));
    if opcode.is_control() {
        return;
    }
    // The same message as two fragments cut at an arbitrary byte (maybe inside a character).
    let cut = cut % (payload.len() + 1);
    let mut wire = Vec::new();
    encode_frame(&mut wire, opcode, false, &payload[..cut], mask);
    encode_frame(&mut wire, OpCode::Continuation, true, &payload[cut..], mask);
    let mut decoder = Decoder::new(role, UNLIMITED);
    assert_eq!(run(&mut decoder, vec![wire]), (vec![message.clone()], None));
}

/// Peak heap of a decoder fed `chunks`, messages dropped unread (so only its own buffers count).
fn heap_peak(role: Role, limits: Limits, mut chunks: Vec<Vec<u8>>) -> usize {
    let watch = HeapWatch::start();
    let mut decoder = Decoder::new(role, limits);
    for chunk in &mut chunks {
        let mut pos = 0;
        while pos < chunk.len() {
            match decoder.decode(&mut chunk[pos..]) {
                Ok(decoded) => pos += decoded.consumed,
                Err(_) => return watch.peak(),
            }
        }
    }
    watch.peak()
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let config = input.byte();
    let role = if config & 1 == 0 { Role::Server } else { Role::Client };
    let limits = limits(config >> 1);
    let splits = Splits::read(&mut input);
    let wire = input.rest();

    let mut decoder = Decoder::new(role, limits);
    let whole = run(&mut decoder, vec![wire.to_vec()]);
    let mut decoder = Decoder::new(role, limits);
    let chunks = splits.cut(wire);
    let peak = heap_peak(role, limits, chunks.clone());
    let split = run(&mut decoder, chunks);
    // A decoder buffers at most the message being assembled (< 2x its bytes with Vec growth)
    // plus a control payload: a length field must never size an allocation.
    let bound = 3 * wire.len() + 4096;
    assert!(peak <= bound, "decoder heap peak {peak} > {bound}");
    assert_eq!(whole, split, "whole vs chunked");

    let key = [config, 0x37, 0xfa, 0x21];
    for (i, message) in whole.0.iter().enumerate() {
        round_trip(role, message, key, i.wrapping_mul(7919) ^ usize::from(config));
    }
});
