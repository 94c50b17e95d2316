//! Decoder rules, one test per RFC 6455 rule; every fixture is fed whole, byte by byte and split
//! at every point.

mod support;

use loopio_frame::{Decoder, Error, Limits, Message, OpCode, Role};
use support::{decode_all_ways, decode_both_roles, feed, frame, Event};

fn failed(error: Error) -> Vec<Event> {
    vec![Event::Failed(error)]
}

#[test]
fn rfc_6455_section_5_7_examples() {
    // A single-frame unmasked text message.
    let unmasked = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let hello = vec![Event::Text("Hello".into())];
    assert_eq!(
        decode_all_ways(Role::Client, Limits::default(), &unmasked),
        hello
    );
    // A single-frame masked text message.
    let masked = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        decode_all_ways(Role::Server, Limits::default(), &masked),
        hello
    );
    // A fragmented unmasked text message.
    let fragmented = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    assert_eq!(
        decode_all_ways(Role::Client, Limits::default(), &fragmented),
        hello
    );
    // Unmasked ping, masked pong.
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let expected = vec![Event::Ping(b"Hello".to_vec())];
    assert_eq!(
        decode_all_ways(Role::Client, Limits::default(), &ping),
        expected
    );
    let pong = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let expected = vec![Event::Pong(b"Hello".to_vec())];
    assert_eq!(
        decode_all_ways(Role::Server, Limits::default(), &pong),
        expected
    );
    // 256 bytes (16-bit length) in a single unmasked binary frame.
    let mut long = vec![0x82, 0x7E, 0x01, 0x00];
    long.extend((0..=255u8).collect::<Vec<_>>());
    let expected = vec![Event::Binary((0..=255u8).collect())];
    assert_eq!(
        decode_all_ways(Role::Client, Limits::default(), &long),
        expected
    );
}

#[test]
fn length_classes_decode_in_both_roles() {
    for len in [0, 1, 125, 126, 127, 0xFFFF, 0x1_0000] {
        let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let wire = |role| frame(role, OpCode::Binary, true, &payload);
        // Every split of a 64 KiB frame is quadratic; whole and byte-by-byte are enough there.
        if len > 300 {
            for role in [Role::Server, Role::Client] {
                let wire = wire(role);
                let (whole, _) = feed(&mut Decoder::new(role, Limits::default()), &[&wire]);
                let bytes: Vec<&[u8]> = wire.chunks(1).collect();
                let (bytewise, _) = feed(&mut Decoder::new(role, Limits::default()), &bytes);
                assert_eq!(whole, vec![Event::Binary(payload.clone())]);
                assert_eq!(bytewise, whole);
            }
        } else {
            assert_eq!(
                decode_both_roles(wire),
                vec![Event::Binary(payload.clone())]
            );
        }
    }
}

#[test]
fn non_minimal_lengths_are_accepted() {
    // 5 bytes announced with the 16-bit and the 64-bit form (see `FrameHeader::parse`).
    let mut sixteen = vec![0x82, 0x7E, 0x00, 0x05];
    sixteen.extend_from_slice(b"abcde");
    let mut sixty_four = vec![0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x05];
    sixty_four.extend_from_slice(b"abcde");
    for wire in [sixteen, sixty_four] {
        let events = decode_all_ways(Role::Client, Limits::default(), &wire);
        assert_eq!(events, vec![Event::Binary(b"abcde".to_vec())]);
    }
}

#[test]
fn reserved_bits_fail_with_1002() {
    for rsv in [0x40, 0x20, 0x10] {
        let wire = [0x81 | rsv, 0x00];
        assert_eq!(
            decode_all_ways(Role::Client, Limits::default(), &wire),
            failed(Error::ReservedBits)
        );
    }
}

#[test]
fn reserved_opcodes_fail_with_1002() {
    for op in (0x3..=0x7).chain(0xB..=0xF) {
        let wire = [0x80 | op, 0x00];
        let events = decode_all_ways(Role::Client, Limits::default(), &wire);
        assert_eq!(events, failed(Error::ReservedOpCode(op)));
        assert_eq!(Error::ReservedOpCode(op).close_code().0, 1002);
    }
}

#[test]
fn control_frames_must_be_short_and_final() {
    for op in [OpCode::Close, OpCode::Ping, OpCode::Pong] {
        let long = [0x80 | op.as_u8(), 0x7E, 0x00, 0x7E];
        let events = decode_all_ways(Role::Client, Limits::default(), &long);
        assert_eq!(events, failed(Error::ControlTooLong(126)));
        let unfinished = [op.as_u8(), 0x00];
        let events = decode_all_ways(Role::Client, Limits::default(), &unfinished);
        assert_eq!(events, failed(Error::FragmentedControl));
    }
    let ping = decode_both_roles(|role| frame(role, OpCode::Ping, true, &[7; 125]));
    assert_eq!(ping, vec![Event::Ping(vec![7; 125])]);
}

#[test]
fn masking_must_match_the_role() {
    let unmasked = frame(Role::Client, OpCode::Text, true, b"hi");
    let events = decode_all_ways(Role::Server, Limits::default(), &unmasked);
    assert_eq!(events, failed(Error::UnmaskedFrame));
    let masked = frame(Role::Server, OpCode::Text, true, b"hi");
    let events = decode_all_ways(Role::Client, Limits::default(), &masked);
    assert_eq!(events, failed(Error::MaskedFrame));
}

#[test]
fn control_frames_interleave_with_fragments() {
    let text = decode_both_roles(|role| {
        let mut wire = frame(role, OpCode::Text, false, "κό".as_bytes());
        wire.extend(frame(role, OpCode::Ping, true, b"p1"));
        wire.extend(frame(role, OpCode::Continuation, false, "σμ".as_bytes()));
        wire.extend(frame(role, OpCode::Pong, true, b""));
        wire.extend(frame(role, OpCode::Continuation, true, "ε".as_bytes()));
        wire
    });
    let expected = [
        Event::Ping(b"p1".to_vec()),
        Event::Pong(vec![]),
        Event::Text("κόσμε".into()),
    ];
    assert_eq!(text, expected);

    let binary = decode_both_roles(|role| {
        let mut wire = frame(role, OpCode::Binary, false, b"ab");
        wire.extend(frame(role, OpCode::Ping, true, b"ping"));
        wire.extend(frame(role, OpCode::Continuation, false, b"cd"));
        wire.extend(frame(role, OpCode::Close, true, b"\x03\xE8ok"));
        wire.extend(frame(role, OpCode::Continuation, true, b"ef"));
        wire
    });
    let expected = [
        Event::Ping(b"ping".to_vec()),
        Event::Close(Some((1000, "ok".into()))),
        Event::Binary(b"abcdef".to_vec()),
    ];
    assert_eq!(binary, expected);
}

#[test]
fn empty_frames_and_fragments() {
    let events = decode_both_roles(|role| {
        let mut wire = frame(role, OpCode::Text, true, b"");
        wire.extend(frame(role, OpCode::Binary, true, b""));
        wire.extend(frame(role, OpCode::Text, false, b""));
        wire.extend(frame(role, OpCode::Continuation, false, b""));
        wire.extend(frame(role, OpCode::Continuation, true, b""));
        wire.extend(frame(role, OpCode::Binary, false, b""));
        wire.extend(frame(role, OpCode::Continuation, true, b"x"));
        wire
    });
    let expected = [
        Event::Text(String::new()),
        Event::Binary(vec![]),
        Event::Text(String::new()),
        Event::Binary(b"x".to_vec()),
    ];
    assert_eq!(events, expected);
}

#[test]
fn a_new_data_frame_inside_a_fragmented_message_fails() {
    for second in [OpCode::Text, OpCode::Binary] {
        let events = decode_both_roles(|role| {
            let mut wire = frame(role, OpCode::Text, false, b"a");
            wire.extend(frame(role, second, true, b"b"));
            wire
        });
        assert_eq!(events, failed(Error::ExpectedContinuation));
    }
}

#[test]
fn a_continuation_without_an_open_message_fails() {
    for fin in [true, false] {
        let events = decode_both_roles(|role| frame(role, OpCode::Continuation, fin, b"a"));
        assert_eq!(events, failed(Error::UnexpectedContinuation));
    }
    // Also right after a message completed.
    let events = decode_both_roles(|role| {
        let mut wire = frame(role, OpCode::Text, true, b"a");
        wire.extend(frame(role, OpCode::Continuation, true, b"b"));
        wire
    });
    assert_eq!(
        events,
        [
            Event::Text("a".into()),
            Event::Failed(Error::UnexpectedContinuation)
        ]
    );
}

#[test]
fn frame_and_message_limits_fail_with_1009() {
    let limits = Limits {
        max_frame_size: 10,
        max_message_size: 16,
    };
    let wire = frame(Role::Client, OpCode::Binary, true, &[0; 11]);
    let events = decode_all_ways(Role::Client, limits, &wire);
    assert_eq!(events, failed(Error::FrameTooBig(11)));
    assert_eq!(Error::FrameTooBig(11).close_code().0, 1009);

    let mut wire = frame(Role::Client, OpCode::Text, false, &[b'a'; 10]);
    wire.extend(frame(Role::Client, OpCode::Continuation, false, &[b'a'; 6]));
    wire.extend(frame(Role::Client, OpCode::Continuation, true, b"a"));
    let events = decode_all_ways(Role::Client, limits, &wire);
    assert_eq!(events, failed(Error::MessageTooBig(17)));

    // Exactly at the limit is fine.
    let mut wire = frame(Role::Client, OpCode::Binary, false, &[1; 10]);
    wire.extend(frame(Role::Client, OpCode::Continuation, true, &[2; 6]));
    let events = decode_all_ways(Role::Client, limits, &wire);
    assert_eq!(
        events,
        [Event::Binary([[1; 10].as_slice(), &[2; 6]].concat())]
    );
}

#[test]
fn huge_length_fields_never_allocate_ahead_of_the_bytes() {
    // 2^62 bytes announced: over the default limit, so 1009 before any payload.
    let mut wire = vec![0x82, 0x7F, 0x40, 0, 0, 0, 0, 0, 0, 0];
    let events = decode_all_ways(Role::Client, Limits::default(), &wire);
    assert_eq!(events, failed(Error::FrameTooBig(1 << 62)));

    // With no limits at all, the decoder takes the bytes that arrive and nothing more.
    let unlimited = Limits {
        max_frame_size: u64::MAX,
        max_message_size: usize::MAX,
    };
    wire.extend_from_slice(&[9; 1000]);
    let (events, failure) = feed(&mut Decoder::new(Role::Client, unlimited), &[&wire]);
    assert_eq!((events, failure), (vec![], None));

    // 2^63 bytes: the 64-bit length's high bit is set, 1002.
    let wire = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
    let events = decode_all_ways(Role::Client, Limits::default(), &wire);
    assert_eq!(events, failed(Error::LengthOverflow));
}

#[test]
fn close_payloads() {
    let empty = decode_both_roles(|role| frame(role, OpCode::Close, true, b""));
    assert_eq!(empty, [Event::Close(None)]);
    let one = decode_both_roles(|role| frame(role, OpCode::Close, true, b"\x03"));
    assert_eq!(one, failed(Error::CloseTooShort));
    let reason = decode_both_roles(|role| {
        frame(
            role,
            OpCode::Close,
            true,
            &[b"\x0B\xB8", "ü".as_bytes()].concat(),
        )
    });
    assert_eq!(reason, [Event::Close(Some((3000, "ü".into())))]);
    let bad_reason = decode_both_roles(|role| frame(role, OpCode::Close, true, b"\x03\xE8\xFF"));
    assert_eq!(bad_reason, failed(Error::InvalidCloseReason));
    assert_eq!(Error::InvalidCloseReason.close_code().0, 1007);
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        let events =
            decode_both_roles(|role| frame(role, OpCode::Close, true, &code.to_be_bytes()));
        assert_eq!(events, failed(Error::InvalidCloseCode(code)));
    }
    for code in [1000u16, 1003, 1007, 1011, 1014, 3000, 4999] {
        let events =
            decode_both_roles(|role| frame(role, OpCode::Close, true, &code.to_be_bytes()));
        assert_eq!(events, [Event::Close(Some((code, String::new())))]);
    }
}

#[test]
fn errors_are_sticky() {
    let mut decoder = Decoder::new(Role::Client, Limits::default());
    assert_eq!(
        decoder.decode(&mut [0x83, 0x00]).unwrap_err(),
        Error::ReservedOpCode(3)
    );
    let mut good = frame(Role::Client, OpCode::Text, true, b"ok");
    assert_eq!(
        decoder.decode(&mut good).unwrap_err(),
        Error::ReservedOpCode(3)
    );
}

#[test]
fn a_whole_frame_in_the_input_is_returned_in_place() {
    let mut wire = frame(Role::Server, OpCode::Binary, true, b"zero-copy");
    let range = wire.as_ptr_range();
    let mut decoder = Decoder::new(Role::Server, Limits::default());
    let decoded = decoder.decode(&mut wire).expect("valid frame");
    let Some(Message::Binary(payload)) = decoded.message else {
        panic!("expected a binary message");
    };
    assert_eq!(payload, b"zero-copy");
    assert!(
        range.contains(&payload.as_ptr()),
        "payload borrowed from the input"
    );
}

#[test]
fn one_message_per_call_and_the_rest_on_the_next() {
    let mut wire = frame(Role::Client, OpCode::Text, true, b"one");
    let first = wire.len();
    wire.extend(frame(Role::Client, OpCode::Text, true, b"two"));
    let mut decoder = Decoder::new(Role::Client, Limits::default());
    let decoded = decoder.decode(&mut wire).expect("valid");
    assert_eq!(
        (decoded.consumed, decoded.message),
        (first, Some(Message::Text("one")))
    );
    let decoded = decoder.decode(&mut wire[first..]).expect("valid");
    assert_eq!(decoded.message, Some(Message::Text("two")));
    assert!(decoder.is_idle());
}
