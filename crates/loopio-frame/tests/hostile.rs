//! Hostile input: valid traffic with random bytes corrupted, and pure noise. The decoder must
//! never panic, never make an empty step, and give the same events however the bytes are split.

mod support;

use loopio_frame::{encode_frame, Decoder, Limits, OpCode, Role};
use support::{feed, key_for, XorShift};

fn valid_traffic(rng: &mut XorShift, role: Role) -> Vec<u8> {
    let opcodes = [
        OpCode::Text,
        OpCode::Binary,
        OpCode::Continuation,
        OpCode::Ping,
        OpCode::Close,
    ];
    let mut wire = Vec::new();
    for _ in 0..1 + rng.below(6) {
        let opcode = opcodes[rng.below(opcodes.len())];
        let len = if opcode.is_control() {
            rng.below(126)
        } else {
            rng.below(400)
        };
        let payload: Vec<u8> = (0..len)
            .map(|_| b"ab\xCE\xBA \x03\xE8"[rng.below(7)])
            .collect();
        let fin = opcode.is_control() || rng.below(2) == 0;
        let key = key_for(role).map(|_| (rng.next() as u32).to_ne_bytes());
        encode_frame(&mut wire, opcode, fin, &payload, key);
    }
    wire
}

#[test]
fn corrupted_and_random_input_never_panics_and_splits_agree() {
    let limits = Limits {
        max_frame_size: 300,
        max_message_size: 600,
    };
    let mut rng = XorShift(0x5EED);
    for round in 0..3000 {
        let role = if round % 2 == 0 {
            Role::Server
        } else {
            Role::Client
        };
        let mut wire = if round % 5 == 0 {
            let len = rng.below(64);
            rng.bytes(len)
        } else {
            valid_traffic(&mut rng, role)
        };
        for _ in 0..rng.below(4) {
            if !wire.is_empty() {
                let at = rng.below(wire.len());
                wire[at] ^= 1 << rng.below(8);
            }
        }
        let (whole, _) = feed(&mut Decoder::new(role, limits), &[&wire]);
        let mut chunks = Vec::new();
        let mut rest = wire.as_slice();
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at((1 + rng.below(40)).min(rest.len()));
            chunks.push(chunk);
            rest = tail;
        }
        let (split, _) = feed(&mut Decoder::new(role, limits), &chunks);
        assert_eq!(split, whole, "round {round}");
    }
}
