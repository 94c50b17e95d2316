//! State-machine robustness: pseudo-random operation sequences (a deterministic stand-in for
//! a fuzz target) must never panic, never answer a transport twice, and end every session
//! with exactly one `Closed`.

mod support;

use loopio_engine::{Config, Data, Trace, TransmitKind};
use support::{Ev, Harness};

/// xorshift64*: reproducible choices without a dependency.
struct Choices(u64);

impl Choices {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % below
    }
}

const BODIES: [&[u8]; 9] = [
    b"4hi",
    b"3",
    b"2",
    b"1",
    b"6",
    b"5",
    b"bAQI=",
    b"4a\x1e4b",
    b"\x1e\x1e",
];
const WS_TEXTS: [&str; 7] = ["2probe", "5", "3", "4x", "1", "b!!", ""];

#[test]
fn random_operation_sequences_keep_the_invariants() {
    for seed in 1..=300u64 {
        let mut choices = Choices(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut h = Harness::new(Config {
            max_payload: 64,
            ..Config::default()
        });
        let (handle, sid, _) = if choices.next(2) == 0 {
            h.open_polling()
        } else {
            h.open_ws()
        };
        let mut ws_ids = Vec::new();
        for step in 0..40 {
            if !h.sessions.contains_key(&handle) {
                break;
            }
            match choices.next(9) {
                0 => drop(h.get(&sid)),
                1 => drop(h.post(&sid, BODIES[choices.next(9) as usize])),
                2 => ws_ids.push(h.ws_open(&sid).0),
                3 => {
                    let id = match ws_ids.get(choices.next(4) as usize) {
                        Some(id) => *id,
                        None => loopio_engine::TransportId(2), // the WS-only id, if any
                    };
                    let text = WS_TEXTS[choices.next(7) as usize];
                    drop(h.ws(handle, id, Data::Text(text)));
                }
                4 => drop(h.conn(handle).send(Data::Text("m"))),
                5 => drop(h.close(handle)),
                6 => drop(h.advance_to(step * 7_000)),
                7 => {
                    let id = loopio_engine::TransportId(choices.next(h.id().0 + 1));
                    drop(h.transport_closed(handle, id));
                }
                _ => drop(h.conn(handle).send(Data::Binary(&[1, 2]))),
            }
        }
        let events = h.events(handle);
        let closes = events.iter().filter(|e| matches!(e, Ev::Closed(_))).count();
        assert!(closes <= 1, "seed {seed}: {events:?}");
        if closes == 1 {
            assert!(
                matches!(events.last(), Some(Ev::Closed(_))),
                "seed {seed}: {events:?}"
            );
        }
        // Every HTTP request is answered at most once.
        let mut answered = std::collections::HashSet::new();
        for sent in h
            .sent
            .iter()
            .filter(|s| matches!(s.kind, TransmitKind::Http { .. }))
        {
            assert!(
                answered.insert(sent.to),
                "seed {seed}: {} answered twice",
                sent.to
            );
        }
        // Without any client activity, every session ends by ping timeout at the latest.
        h.advance_to(10_000_000);
        assert!(h.sessions.is_empty(), "seed {seed}");
        assert!(h.server.is_empty(), "seed {seed}");
    }
}

#[test]
fn traces_show_packets() {
    let mut h = Harness::new(Config::default());
    let (handle, sid, open) = h.open_polling();
    let trace = Trace::transmit(
        &loopio_engine::Transmit {
            to: loopio_engine::TransportId(open.to),
            kind: open.kind,
        },
        &open.bytes,
    )
    .to_string();
    assert!(
        trace.starts_with("HTTP/1.1 200 OK: open \"{\\\"sid\\\""),
        "{trace}"
    );
    h.send(handle, Data::Binary(&[1, 2, 3]));
    let sent = h.get(&sid).1;
    let transmit = loopio_engine::Transmit {
        to: loopio_engine::TransportId(sent[0].to),
        kind: sent[0].kind,
    };
    assert_eq!(
        Trace::transmit(&transmit, &sent[0].bytes).to_string(),
        "HTTP/1.1 200 OK: message <3 bytes>"
    );
    assert_eq!(
        Trace::ws(Data::Text("2probe")).to_string(),
        "ping \"probe\""
    );
    assert_eq!(
        Trace::payload(b"4a\x1e9").to_string(),
        "message \"a\", <unknown packet type 0x39>"
    );
}
