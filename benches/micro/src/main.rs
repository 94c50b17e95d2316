//! Codec micro-benchmarks: frame decode, encode and unmask throughput, and UTF-8 validation.
//!
//! `cargo run --release -p loopio-micro-benches` runs each case for about 0.3 s and prints a
//! table; `-- --quick` runs each for a few milliseconds (a CI smoke test).

use std::hint::black_box;
use std::time::{Duration, Instant};

use loopio_frame::{apply_mask, encode_frame, Decoder, Limits, OpCode, Role, Utf8Validator};

const SIZES: [usize; 3] = [32, 1024, 64 * 1024];
const KEY: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let budget = if quick {
        Duration::from_millis(3)
    } else {
        Duration::from_millis(300)
    };
    println!(
        "size_of::<Decoder>() = {} bytes",
        std::mem::size_of::<Decoder>()
    );
    println!(
        "{:<34} {:>9} {:>11} {:>9}",
        "case", "payload", "ns/op", "GB/s"
    );
    for size in SIZES {
        decode(budget, size, Role::Server, "decode masked binary (server)");
        decode(
            budget,
            size,
            Role::Client,
            "decode unmasked binary (client)",
        );
        decode_split(budget, size);
        encode(budget, size, None, "encode unmasked (server)");
        encode(budget, size, Some(KEY), "encode masked (client)");
        mask(budget, size);
    }
    let ascii = ascii_only(64 * 1024);
    let heavy = ascii_heavy(64 * 1024);
    let mixed = mixed(64 * 1024);
    utf8(budget, "utf8 ascii only, one piece", &ascii, ascii.len());
    utf8(budget, "utf8 ascii-heavy, one piece", &heavy, heavy.len());
    utf8(budget, "utf8 mixed, one piece", &mixed, mixed.len());
    utf8(budget, "utf8 mixed, 1000-byte pieces", &mixed, 1000);
    text(budget, "decode masked text, ascii only", &ascii);
    text(budget, "decode masked text, ascii-heavy", &heavy);
    text(budget, "decode masked text, mixed", &mixed);
}

/// Runs `op` (which processes `bytes` bytes) in growing batches until `budget` has passed.
fn measure(budget: Duration, name: &str, bytes: usize, mut op: impl FnMut()) {
    let mut iterations = 0u64;
    let mut batch = 1u64;
    let start = Instant::now();
    while start.elapsed() < budget {
        for _ in 0..batch {
            op();
        }
        iterations += batch;
        batch = (batch * 2).min(1 << 16);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let ns = elapsed * 1e9 / iterations as f64;
    let gbps = bytes as f64 * iterations as f64 / elapsed / 1e9;
    println!("{name:<34} {bytes:>9} {ns:>11.1} {gbps:>9.2}");
}

fn decode(budget: Duration, size: usize, role: Role, name: &str) {
    let key = if role == Role::Server {
        Some(KEY)
    } else {
        None
    };
    let mut wire = Vec::new();
    encode_frame(&mut wire, OpCode::Binary, true, &vec![0xA5; size], key);
    let mut decoder = Decoder::new(role, Limits::default());
    // Decoding unmasks in place, so a masked input alternates between masked and not; the
    // work per call is the same either way.
    measure(budget, name, size, || {
        let decoded = decoder.decode(black_box(&mut wire)).expect("valid frame");
        black_box(decoded.message);
    });
}

/// A frame arriving in two reads: the buffered (copying) path.
fn decode_split(budget: Duration, size: usize) {
    let mut wire = Vec::new();
    encode_frame(
        &mut wire,
        OpCode::Binary,
        true,
        &vec![0xA5; size],
        Some(KEY),
    );
    let header = wire.len() - size;
    let mut decoder = Decoder::new(Role::Server, Limits::default());
    let cut = wire.len() / 2;
    measure(budget, "decode masked, split in two reads", size, || {
        // Decoding unmasked the payload in place; mask it again (one extra mask pass).
        apply_mask(&mut wire[header..], KEY, 0);
        let (head, tail) = wire.split_at_mut(cut);
        assert!(decoder
            .decode(black_box(head))
            .expect("valid")
            .message
            .is_none());
        black_box(decoder.decode(black_box(tail)).expect("valid").message);
    });
}

fn encode(budget: Duration, size: usize, mask: Option<[u8; 4]>, name: &str) {
    let payload = vec![0xA5; size];
    let mut out = Vec::with_capacity(size + 14);
    measure(budget, name, size, || {
        out.clear();
        encode_frame(&mut out, OpCode::Binary, true, black_box(&payload), mask);
        black_box(&out);
    });
}

fn mask(budget: Duration, size: usize) {
    let mut buf = vec![0xA5; size];
    measure(budget, "apply_mask", size, || {
        apply_mask(black_box(&mut buf), KEY, 0);
    });
}

fn utf8(budget: Duration, name: &str, text: &[u8], piece: usize) {
    measure(budget, name, text.len(), || {
        let mut validator = Utf8Validator::new();
        for chunk in black_box(text).chunks(piece) {
            validator.feed(chunk).expect("valid");
        }
        validator.finish().expect("complete");
    });
}

fn text(budget: Duration, name: &str, text: &[u8]) {
    let mut wire = Vec::new();
    encode_frame(&mut wire, OpCode::Text, true, text, Some(KEY));
    let header = wire.len() - text.len();
    let mut decoder = Decoder::new(Role::Server, Limits::default());
    let mut first = true;
    measure(budget, name, text.len(), || {
        // Mask the payload again (one extra mask pass) so every call validates real text.
        if !std::mem::take(&mut first) {
            apply_mask(&mut wire[header..], KEY, 0);
        }
        black_box(decoder.decode(black_box(&mut wire)).expect("valid").message);
    });
}

/// JSON-like ASCII.
fn ascii_only(len: usize) -> Vec<u8> {
    let mut text = String::new();
    while text.len() < len {
        text.push_str("{\"event\":\"chat\",\"data\":{\"user\":\"alice\",\"text\":\"hello\"}}");
    }
    text.into_bytes()
}

/// Mostly ASCII (JSON-like), one 2-byte character per ~80 bytes.
fn ascii_heavy(len: usize) -> Vec<u8> {
    let mut text = String::new();
    while text.len() < len {
        text.push_str("{\"event\":\"chat\",\"data\":{\"user\":\"alice\",\"text\":\"hello world, ");
        text.push_str("see you soon\"}} é");
    }
    text.into_bytes()
}

/// A mix of 1-, 2-, 3- and 4-byte characters.
fn mixed(len: usize) -> Vec<u8> {
    let mut text = String::new();
    while text.len() < len {
        text.push_str("aé€😀 κόσμε ");
    }
    text.into_bytes()
}
