//! Hostile input: random and mutated heads and bodies never panic and never grow unbounded.
//! A deterministic stand-in for the fuzz targets (`cargo fuzz` is not run in CI).

mod common;

use common::Rng;
use loopio_handshake::{
    check_upgrade, parse_request, parse_server_response, BodyDecoder, BodyFraming, Limits, Parsed,
};

const SEEDS: &[&[u8]] = &[
    include_bytes!("fixtures/chrome.http"),
    include_bytes!("fixtures/firefox.http"),
    include_bytes!("fixtures/polling-post.http"),
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
      Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
];

/// Bytes that matter to the grammar, so mutations reach deep states.
const INTERESTING: &[u8] = b"\r\n :;,=?%+#/\t\"\x00\x7f\xff0aAfF";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        let byte = if rng.below(2) == 0 {
            INTERESTING[rng.below(INTERESTING.len())]
        } else {
            rng.next_u64() as u8
        };
        match rng.below(3) {
            0 if at < bytes.len() => bytes[at] = byte,
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, byte),
        }
    }
    bytes
}

/// Runs every parser over `bytes`; only the absence of panics and the bounds are checked.
fn exercise(bytes: &[u8], limits: &Limits) {
    if let Ok(Parsed::Complete { value, head_len }) = parse_request(bytes, limits) {
        assert!(head_len <= limits.max_head_bytes && head_len <= bytes.len());
        let _ = check_upgrade(&value);
        let _ = value.keep_alive();
        let _ = value.query_param("EIO");
        let _ = value.to_string();
        if let Ok(framing) = value.body_framing() {
            if let Ok(mut decoder) = BodyDecoder::new(framing, 64) {
                let mut body = Vec::new();
                if let Ok((used, _)) = decoder.decode(&bytes[head_len..], &mut body) {
                    assert!(used <= bytes.len() - head_len);
                }
                assert!(body.len() <= 64);
            }
        }
    }
    let _ = parse_server_response(bytes, "dGhlIHNhbXBsZSBub25jZQ==", limits);
    let mut decoder = BodyDecoder::new(BodyFraming::Chunked, 64).expect("chunked always starts");
    let mut body = Vec::new();
    let _ = decoder.decode(bytes, &mut body);
    assert!(body.len() <= 64);
}

#[test]
fn mutated_seeds() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let limits = Limits {
        max_head_bytes: 1024,
        max_headers: 24,
    };
    for i in 0..20_000 {
        let bytes = mutate(&mut rng, SEEDS[i % SEEDS.len()]);
        exercise(&bytes, &limits);
    }
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x0dd_ba11);
    let limits = Limits::default();
    for _ in 0..5_000 {
        let len = rng.below(256);
        let bytes: Vec<u8> = (0..len)
            .map(|_| INTERESTING[rng.below(INTERESTING.len())] | (rng.below(2) as u8 * 0x40))
            .collect();
        exercise(&bytes, &limits);
    }
}

#[test]
fn tiny_limits_refuse_instead_of_panicking() {
    for max_head_bytes in [0, 1, 5] {
        for max_headers in [0, 1] {
            let limits = Limits {
                max_head_bytes,
                max_headers,
            };
            for seed in SEEDS {
                exercise(seed, &limits);
                assert!(!matches!(
                    parse_request(seed, &limits),
                    Ok(Parsed::Complete { .. })
                ));
            }
        }
    }
}
