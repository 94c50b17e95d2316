//! `loopio_handshake::parse_server_response` (and `_with_protocols`) at random splits.
//!
//! Input: `[config] [split count] [split seeds...] [response bytes...]`. `config` bits 0-1 pick
//! the offered subprotocols, bits 2-3 the limits. The key is the RFC 6455 §1.3 sample.
//!
//! Invariants:
//! - split-invariance: `Partial` until the first other result, which every longer prefix and
//!   the whole input repeat;
//! - `head_len <= input length`;
//! - an accepted response carries exactly one `Sec-WebSocket-Accept` equal to the key's accept
//!   value, and its subprotocol (if any) is one that was offered;
//! - `parse_server_response` is `parse_server_response_with_protocols` with none offered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loopio_fuzz::{Input, Splits};
use loopio_handshake::{
    parse_server_response, parse_server_response_with_protocols, ClientError, Limits, Parsed,
    ServerAccept,
};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &[u8] = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

type Outcome = Result<Parsed<ServerAccept>, ClientError>;

fn check_accepted(value: &ServerAccept, offered: &[&str]) {
    let accepts: Vec<&[u8]> = value
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("sec-websocket-accept"))
        .map(|h| h.value.as_slice())
        .collect();
    assert_eq!(accepts, [ACCEPT], "accepted with the wrong Sec-WebSocket-Accept");
    if let Some(protocol) = &value.protocol {
        assert!(offered.contains(&protocol.as_str()), "{protocol:?} not offered");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let config = input.byte();
    let offered: &[&str] = [&[][..], &["chat"], &["chat", "superchat"], &["a", "b", "c"]]
        [usize::from(config & 3)];
    let limits = [
        Limits::default(),
        Limits { max_head_bytes: 64, max_headers: 3 },
        Limits { max_head_bytes: 1, max_headers: 0 },
        Limits { max_head_bytes: 1 << 20, max_headers: 200 },
    ][usize::from(config >> 2 & 3)];
    let splits = Splits::read(&mut input);
    let bytes = input.rest();

    let parse = |buf: &[u8]| -> Outcome {
        parse_server_response_with_protocols(buf, KEY, offered, &limits)
    };
    if offered.is_empty() {
        assert_eq!(parse_server_response(bytes, KEY, &limits), parse(bytes));
    }
    let whole = parse(bytes);
    if let Ok(Parsed::Complete { value, head_len }) = &whole {
        assert!(*head_len <= bytes.len());
        check_accepted(value, offered);
    }
    let mut settled = false;
    for end in splits.prefix_ends(bytes.len()) {
        let result = parse(&bytes[..end]);
        if result == Ok(Parsed::Partial) {
            assert!(!settled, "Partial after a result, at {end}");
            continue;
        }
        settled = true;
        assert_eq!(result, whole, "prefix of {end} vs whole");
    }
});
