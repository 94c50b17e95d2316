//! UTF-8 in text messages: boundary code points, forbidden sequences, and failing fast at the
//! first byte that rules valid text out, however the text is fragmented or delivered.
//!
//! Autobahn's Python runner double-encodes its 3- and 4-byte cases, so these never reach a
//! server through it; they are checked here instead.

mod support;

use loopio_frame::{Error, Limits, OpCode, Role};
use support::{decode_all_ways, decode_both_roles, failing_byte, frame, key_for, Event};

const BOUNDARIES: [char; 6] = [
    '\u{80}',
    '\u{7FF}',
    '\u{800}',
    '\u{FFFF}',
    '\u{10000}',
    '\u{10FFFF}',
];

/// (bytes, index of the first byte after which no valid UTF-8 can follow)
const INVALID: [(&[u8], usize); 12] = [
    (b"\xED\xA0\x80", 1),     // U+D800, the first surrogate
    (b"\xED\xBF\xBF", 1),     // U+DFFF, the last surrogate
    (b"\xC0\x80", 0),         // overlong U+0000, 2 bytes
    (b"\xC1\xBF", 0),         // overlong U+007F
    (b"\xE0\x80\x80", 1),     // overlong U+0000, 3 bytes
    (b"\xE0\x9F\xBF", 1),     // overlong U+07FF
    (b"\xF0\x80\x80\x80", 1), // overlong U+0000, 4 bytes
    (b"\xF0\x8F\xBF\xBF", 1), // overlong U+FFFF
    (b"\xF4\x90\x80\x80", 1), // U+110000, past the last code point
    (b"\xF5\x80\x80\x80", 0), // a lead byte that can never start a character
    (b"\xFF", 0),
    (b"\x80", 0), // a continuation byte with no lead
];

/// `payload` as a text message in two fragments split at `cut`.
fn two_fragments(role: Role, payload: &[u8], cut: usize) -> Vec<u8> {
    let mut wire = frame(role, OpCode::Text, false, &payload[..cut]);
    wire.extend(frame(role, OpCode::Continuation, true, &payload[cut..]));
    wire
}

/// `payload` as a text message with one byte per fragment.
fn byte_fragments(role: Role, payload: &[u8]) -> Vec<u8> {
    let mut wire = frame(
        role,
        OpCode::Text,
        payload.len() <= 1,
        &payload[..payload.len().min(1)],
    );
    for (i, byte) in payload.iter().enumerate().skip(1) {
        wire.extend(frame(
            role,
            OpCode::Continuation,
            i + 1 == payload.len(),
            &[*byte],
        ));
    }
    wire
}

/// The wire index of payload byte `at` in [`two_fragments`].
fn wire_index(role: Role, at: usize, cut: usize) -> usize {
    let header = if key_for(role).is_some() { 6 } else { 2 };
    if at < cut {
        header + at
    } else {
        2 * header + at
    }
}

#[test]
fn boundary_code_points_are_valid_in_any_fragmentation() {
    for c in BOUNDARIES {
        let text = format!("a{c}b");
        let payload = text.as_bytes();
        for cut in 0..=payload.len() {
            let events = decode_both_roles(|role| two_fragments(role, payload, cut));
            assert_eq!(events, [Event::Text(text.clone())], "{c:?} cut at {cut}");
        }
        let events = decode_both_roles(|role| byte_fragments(role, payload));
        assert_eq!(events, [Event::Text(text.clone())]);
    }
}

#[test]
fn invalid_sequences_fail_with_1007_at_the_first_bad_byte() {
    for (bad, bad_at) in INVALID {
        let payload = [b"hello".as_slice(), bad, b"world"].concat();
        let bad_at = 5 + bad_at;
        for role in [Role::Server, Role::Client] {
            for cut in 0..=payload.len() {
                let wire = two_fragments(role, &payload, cut);
                let events = decode_all_ways(role, Limits::default(), &wire);
                assert_eq!(
                    events,
                    [Event::Failed(Error::InvalidUtf8)],
                    "{bad:x?} cut {cut}"
                );
                let expected = wire_index(role, bad_at, cut);
                let at = failing_byte(role, Limits::default(), &wire);
                assert_eq!(at, Some(expected), "{bad:x?} cut at {cut}, role {role:?}");
            }
            let wire = byte_fragments(role, &payload);
            let events = decode_all_ways(role, Limits::default(), &wire);
            assert_eq!(events, [Event::Failed(Error::InvalidUtf8)]);
        }
    }
    assert_eq!(Error::InvalidUtf8.close_code().0, 1007);
}

#[test]
fn text_ending_inside_a_character_fails_at_the_end() {
    for c in BOUNDARIES {
        let mut encoded = [0; 4];
        let bytes = c.encode_utf8(&mut encoded).as_bytes();
        for keep in 1..bytes.len() {
            let payload = [b"ok".as_slice(), &bytes[..keep]].concat();
            for role in [Role::Server, Role::Client] {
                let whole = frame(role, OpCode::Text, true, &payload);
                let events = decode_all_ways(role, Limits::default(), &whole);
                assert_eq!(events, [Event::Failed(Error::InvalidUtf8)]);
                // Fails only when the last byte arrives, not before.
                let at = failing_byte(role, Limits::default(), &whole);
                assert_eq!(at, Some(whole.len() - 1));
                // A final empty fragment ends the message: it fails on its last header byte.
                let mut split = frame(role, OpCode::Text, false, &payload);
                split.extend(frame(role, OpCode::Continuation, true, b""));
                let at = failing_byte(role, Limits::default(), &split);
                assert_eq!(at, Some(split.len() - 1));
            }
        }
    }
}

#[test]
fn a_valid_prefix_never_fails_early() {
    // κόσμε with its last character cut: valid up to the FIN.
    let payload = "κόσμε".as_bytes();
    let wire = frame(
        Role::Client,
        OpCode::Text,
        false,
        &payload[..payload.len() - 1],
    );
    let events = decode_all_ways(Role::Client, Limits::default(), &wire);
    assert_eq!(events, []);
}
