//! A text message split into masked client fragments, decoded with `Role::Server`.
//!
//! Input: `[config] [fragment count] [fragment lengths...] [text bytes...]`. `config` bit 0
//! puts a ping between fragments, bit 1 feeds each frame byte by byte.
//!
//! Invariants:
//! - the message is accepted iff `std::str::from_utf8` accepts the concatenation, and then it
//!   is exactly that text;
//! - a rejection is `InvalidUtf8` (close code 1007) and happens in the frame where the bytes
//!   so far first stop being a prefix of any valid UTF-8, or in the final frame if the text
//!   only ends inside a character: never later (fail fast, Autobahn 6.4) and never earlier;
//! - `Utf8Validator` fed the same fragments fails at the same fragment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loopio_fuzz::Input;
use loopio_frame::{encode_frame, Decoder, Error, Limits, Message, OpCode, Role, Utf8Validator};

/// The first fragment at which the prefix can no longer become valid UTF-8, else the last
/// fragment if the whole text is invalid (it ends inside a character), else `None`.
fn expected_failure(fragments: &[&[u8]]) -> Option<usize> {
    let mut prefix = Vec::new();
    for (i, fragment) in fragments.iter().enumerate() {
        prefix.extend_from_slice(fragment);
        if let Err(error) = std::str::from_utf8(&prefix) {
            if error.error_len().is_some() {
                return Some(i);
            }
        }
    }
    std::str::from_utf8(&prefix).is_err().then(|| fragments.len() - 1)
}

/// Feeds one frame; returns the message text, if one completed, or the error.
fn feed(decoder: &mut Decoder, mut frame: Vec<u8>, step: usize) -> Result<Option<String>, Error> {
    let mut text = None;
    for chunk in frame.chunks_mut(step) {
        let mut pos = 0;
        while pos < chunk.len() {
            let decoded = decoder.decode(&mut chunk[pos..])?;
            pos += decoded.consumed;
            match decoded.message {
                None => {}
                Some(Message::Text(t)) => text = Some(t.to_owned()),
                Some(Message::Ping(p)) => assert_eq!(p, b"between fragments"),
                Some(other) => panic!("unexpected {other:?}"),
            }
        }
    }
    Ok(text)
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let config = input.byte();
    let count = 1 + usize::from(input.byte() & 0x0F);
    let lengths: Vec<usize> = input.take(count - 1).iter().map(|&b| usize::from(b)).collect();
    let text = input.rest();
    let mut fragments = Vec::new();
    let mut rest = text;
    for &len in &lengths {
        let (head, tail) = rest.split_at(len.min(rest.len()));
        fragments.push(head);
        rest = tail;
    }
    fragments.push(rest);
    let want_failure = expected_failure(&fragments);
    assert_eq!(want_failure.is_none(), std::str::from_utf8(text).is_ok());

    // The validator on its own.
    let mut validator = Utf8Validator::new();
    let last = fragments.len() - 1;
    let validator_failure = fragments.iter().enumerate().find_map(|(i, fragment)| {
        let fed = validator.feed(fragment).and_then(|()| {
            if i == last {
                validator.finish()
            } else {
                Ok(())
            }
        });
        fed.err().map(|error| {
            assert_eq!(error, Error::InvalidUtf8);
            i
        })
    });
    assert_eq!(validator_failure, want_failure, "Utf8Validator");

    // The decoder, one masked frame at a time.
    let step = if config & 2 != 0 { 1 } else { usize::MAX };
    let mut decoder = Decoder::new(Role::Server, Limits::default());
    let mut outcome = None;
    for (i, fragment) in fragments.iter().enumerate() {
        let opcode = if i == 0 { OpCode::Text } else { OpCode::Continuation };
        let key = [i as u8, config, 0xa5, 0x3c];
        let mut frame = Vec::new();
        encode_frame(&mut frame, opcode, i == last, fragment, Some(key));
        if config & 1 != 0 && i > 0 {
            let mut ping = Vec::new();
            encode_frame(&mut ping, OpCode::Ping, true, b"between fragments", Some(key));
            frame.splice(0..0, ping);
        }
        match feed(&mut decoder, frame, step.max(1)) {
            Ok(None) => assert!(i < last, "the final fragment gave no message"),
            Ok(Some(message)) => {
                assert_eq!(i, last, "a message before the final fragment");
                outcome = Some(Ok(message));
            }
            Err(error) => {
                assert_eq!(error, Error::InvalidUtf8);
                assert_eq!(error.close_code().0, 1007);
                outcome = Some(Err(i));
                break;
            }
        }
    }
    match (outcome.expect("the message ended"), want_failure) {
        (Ok(message), None) => assert_eq!(message.as_bytes(), text),
        (Err(at), Some(want)) => assert_eq!(at, want, "failed at fragment {at}, expected {want}"),
        (got, want) => panic!("decoder gave {got:?}, expected failure at {want:?}"),
    }
});
