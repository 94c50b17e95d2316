//! Request-head rules: limits, syntax, Host, targets, keep-alive, framing and query parameters.
//! Every head is parsed whole and at every prefix length.

mod common;

use common::parse_all_ways;
use loopio_handshake::{
    find_head_end, parse_request, BodyFraming, Limits, Parsed, Request, RequestError, Syntax,
};

fn parse_with(bytes: &[u8], limits: Limits) -> Result<Parsed<Request>, RequestError> {
    let result = parse_all_ways(bytes, |b| parse_request(b, &limits));
    // The fast end finder agrees with the parser on every prefix of a valid head.
    if let Ok(Parsed::Complete { head_len, .. }) = result {
        for end in 0..head_len {
            assert_eq!(find_head_end(&bytes[..end]), None, "{end}");
        }
        assert_eq!(find_head_end(bytes), Some(head_len));
    }
    result
}

fn parse(bytes: &[u8]) -> Result<Request, RequestError> {
    match parse_with(bytes, Limits::default())? {
        Parsed::Complete { value, .. } => Ok(value),
        Parsed::Partial => panic!("incomplete fixture"),
    }
}

fn with_headers(headers: &str) -> Vec<u8> {
    format!("POST /p HTTP/1.1\r\nHost: h\r\n{headers}\r\n").into_bytes()
}

fn framing(headers: &str) -> Result<BodyFraming, RequestError> {
    parse(&with_headers(headers)).and_then(|r| r.body_framing())
}

#[test]
fn minimal_request() {
    let req = parse(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(
        (req.path.as_str(), req.query.as_str(), req.version),
        ("/", "", 1)
    );
    assert_eq!(req.headers.len(), 1);
}

#[test]
fn http_1_0_needs_no_host() {
    let req = parse(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(req.version, 0);
}

#[test]
fn bytes_after_the_head_are_not_part_of_it() {
    let bytes = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\x81\x85\x37\xfa";
    let Ok(Parsed::Complete { head_len, .. }) = parse_with(bytes, Limits::default()) else {
        panic!()
    };
    assert_eq!(head_len, bytes.len() - 4);
}

#[test]
fn leading_blank_lines_are_skipped() {
    // RFC 9112 §2.2: "SHOULD ignore at least one empty line (CRLF) received prior to the
    // request-line".
    let req = parse(b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(req.path, "/");
}

#[test]
fn header_values_are_trimmed_and_names_keep_their_case() {
    let req = parse(b"GET / HTTP/1.1\r\nHost: a\r\nX-Thing: \t spaced \t\r\n\r\n").unwrap();
    assert_eq!(req.headers[1].name, "X-Thing");
    assert_eq!(req.header("x-thing"), Some("spaced"));
}

#[test]
fn header_skips_values_that_are_not_utf8() {
    let req = parse(b"GET / HTTP/1.1\r\nHost: a\r\nX: \xff\r\nX: ok\r\n\r\n").unwrap();
    assert_eq!(req.header("x"), Some("ok"));
    assert_eq!(req.header_values("x").count(), 2);
}

// --- limits: 431 ---

#[test]
fn head_growing_past_the_limit_is_431() {
    let limits = Limits {
        max_head_bytes: 64,
        max_headers: 8,
    };
    let mut bytes = b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: ".to_vec();
    bytes.resize(200, b'a'); // never ends
    assert_eq!(parse_with(&bytes, limits), Err(RequestError::HeadTooLarge));
    assert_eq!(parse_request(&bytes[..63], &limits), Ok(Parsed::Partial));
    assert_eq!(RequestError::HeadTooLarge.status(), 431);
}

#[test]
fn complete_head_over_the_limit_is_431_and_at_the_limit_is_fine() {
    let bytes = b"GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789\r\n\r\n";
    let exact = Limits {
        max_head_bytes: bytes.len(),
        max_headers: 8,
    };
    assert!(matches!(
        parse_with(bytes, exact),
        Ok(Parsed::Complete { .. })
    ));
    let under = Limits {
        max_head_bytes: bytes.len() - 1,
        max_headers: 8,
    };
    assert_eq!(parse_with(bytes, under), Err(RequestError::HeadTooLarge));
}

#[test]
fn body_bytes_do_not_count_against_the_head_limit() {
    let mut bytes = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\n".to_vec();
    let limits = Limits {
        max_head_bytes: bytes.len(),
        max_headers: 8,
    };
    bytes.resize(bytes.len() + 500, b'x');
    assert!(matches!(
        parse_request(&bytes, &limits),
        Ok(Parsed::Complete { .. })
    ));
}

#[test]
fn too_many_headers_is_431() {
    let limits = Limits {
        max_head_bytes: 8 << 10,
        max_headers: 3,
    };
    let ok = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
    assert!(matches!(
        parse_with(ok, limits),
        Ok(Parsed::Complete { .. })
    ));
    let over = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    assert_eq!(parse_with(over, limits), Err(RequestError::TooManyHeaders));
    assert_eq!(RequestError::TooManyHeaders.status(), 431);
}

#[test]
fn header_limit_above_the_stack_array_still_works() {
    let limits = Limits {
        max_head_bytes: 64 << 10,
        max_headers: 300,
    };
    let mut head = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
    for i in 0..250 {
        head.push_str(&format!("X-{i}: {i}\r\n"));
    }
    head.push_str("\r\n");
    let Ok(Parsed::Complete { value, .. }) = parse_request(head.as_bytes(), &limits) else {
        panic!()
    };
    assert_eq!(value.headers.len(), 251);
}

// --- syntax: 400 ---

#[test]
fn malformed_heads_are_400() {
    let cases: &[(&[u8], Syntax)] = &[
        (b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", Syntax::RequestLine),
        (b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", Syntax::Version),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", Syntax::Version),
        (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", Syntax::Version),
        (b"GET / FTP/1.1\r\nHost: a\r\n\r\n", Syntax::Version),
        (b"GET / HTTP/1.1\r\nHo st: a\r\n\r\n", Syntax::HeaderName),
        (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", Syntax::HeaderName),
        (
            b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
            Syntax::HeaderValue,
        ),
        (b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", Syntax::HeaderValue),
        (b"GET / HTTP/1.1\rHost: a\r\n\r\n", Syntax::LineEnding),
    ];
    for (bytes, syntax) in cases {
        let result = parse_with(bytes, Limits::default());
        assert_eq!(
            result,
            Err(RequestError::Syntax(*syntax)),
            "{}",
            bytes.escape_ascii()
        );
        assert_eq!(result.unwrap_err().status(), 400);
    }
}

#[test]
fn obsolete_line_folding_is_refused() {
    let result = parse_with(
        b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n",
        Limits::default(),
    );
    assert!(matches!(result, Err(RequestError::Syntax(_))), "{result:?}");
}

// --- Host: RFC 9112 §3.2 ---

#[test]
fn host_is_required_once_in_http_1_1() {
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\n\r\n"),
        Err(RequestError::MissingHost)
    );
    let two = b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n";
    assert_eq!(parse(two), Err(RequestError::DuplicateHost));
    let two_in_1_0 = b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n";
    assert_eq!(parse(two_in_1_0), Err(RequestError::DuplicateHost));
}

// --- targets ---

fn target(target: &str) -> Result<(String, String), RequestError> {
    let req = parse(format!("OPTIONS {target} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes())?;
    Ok((req.path, req.query))
}

#[test]
fn targets_split_into_path_and_query() {
    let split = |p: &str, q: &str| Ok((p.to_owned(), q.to_owned()));
    assert_eq!(
        target("/socket.io/?EIO=4&t=x"),
        split("/socket.io/", "EIO=4&t=x")
    );
    assert_eq!(target("/a?"), split("/a", ""));
    assert_eq!(target("/a?b?c"), split("/a", "b?c"));
    assert_eq!(target("*"), split("*", ""));
    assert_eq!(
        target("http://example.com:80/x/y?z=1"),
        split("/x/y", "z=1")
    );
    assert_eq!(target("HTTP://example.com"), split("/", ""));
    assert_eq!(target("http://example.com?q"), split("/", "q"));
}

#[test]
fn bad_targets_are_400() {
    for bad in [
        "a/b",
        "example.com:443",
        "/a#frag",
        "1http://x/",
        "://x/",
        "**",
    ] {
        assert_eq!(target(bad), Err(RequestError::InvalidTarget), "{bad}");
    }
    assert_eq!(RequestError::InvalidTarget.status(), 400);
}

// --- keep-alive: RFC 9112 §9.3 ---

#[test]
fn keep_alive_defaults_and_connection_options() {
    let cases = [
        ("1.1", "", true),
        ("1.1", "Connection: close\r\n", false),
        ("1.1", "Connection: Keep-Alive\r\n", true),
        ("1.1", "Connection: keep-alive, CLOSE\r\n", false),
        ("1.1", "Connection: upgrade\r\nConnection: close\r\n", false),
        ("1.1", "Connection: closed\r\n", true),
        ("1.0", "", false),
        ("1.0", "Connection: keep-alive\r\n", true),
        ("1.0", "Connection: Upgrade, Keep-Alive\r\n", true),
        ("1.0", "Connection: keep-alive, close\r\n", false),
    ];
    for (version, headers, keep) in cases {
        let head = format!("GET / HTTP/{version}\r\nHost: a\r\n{headers}\r\n");
        assert_eq!(parse(head.as_bytes()).unwrap().keep_alive(), keep, "{head}");
    }
}

// --- body framing: RFC 9112 §6 ---

#[test]
fn framing_from_content_length_and_chunked() {
    assert_eq!(framing(""), Ok(BodyFraming::None));
    assert_eq!(
        framing("Content-Length: 0\r\n"),
        Ok(BodyFraming::ContentLength(0))
    );
    assert_eq!(
        framing("Content-Length: 042\r\n"),
        Ok(BodyFraming::ContentLength(42))
    );
    assert_eq!(
        framing("Transfer-Encoding: chunked\r\n"),
        Ok(BodyFraming::Chunked)
    );
    assert_eq!(
        framing("Transfer-Encoding: Chunked\r\n"),
        Ok(BodyFraming::Chunked)
    );
    let max = format!("Content-Length: {}\r\n", u64::MAX);
    assert_eq!(framing(&max), Ok(BodyFraming::ContentLength(u64::MAX)));
}

#[test]
fn identical_content_lengths_are_one() {
    assert_eq!(
        framing("Content-Length: 5, 5\r\n"),
        Ok(BodyFraming::ContentLength(5))
    );
    let twice = "Content-Length: 5\r\nContent-Length: 5\r\n";
    assert_eq!(framing(twice), Ok(BodyFraming::ContentLength(5)));
}

#[test]
fn smuggling_shapes_are_refused() {
    use RequestError::*;
    let cases = [
        (
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            ContentLengthWithTransferEncoding,
        ),
        (
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            ContentLengthWithTransferEncoding,
        ),
        (
            "Content-Length: 5\r\nContent-Length: 6\r\n",
            ConflictingContentLength,
        ),
        ("Content-Length: 5, 6\r\n", ConflictingContentLength),
        ("Content-Length: -1\r\n", InvalidContentLength),
        ("Content-Length: +5\r\n", InvalidContentLength),
        ("Content-Length: 0x10\r\n", InvalidContentLength),
        ("Content-Length: 5 5\r\n", InvalidContentLength),
        ("Content-Length: \r\n", InvalidContentLength),
        ("Content-Length: ,\r\n", InvalidContentLength),
        (
            "Content-Length: 18446744073709551616\r\n",
            InvalidContentLength,
        ),
        (
            "Transfer-Encoding: chunked, identity\r\n",
            InvalidTransferEncoding,
        ),
        ("Transfer-Encoding: gzip\r\n", InvalidTransferEncoding),
        (
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            InvalidTransferEncoding,
        ),
        (
            "Transfer-Encoding: chunked, chunked\r\n",
            InvalidTransferEncoding,
        ),
        ("Transfer-Encoding: \r\n", InvalidTransferEncoding),
        ("Transfer-Encoding: xchunked\r\n", InvalidTransferEncoding),
        (
            "Transfer-Encoding: chunked;q=1\r\n",
            InvalidTransferEncoding,
        ),
        (
            "Transfer-Encoding: gzip, chunked\r\n",
            UnsupportedTransferCoding,
        ),
        (
            "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
            UnsupportedTransferCoding,
        ),
    ];
    for (headers, err) in cases {
        assert_eq!(framing(headers), Err(err), "{headers:?}");
        // parse_request refuses the same heads, so no caller can forget the check.
        assert_eq!(parse(&with_headers(headers)), Err(err), "{headers:?}");
        assert_eq!(
            err.status(),
            if err == UnsupportedTransferCoding {
                501
            } else {
                400
            }
        );
    }
}

#[test]
fn transfer_encoding_in_http_1_0_is_refused() {
    let head = b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(parse(head), Err(RequestError::TransferEncodingInHttp10));
}

#[test]
fn body_framing_rechecks_hand_built_requests() {
    let mut req = parse(b"POST / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    req.headers.push(loopio_handshake::Header {
        name: "Content-Length".into(),
        value: b"x".to_vec(),
    });
    assert_eq!(req.body_framing(), Err(RequestError::InvalidContentLength));
}

// --- query parameters ---

fn query(q: &str, name: &str) -> Option<String> {
    parse(format!("GET /?{q} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes())
        .unwrap()
        .query_param(name)
}

#[test]
fn query_params_are_percent_decoded() {
    assert_eq!(query("a=1&b=2", "b").as_deref(), Some("2"));
    assert_eq!(query("a=1&a=2", "a").as_deref(), Some("1"));
    assert_eq!(query("a=x%20y+z", "a").as_deref(), Some("x y z"));
    assert_eq!(query("a=%C3%A9%e2%82%ac", "a").as_deref(), Some("é€"));
    assert_eq!(query("my%20key=v", "my key").as_deref(), Some("v"));
    assert_eq!(query("flag&x=1", "flag").as_deref(), Some(""));
    assert_eq!(query("a==b", "a").as_deref(), Some("=b"));
    assert_eq!(query("a=1", "b"), None);
    assert_eq!(query("a=1", "A"), None);
}

#[test]
fn bad_escapes_stay_literal() {
    assert_eq!(query("a=%", "a").as_deref(), Some("%"));
    assert_eq!(query("a=%4", "a").as_deref(), Some("%4"));
    assert_eq!(query("a=%zz%41", "a").as_deref(), Some("%zzA"));
    assert_eq!(query("a=%%41", "a").as_deref(), Some("%A"));
    assert_eq!(query("a=100%", "a").as_deref(), Some("100%"));
}

#[test]
fn invalid_utf8_after_decoding_becomes_replacement() {
    assert_eq!(query("a=%FF%41", "a").as_deref(), Some("\u{fffd}A"));
}

// --- find_head_end ---

#[test]
fn find_head_end_variants() {
    assert_eq!(find_head_end(b""), None);
    assert_eq!(find_head_end(b"\r\n\r\n"), None);
    assert_eq!(find_head_end(b"GET / HTTP/1.0\n\n"), Some(16));
    assert_eq!(find_head_end(b"GET / HTTP/1.0\n\r\nrest"), Some(17));
    assert_eq!(find_head_end(b"\r\nGET / HTTP/1.0\r\n\r\n"), Some(20));
    assert_eq!(find_head_end(b"GET / HTTP/1.0\r\nA: b\r\r\n"), None);
}

#[test]
fn bare_lf_heads_parse_like_crlf_heads() {
    // RFC 9112 §2.2: a recipient "MAY recognize a single LF as a line terminator".
    let req = parse(b"GET /x HTTP/1.1\nHost: a\n\n").unwrap();
    assert_eq!(req.header("host"), Some("a"));
}
