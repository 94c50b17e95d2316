//! Close frames with arbitrary payloads, through `CloseFrame::parse` and the `Decoder` (both
//! roles, whole and byte by byte, zero-copy and buffered paths).
//!
//! Input: `[config] [payload...]`, payload truncated to 125 bytes (the control frame limit).
//!
//! Invariant: accepted iff `len == 0`, or `len >= 2` and the code is one of 1000-1003,
//! 1007-1014, 3000-4999 and the reason is UTF-8; the error is 1002 for a bad length or code and
//! 1007 for a bad reason; an accepted frame gives back exactly the code and reason sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loopio_fuzz::Input;
use loopio_frame::{encode_frame, CloseFrame, Decoder, Error, Limits, Message, OpCode, Role};

/// The RFC 6455 §7.4 rule, written out independently of the crate.
fn expected(payload: &[u8]) -> Result<Option<(u16, &str)>, u16> {
    match payload {
        [] => Ok(None),
        [_] => Err(1002),
        [high, low, reason @ ..] => {
            let code = u16::from_be_bytes([*high, *low]);
            if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
                return Err(1002);
            }
            std::str::from_utf8(reason)
                .map(|reason| Some((code, reason)))
                .map_err(|_| 1007)
        }
    }
}

fn view(result: Result<Option<CloseFrame<'_>>, Error>) -> Result<Option<(u16, String)>, u16> {
    result
        .map(|frame| frame.map(|f| (f.code.0, f.reason.to_owned())))
        .map_err(|error| error.close_code().0)
}

fn owned(expected: Result<Option<(u16, &str)>, u16>) -> Result<Option<(u16, String)>, u16> {
    expected.map(|frame| frame.map(|(code, reason)| (code, reason.to_owned())))
}

/// Decodes `wire` fed in pieces of `step` bytes; returns the close frame or the close code.
fn decode(role: Role, wire: &[u8], step: usize) -> Result<Option<(u16, String)>, u16> {
    let mut decoder = Decoder::new(role, Limits::default());
    let mut wire = wire.to_vec();
    let mut result = None;
    for chunk in wire.chunks_mut(step) {
        let mut pos = 0;
        while pos < chunk.len() {
            let decoded = decoder.decode(&mut chunk[pos..]).map_err(|e| e.close_code().0)?;
            pos += decoded.consumed;
            if let Some(message) = decoded.message {
                assert!(result.is_none(), "one frame, two messages");
                let Message::Close(frame) = message else {
                    panic!("a close frame decoded as {message:?}");
                };
                result = Some(frame.map(|f| (f.code.0, f.reason.to_owned())));
            }
        }
    }
    Ok(result.expect("a whole close frame yields a message"))
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let config = input.byte();
    let payload = input.take(125);
    let want = owned(expected(payload));
    assert_eq!(view(CloseFrame::parse(payload)), want, "CloseFrame::parse");

    let role = if config & 1 == 0 { Role::Server } else { Role::Client };
    let mask = (role == Role::Server).then_some([config, 0x5a, 0xa5, 0x0f]);
    let mut wire = Vec::new();
    encode_frame(&mut wire, OpCode::Close, true, payload, mask);
    assert_eq!(decode(role, &wire, wire.len()), want, "whole frame");
    let step = 1 + usize::from(config >> 1) % 8;
    assert_eq!(decode(role, &wire, step), want, "in pieces of {step}");
});
