//! `loopio_handshake::parse_request` at random splits, then `check_upgrade` and the
//! `BodyDecoder` over the bytes after the head.
//!
//! Input: `[config] [split count] [split seeds...] [request bytes...]`. `config` bits 0-1 pick
//! `max_head_bytes`, bits 2-3 `max_headers`, bits 4-5 the body `max`.
//!
//! Invariants:
//! - split-invariance: parsing growing prefixes gives `Partial` until the first other result,
//!   which every longer prefix (and the whole input) repeats;
//! - `head_len <= input length`, and `find_head_end` agrees: `Some(head_len)` for a complete
//!   head, and never `Some` while `parse_request` says `Partial`;
//! - a complete request has valid body framing; `check_upgrade`, `keep_alive`, `query_param`
//!   and `Display` do not panic on it, and an accepted upgrade has a 28-byte accept key;
//! - the body never exceeds the configured max; a `Content-Length` body is exactly that long;
//!   until the body is done every byte is consumed; whole and chunked feeding agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loopio_fuzz::{Input, Splits};
use loopio_handshake::{
    accept_key, check_upgrade, find_head_end, parse_request, write_switching_protocols,
    write_upgrade_error, BodyDecoder, BodyError, BodyFraming, Limits, Parsed, Request,
};

fn limits(config: u8) -> Limits {
    let max_head_bytes = [8 << 10, 64, 300, 1][usize::from(config & 3)];
    let max_headers = [64, 3, 0, 200][usize::from(config >> 2 & 3)];
    Limits {
        max_head_bytes,
        max_headers,
    }
}

/// Parses every prefix in `ends`; checks `Partial*` then one repeated result, and returns it.
fn parse_split(bytes: &[u8], ends: &[usize], limits: &Limits) -> Parsed<Request> {
    assert_eq!(parse_request(&[], limits), Ok(Parsed::Partial));
    let whole = parse_request(bytes, limits);
    let mut settled = false;
    for &end in ends {
        let prefix = &bytes[..end];
        let result = parse_request(prefix, limits);
        match &result {
            Ok(Parsed::Partial) => {
                assert!(!settled, "Partial after a result, at {end}");
                assert_eq!(find_head_end(prefix), None, "head end found but Partial");
                continue;
            }
            Ok(Parsed::Complete { head_len, .. }) => {
                assert!(*head_len <= end, "head_len {head_len} > {end}");
                assert_eq!(find_head_end(prefix), Some(*head_len), "find_head_end");
            }
            Err(_) => {}
        }
        settled = true;
        assert_eq!(result, whole, "prefix of {end} vs whole");
    }
    match whole {
        Ok(parsed) => parsed,
        Err(error) => {
            assert!(matches!(error.status(), 400 | 405 | 414 | 431 | 501 | 505), "{error:?}");
            Parsed::Partial
        }
    }
}

/// Exercises the read-only views of a complete request.
fn inspect(request: &Request) {
    let _ = request.keep_alive();
    for name in ["sid", "EIO", "transport", "t", ""] {
        let _ = request.query_param(name);
    }
    let _ = request.to_string();
    let mut out = Vec::new();
    match check_upgrade(request) {
        Ok(offer) => {
            assert_eq!(accept_key(&offer.key).len(), 28);
            let protocol = offer.protocols.first().map(String::as_str);
            write_switching_protocols(&mut out, &offer.key, protocol, &[]);
        }
        Err(error) => {
            assert!(matches!(error.status(), 400 | 405 | 426));
            write_upgrade_error(&mut out, &error);
        }
    }
}

type BodyOutcome = Result<(Vec<u8>, usize, bool), BodyError>;

/// Feeds `chunks` to a fresh body decoder; checks the per-call contract and the bound.
fn read_body(framing: BodyFraming, max: usize, chunks: Vec<Vec<u8>>) -> BodyOutcome {
    let mut decoder = BodyDecoder::new(framing, max)?;
    let mut body = Vec::new();
    let mut total = 0;
    for chunk in chunks {
        let (consumed, done) = decoder.decode(&chunk, &mut body)?;
        assert!(body.len() <= max, "body of {} > max {max}", body.len());
        assert!(consumed <= chunk.len());
        assert_eq!(done, decoder.is_done());
        total += consumed;
        if done {
            // Bytes after the body stay with the caller.
            assert_eq!(decoder.decode(b"GET / HTTP/1.1\r\n", &mut body), Ok((0, true)));
            break;
        }
        assert_eq!(consumed, chunk.len(), "an unfinished body consumes all of its input");
    }
    if let (BodyFraming::ContentLength(length), true) = (framing, decoder.is_done()) {
        assert_eq!(body.len() as u64, length);
    }
    Ok((body, total, decoder.is_done()))
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let config = input.byte();
    let limits = limits(config);
    let max_body = [0, 16, 1000, 1 << 20][usize::from(config >> 4 & 3)];
    let splits = Splits::read(&mut input);
    let bytes = input.rest();

    let Parsed::Complete { value: request, head_len } =
        parse_split(bytes, &splits.prefix_ends(bytes.len()), &limits)
    else {
        return;
    };
    inspect(&request);
    let framing = request.body_framing().expect("parse_request checked the framing");
    if let BodyFraming::ContentLength(length) = framing {
        if let Err(error) = BodyDecoder::new(framing, max_body) {
            assert_eq!((error, length > max_body as u64), (BodyError::TooLarge, true));
            return;
        }
    }
    let rest = &bytes[head_len..];
    let whole = read_body(framing, max_body, vec![rest.to_vec()]);
    let split = read_body(framing, max_body, splits.cut(rest));
    match (&whole, &split) {
        // The body bytes before an error depend on where the input was cut; the error does not.
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => assert_eq!(whole, split, "whole vs chunked body"),
    }
});
