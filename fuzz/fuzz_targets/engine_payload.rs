//! Engine.IO v4 packets and long-polling payloads: `Packet::decode`, `records` and the
//! incremental `PayloadDecoder` fed a random chunking.
//!
//! Input: `[config] [split count] [split seeds...] [payload bytes...]`. `config` bits 0-1 pick
//! `max_payload`.
//!
//! Invariants:
//! - the `PayloadDecoder` fed the payload in chunks and then finished gives exactly the packets
//!   (and the first error) of decoding each `records` item, when the payload fits
//!   `max_payload`; over it, it fails (`TooLarge`, or an earlier record's own error) having
//!   emitted only a prefix of those packets;
//! - decode→encode round trip: every decoded record re-encodes (`encode_polling`) to its exact
//!   bytes (base64 is canonical), `polling_len` is the encoded length, and the re-encoded
//!   packets joined by 0x1e give back the payload;
//! - `encode_ws` of a text packet is its record; `Display` never panics (char-boundary cut).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loopio_engine::{records, Data, Packet, PacketError, PayloadDecoder, PayloadError, WsKind};
use loopio_fuzz::{Input, Splits};

/// A decoded packet copied out: the kind's digit and the text (`Ok`) or bytes (`Err`).
type Owned = (u8, Result<String, Vec<u8>>);

fn owned(packet: Packet<'_>) -> Owned {
    let data = match packet.data {
        Data::Text(text) => Ok(text.to_owned()),
        Data::Binary(bytes) => Err(bytes.to_vec()),
    };
    (packet.kind.digit(), data)
}

/// Checks the per-record round trip and returns the owned packet.
fn round_trip(record: &[u8], packet: Packet<'_>) -> Owned {
    let mut out = Vec::new();
    packet.encode_polling(&mut out);
    assert_eq!(out, record, "encode_polling(decode(record)) != record");
    assert_eq!(packet.polling_len(), out.len(), "polling_len");
    let mut ws = Vec::new();
    match (packet.encode_ws(&mut ws), packet.data) {
        (WsKind::Text, Data::Text(_)) => assert_eq!(ws, record),
        (WsKind::Binary, Data::Binary(bytes)) => assert_eq!(ws, bytes),
        (kind, data) => panic!("encode_ws gave {kind:?} for {data:?}"),
    }
    let _ = packet.to_string();
    owned(packet)
}

/// The reference: each record decoded on its own, stopping at the first error.
fn reference(payload: &[u8]) -> (Vec<Owned>, Option<PacketError>) {
    let mut packets = Vec::new();
    let mut scratch = Vec::new();
    for record in records(payload) {
        match Packet::decode(record, &mut scratch) {
            Ok(packet) => packets.push(round_trip(record, packet)),
            Err(error) => return (packets, Some(error)),
        }
    }
    (packets, None)
}

fn incremental(max: usize, chunks: &[Vec<u8>]) -> (Vec<Owned>, Option<PayloadError>) {
    let mut decoder = PayloadDecoder::new(max);
    let mut packets = Vec::new();
    for chunk in chunks {
        if let Err(error) = decoder.feed(chunk, |p| packets.push(owned(p))) {
            return (packets, Some(error));
        }
    }
    let error = decoder.finish(|p| packets.push(owned(p))).err();
    (packets, error)
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let config = input.byte();
    let max = [1_000_000, 0, 10, 100][usize::from(config & 3)];
    let splits = Splits::read(&mut input);
    let payload = input.rest();

    let (want, want_error) = reference(payload);
    if want_error.is_none() {
        let mut joined = Vec::new();
        let mut scratch = Vec::new();
        for (i, record) in records(payload).enumerate() {
            if i > 0 {
                joined.push(loopio_engine::SEPARATOR);
            }
            Packet::decode(record, &mut scratch)
                .expect("decoded above")
                .encode_polling(&mut joined);
        }
        assert_eq!(joined, payload, "payload round trip");
    }

    let (got, got_error) = incremental(max, &splits.cut(payload));
    if payload.len() <= max {
        assert_eq!(got, want, "packets, whole vs incremental");
        assert_eq!(got_error, want_error.map(PayloadError::Packet), "error");
        return;
    }
    assert!(want.starts_with(&got), "over max_payload: packets not a prefix");
    match got_error {
        Some(PayloadError::TooLarge) => {}
        Some(PayloadError::Packet(error)) => {
            assert_eq!((got.len(), Some(error)), (want.len(), want_error), "early error")
        }
        other => panic!("a {}-byte payload over max {max} gave {other:?}", payload.len()),
    }
});
