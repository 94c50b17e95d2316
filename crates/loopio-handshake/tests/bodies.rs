//! Body decoding: Content-Length and chunked, fed whole, byte by byte and split everywhere.

mod common;

use common::decode_all_ways;
use loopio_handshake::{BodyDecoder, BodyError, BodyFraming};

const MAX: usize = 1 << 16;

fn chunked(input: &[u8]) -> common::Decoded {
    decode_all_ways(BodyFraming::Chunked, MAX, input)
}

fn body(bytes: &[u8], consumed: usize) -> common::Decoded {
    Ok((bytes.to_vec(), consumed, true))
}

#[test]
fn content_length_body_stops_at_its_length() {
    let input = b"4hello\x00GET / HTTP/1.1\r\n";
    let result = decode_all_ways(BodyFraming::ContentLength(6), MAX, input);
    assert_eq!(result, body(b"4hello", 6));
}

#[test]
fn content_length_waits_for_all_bytes() {
    let result = decode_all_ways(BodyFraming::ContentLength(10), MAX, b"12345");
    assert_eq!(result, Ok((b"12345".to_vec(), 5, false)));
}

#[test]
fn no_body_and_empty_body_are_done_at_once() {
    for framing in [BodyFraming::None, BodyFraming::ContentLength(0)] {
        let decoder = BodyDecoder::new(framing, 0).unwrap();
        assert!(decoder.is_done());
        assert_eq!(decode_all_ways(framing, 0, b"next"), body(b"", 0));
    }
}

#[test]
fn content_length_over_max_is_413_up_front() {
    assert_eq!(
        BodyDecoder::new(BodyFraming::ContentLength(11), 10).err(),
        Some(BodyError::TooLarge)
    );
    assert!(BodyDecoder::new(BodyFraming::ContentLength(10), 10).is_ok());
    let huge = BodyFraming::ContentLength(u64::MAX);
    assert_eq!(
        BodyDecoder::new(huge, usize::MAX).map(|d| d.is_done()).ok(),
        Some(false)
    );
}

#[test]
fn chunked_body_from_rfc_9112_shape() {
    let input = b"4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\nNEXT";
    assert_eq!(
        chunked(input),
        body(b"Wikipedia in\r\n\r\nchunks.", input.len() - 4)
    );
}

#[test]
fn chunk_extensions_are_ignored() {
    let input = b"3;name=value;flag\r\nabc\r\n2 ; a=\"q;\\\"x\"\r\nde\r\n0;last\r\n\r\n";
    assert_eq!(chunked(input), body(b"abcde", input.len()));
}

#[test]
fn trailers_are_skipped() {
    let input = b"1\r\nx\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n";
    assert_eq!(chunked(input), body(b"x", input.len()));
}

#[test]
fn hex_sizes_any_case_and_leading_zeros() {
    let mut input = b"a\r\n0123456789\r\n0000000B\r\n".to_vec();
    input.extend_from_slice(&[b'y'; 11]);
    input.extend_from_slice(b"\r\n00\r\n\r\n");
    let mut expected = b"0123456789".to_vec();
    expected.extend_from_slice(&[b'y'; 11]);
    assert_eq!(chunked(&input), body(&expected, input.len()));
}

#[test]
fn empty_chunked_body() {
    assert_eq!(chunked(b"0\r\n\r\n"), body(b"", 5));
}

#[test]
fn chunked_over_max_is_413_before_reading_data() {
    assert_eq!(
        decode_all_ways(BodyFraming::Chunked, 4, b"5\r\nhello\r\n0\r\n\r\n"),
        Err(BodyError::TooLarge)
    );
    assert_eq!(
        decode_all_ways(BodyFraming::Chunked, 5, b"3\r\nabc\r\n3\r\ndef\r\n"),
        Err(BodyError::TooLarge)
    );
    assert_eq!(
        decode_all_ways(
            BodyFraming::Chunked,
            6,
            b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
        ),
        body(b"abcdef", 21)
    );
    // A huge size is refused at its first digits, long before it could overflow.
    assert_eq!(chunked(b"fffffffffffffffff"), Err(BodyError::TooLarge));
    assert_eq!(BodyError::TooLarge.status(), 413);
}

#[test]
fn chunk_size_digits_are_bounded() {
    let seventeen = b"00000000000000001\r\nx\r\n0\r\n\r\n";
    assert_eq!(chunked(seventeen), Err(BodyError::InvalidChunkSize));
    let sixteen = b"0000000000000001\r\nx\r\n0\r\n\r\n";
    assert_eq!(chunked(sixteen), body(b"x", sixteen.len()));
}

#[test]
fn malformed_chunk_framing_is_400() {
    use BodyError::*;
    let cases: &[(&[u8], BodyError)] = &[
        (b"\r\n", InvalidChunkSize),
        (b";ext\r\n", InvalidChunkSize),
        (b"g\r\n", InvalidChunkSize),
        (b"-1\r\n", InvalidChunkSize),
        (b"0x5\r\n", InvalidChunkSize),
        (b"5\n", InvalidChunkSize),
        (b"5\r\r", InvalidChunkLine),
        (b"5 \r\n", InvalidChunkLine),
        (b"5 x\r\n", InvalidChunkLine),
        (b"5;a\x00\r\n", InvalidChunkLine),
        (b"5;a\nb\r\n", InvalidChunkLine),
        (b"3\r\nabcX", InvalidChunkLine),
        (b"3\r\nabc\rX", InvalidChunkLine),
        (b"3\r\nabc\n", InvalidChunkLine),
        (b"0\r\nX: 1\n", InvalidTrailer),
        (b"0\r\n\n", InvalidTrailer),
        (b"0\r\nX: 1\r\r", InvalidTrailer),
        (b"0\r\n\rX", InvalidTrailer),
    ];
    for (input, err) in cases {
        assert_eq!(chunked(input), Err(*err), "{}", input.escape_ascii());
        assert_eq!(err.status(), 400);
    }
}

#[test]
fn long_chunk_lines_and_trailers_are_bounded() {
    let mut line = b"1;".to_vec();
    line.resize(5000, b'a');
    let mut decoder = BodyDecoder::new(BodyFraming::Chunked, MAX).unwrap();
    assert_eq!(
        decoder.decode(&line, &mut Vec::new()),
        Err(BodyError::ChunkLineTooLong)
    );

    let mut trailers = b"0\r\n".to_vec();
    for _ in 0..1000 {
        trailers.extend_from_slice(b"X-Pad: 0123456789\r\n");
    }
    let mut decoder = BodyDecoder::new(BodyFraming::Chunked, MAX).unwrap();
    assert_eq!(
        decoder.decode(&trailers, &mut Vec::new()),
        Err(BodyError::TrailersTooLarge)
    );
    assert_eq!(BodyError::TrailersTooLarge.status(), 431);
}

#[test]
fn done_decoder_consumes_nothing_more() {
    let mut decoder = BodyDecoder::new(BodyFraming::Chunked, MAX).unwrap();
    let mut out = Vec::new();
    assert_eq!(decoder.decode(b"0\r\n\r\n", &mut out), Ok((5, true)));
    assert_eq!(decoder.decode(b"1\r\nx\r\n", &mut out), Ok((0, true)));
    assert!(out.is_empty());
}

#[test]
fn output_is_bounded_by_max_whatever_the_input() {
    let mut rng = common::Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let len = rng.below(64);
        let alphabet = b"0123456789abcdefABCDEF;= \r\n\t\"x";
        let input: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let mut decoder = BodyDecoder::new(BodyFraming::Chunked, 16).unwrap();
        let mut out = Vec::new();
        if let Ok((n, _)) = decoder.decode(&input, &mut out) {
            assert!(n <= input.len());
        }
        assert!(out.len() <= 16);
    }
}
