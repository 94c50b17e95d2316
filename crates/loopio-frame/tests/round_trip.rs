//! encode → decode round trips of random messages, fragments and interleaved pings, fed in
//! random chunks, for both roles and every length class.

mod support;

use loopio_frame::{encode_close, CloseCode, Decoder, Limits, OpCode, Role};
use support::{feed, key_for, Event, XorShift};

const LENGTHS: [usize; 9] = [0, 1, 125, 126, 127, 0xFFFF, 0x1_0000, 0x1_0001, 300];

fn random_text(rng: &mut XorShift, len: usize) -> String {
    let alphabet = ['a', 'Z', ' ', 'é', 'κ', '€', '\u{FFFF}', '😀', '\u{10FFFF}'];
    let mut text = String::new();
    while text.len() < len {
        text.push(alphabet[rng.below(alphabet.len())]);
    }
    text
}

/// Encodes `payload` as 1–4 fragments with random cuts, with a ping after some of them.
fn encode_message(
    rng: &mut XorShift,
    role: Role,
    opcode: OpCode,
    payload: &[u8],
    wire: &mut Vec<u8>,
    expected: &mut Vec<Event>,
) {
    let fragments = 1 + rng.below(4);
    let mut cuts: Vec<usize> = (1..fragments)
        .map(|_| rng.below(payload.len() + 1))
        .collect();
    cuts.sort_unstable();
    cuts.push(payload.len());
    let mut start = 0;
    for (i, &end) in cuts.iter().enumerate() {
        let op = if i == 0 { opcode } else { OpCode::Continuation };
        let key = key_for(role).map(|_| (rng.next() as u32).to_ne_bytes());
        loopio_frame::encode_frame(wire, op, i + 1 == cuts.len(), &payload[start..end], key);
        start = end;
        if i + 1 < cuts.len() && rng.below(3) == 0 {
            let len = rng.below(126);
            let ping = rng.bytes(len);
            let key = key_for(role).map(|_| (rng.next() as u32).to_ne_bytes());
            loopio_frame::encode_frame(wire, OpCode::Ping, true, &ping, key);
            expected.push(Event::Ping(ping));
        }
    }
}

#[test]
fn random_messages_round_trip_in_random_chunks() {
    for seed in [1, 0x9E37_79B9_7F4A_7C15, 42] {
        let mut rng = XorShift(seed);
        for _ in 0..60 {
            let role = if rng.below(2) == 0 {
                Role::Server
            } else {
                Role::Client
            };
            let mut wire = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..1 + rng.below(4) {
                let len = LENGTHS[rng.below(LENGTHS.len())];
                let mut messages = Vec::new();
                if rng.below(2) == 0 {
                    let text = random_text(&mut rng, len);
                    encode_message(
                        &mut rng,
                        role,
                        OpCode::Text,
                        text.as_bytes(),
                        &mut wire,
                        &mut messages,
                    );
                    messages.push(Event::Text(text));
                } else {
                    let bytes = rng.bytes(len);
                    encode_message(
                        &mut rng,
                        role,
                        OpCode::Binary,
                        &bytes,
                        &mut wire,
                        &mut messages,
                    );
                    messages.push(Event::Binary(bytes));
                }
                expected.extend(messages);
            }
            let key = key_for(role).map(|_| (rng.next() as u32).to_ne_bytes());
            encode_close(&mut wire, CloseCode::NORMAL, "done", key);
            expected.push(Event::Close(Some((1000, "done".into()))));

            let mut chunks = Vec::new();
            let mut rest = wire.as_slice();
            while !rest.is_empty() {
                let size = match rng.below(3) {
                    0 => 1 + rng.below(8),
                    1 => 1 + rng.below(200),
                    _ => 1 + rng.below(70_000),
                };
                let (chunk, tail) = rest.split_at(size.min(rest.len()));
                chunks.push(chunk);
                rest = tail;
            }
            let (events, failure) = feed(&mut Decoder::new(role, Limits::default()), &chunks);
            assert_eq!(failure, None);
            assert_eq!(events, expected, "seed {seed:#x}");
        }
    }
}
