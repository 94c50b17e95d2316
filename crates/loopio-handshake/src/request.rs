//! Request heads: parsing, the target, headers, query parameters, keep-alive and body framing.

use std::fmt;

use crate::body::BodyFraming;
use crate::tokens::{list_contains, list_items, trim_ows};
use crate::{Header, Limits, Parsed};

/// Header slots parsed on the stack; [`Limits::max_headers`] above this allocates them instead.
const STACK_HEADERS: usize = 128;

/// A parsed HTTP/1.1 request head (owned; built once per request).
///
/// `Display` prints the head as text, one line per header, for traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, `OPTIONS`, ...
    pub method: String,
    /// Path part of the target, without the query (`/socket.io/`). For an absolute-form target
    /// (`http://host/path`) this is the path alone; for the asterisk form it is `*`.
    pub path: String,
    /// Raw query string without the `?` (may be empty).
    pub query: String,
    /// Minor HTTP version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub version: u8,
    /// All headers in order.
    pub headers: Vec<Header>,
}

impl Request {
    /// First header named `name` (case-insensitive) whose value is valid UTF-8.
    ///
    /// ```
    /// # use loopio_handshake::{parse_request, Limits, Parsed};
    /// let head = b"GET / HTTP/1.1\r\nHost: a.test\r\nUser-Agent: curl/8.5.0\r\n\r\n";
    /// let Ok(Parsed::Complete { value: req, .. }) = parse_request(head, &Limits::default())
    /// else { panic!() };
    /// assert_eq!(req.header("user-agent"), Some("curl/8.5.0"));
    /// assert_eq!(req.header("Cookie"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name)
            .find_map(|value| std::str::from_utf8(value).ok())
    }

    /// Raw values of every header named `name` (case-insensitive), in order.
    ///
    /// ```
    /// # use loopio_handshake::{parse_request, Limits, Parsed};
    /// let head = b"GET / HTTP/1.1\r\nHost: a\r\nAccept: a/b\r\nAccept: c/d\r\n\r\n";
    /// let Ok(Parsed::Complete { value: req, .. }) = parse_request(head, &Limits::default())
    /// else { panic!() };
    /// let values: Vec<&[u8]> = req.header_values("accept").collect();
    /// assert_eq!(values, [&b"a/b"[..], &b"c/d"[..]]);
    /// ```
    pub fn header_values<'a: 'n, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a [u8]> + 'n {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
    }

    /// First query parameter `name`, percent-decoded.
    ///
    /// Names are compared after decoding; `+` decodes to a space (HTML form encoding); a `%` not
    /// followed by two hex digits is kept as it is; bytes that do not form UTF-8 after decoding
    /// become U+FFFD. A parameter without `=` has the empty value.
    ///
    /// ```
    /// # use loopio_handshake::{parse_request, Limits, Parsed};
    /// let head = b"GET /socket.io/?EIO=4&transport=polling&t=Ox3k1&q=a+b%21%zz HTTP/1.1\r\n\
    ///              Host: a\r\n\r\n";
    /// let Ok(Parsed::Complete { value: req, .. }) = parse_request(head, &Limits::default())
    /// else { panic!() };
    /// assert_eq!(req.query_param("EIO").as_deref(), Some("4"));
    /// assert_eq!(req.query_param("q").as_deref(), Some("a b!%zz"));
    /// assert_eq!(req.query_param("sid"), None);
    /// ```
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !percent_decode(key.as_bytes()).eq(name.bytes()) {
                return None;
            }
            let bytes: Vec<u8> = percent_decode(value.as_bytes()).collect();
            Some(String::from_utf8(bytes).unwrap_or_else(|e| lossy(e.as_bytes())))
        })
    }

    /// Whether the connection stays open after the response.
    ///
    /// HTTP/1.1 persists unless a `Connection` header has the `close` option; HTTP/1.0 persists
    /// only with `keep-alive` (RFC 9112 §9.3).
    ///
    /// ```
    /// # use loopio_handshake::{parse_request, Limits, Parsed};
    /// let head = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n";
    /// let Ok(Parsed::Complete { value: req, .. }) = parse_request(head, &Limits::default())
    /// else { panic!() };
    /// assert!(!req.keep_alive());
    /// ```
    pub fn keep_alive(&self) -> bool {
        let mut close = false;
        let mut keep_alive = false;
        for value in self.header_values("connection") {
            close |= list_contains(value, "close");
            keep_alive |= list_contains(value, "keep-alive");
        }
        !close && (self.version >= 1 || keep_alive)
    }

    /// How the request body is delimited (RFC 9112 §6.3).
    ///
    /// Refuses every ambiguous framing, the usual request-smuggling vectors: both
    /// `Content-Length` and `Transfer-Encoding`, differing or non-numeric `Content-Length`s,
    /// `Transfer-Encoding` in HTTP/1.0, and `chunked` missing, repeated or not last. Codings
    /// other than `chunked` are answered with 501. [`parse_request`] already runs this check.
    ///
    /// ```
    /// # use loopio_handshake::{parse_request, BodyFraming, Limits, Parsed};
    /// let head = b"POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\n\
    ///              Content-Length: 6\r\n\r\n4hello";
    /// let Ok(Parsed::Complete { value: req, .. }) = parse_request(head, &Limits::default())
    /// else { panic!() };
    /// assert_eq!(req.body_framing(), Ok(BodyFraming::ContentLength(6)));
    /// ```
    pub fn body_framing(&self) -> Result<BodyFraming, RequestError> {
        let mut length = None;
        let mut encoding = TransferEncoding::default();
        for header in &self.headers {
            if header.name.eq_ignore_ascii_case("content-length") {
                let value = parse_content_length(&header.value)?;
                if length.is_some_and(|previous| previous != value) {
                    return Err(RequestError::ConflictingContentLength);
                }
                length = Some(value);
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                encoding.add(&header.value);
            }
        }
        if !encoding.present {
            return Ok(length.map_or(BodyFraming::None, BodyFraming::ContentLength));
        }
        // "A server or client that receives an HTTP/1.0 message containing a Transfer-Encoding
        // header field MUST treat the message as if the framing is faulty" (RFC 9112 §6.1).
        if self.version == 0 {
            return Err(RequestError::TransferEncodingInHttp10);
        }
        // Both headers "ought to be handled as an error" (RFC 9112 §6.3).
        if length.is_some() {
            return Err(RequestError::ContentLengthWithTransferEncoding);
        }
        encoding.framing()
    }

    /// RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any
    /// HTTP/1.1 request message that lacks a Host header field and to any request message that
    /// contains more than one Host header field line".
    fn check_host(&self) -> Result<(), RequestError> {
        match self.header_values("host").count() {
            0 if self.version >= 1 => Err(RequestError::MissingHost),
            0 | 1 => Ok(()),
            _ => Err(RequestError::DuplicateHost),
        }
    }
}

impl fmt::Display for Request {
    /// The head as text: request line, then `Name: value` lines (bytes that are not UTF-8
    /// shown as U+FFFD), without the final blank line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        write!(f, " HTTP/1.{}", self.version)?;
        for header in &self.headers {
            write!(
                f,
                "\n{}: {}",
                header.name,
                String::from_utf8_lossy(&header.value)
            )?;
        }
        Ok(())
    }
}

/// `Transfer-Encoding` codings seen across all its header lines.
#[derive(Default)]
struct TransferEncoding {
    present: bool,
    chunked: u32,
    last_is_chunked: bool,
    other: bool,
}

impl TransferEncoding {
    fn add(&mut self, value: &[u8]) {
        self.present = true;
        for coding in list_items(value) {
            // A coding may carry parameters (`gzip;q=1`); only bare `chunked` is chunked.
            let is_chunked = coding.eq_ignore_ascii_case(b"chunked");
            self.chunked += u32::from(is_chunked);
            self.other |= !is_chunked;
            self.last_is_chunked = is_chunked;
        }
    }

    fn framing(&self) -> Result<BodyFraming, RequestError> {
        // "If any transfer coding other than chunked is applied to a request's content, the
        // sender MUST apply chunked as the final transfer coding"; "a sender MUST NOT apply the
        // chunked transfer coding more than once" (RFC 9112 §6.1, §7).
        if !self.last_is_chunked || self.chunked > 1 {
            return Err(RequestError::InvalidTransferEncoding);
        }
        if self.other {
            return Err(RequestError::UnsupportedTransferCoding);
        }
        Ok(BodyFraming::Chunked)
    }
}

/// `Content-Length = 1*DIGIT`; a list of identical values is accepted as one (RFC 9110 §8.6).
fn parse_content_length(value: &[u8]) -> Result<u64, RequestError> {
    let mut length = None;
    for item in list_items(value) {
        let value = parse_decimal(item).ok_or(RequestError::InvalidContentLength)?;
        if length.is_some_and(|previous| previous != value) {
            return Err(RequestError::ConflictingContentLength);
        }
        length = Some(value);
    }
    length.ok_or(RequestError::InvalidContentLength)
}

fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = u64::from(b.checked_sub(b'0').filter(|d| *d < 10)?);
        n.checked_mul(10)?.checked_add(digit)
    })
}

/// Why a request head was refused; [`RequestError::status`] gives the HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The head is not HTTP/1.x syntax (400).
    Syntax(Syntax),
    /// The head did not end within [`Limits::max_head_bytes`] (431).
    HeadTooLarge,
    /// More than [`Limits::max_headers`] header lines (431).
    TooManyHeaders,
    /// The target is neither origin-form (`/path?query`), absolute-form (`http://host/path`)
    /// nor `*`, or it carries a `#fragment` (400).
    InvalidTarget,
    /// HTTP/1.1 without `Host` (400).
    MissingHost,
    /// More than one `Host` line (400).
    DuplicateHost,
    /// A `Content-Length` that is not a decimal number fitting in 64 bits (400).
    InvalidContentLength,
    /// `Content-Length` values that differ (400).
    ConflictingContentLength,
    /// Both `Content-Length` and `Transfer-Encoding` (400).
    ContentLengthWithTransferEncoding,
    /// `Transfer-Encoding` in an HTTP/1.0 request (400).
    TransferEncodingInHttp10,
    /// `Transfer-Encoding` without `chunked` as its last coding, or with it twice (400).
    InvalidTransferEncoding,
    /// A transfer coding other than `chunked`, such as `gzip` (501).
    UnsupportedTransferCoding,
}

/// Which part of a head broke HTTP/1.x syntax (from `httparse::Error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Syntax {
    /// A byte not allowed in the method or the target.
    RequestLine,
    /// Not `HTTP/1.0` or `HTTP/1.1`.
    Version,
    /// A malformed status code or reason phrase (responses).
    StatusLine,
    /// A byte not allowed in a header name.
    HeaderName,
    /// A byte not allowed in a header value.
    HeaderValue,
    /// A CR not followed by LF.
    LineEnding,
}

impl RequestError {
    /// The status code to answer with: 400, 431 or 501.
    ///
    /// ```
    /// # use loopio_handshake::{parse_request, Limits};
    /// let err = parse_request(b"GET / HTTP/1.1\r\n\r\n", &Limits::default()).unwrap_err();
    /// assert_eq!(err.status(), 400); // no Host
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            RequestError::HeadTooLarge | RequestError::TooManyHeaders => 431,
            RequestError::UnsupportedTransferCoding => 501,
            _ => 400,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            RequestError::Syntax(syntax) => return write!(f, "malformed head: {syntax}"),
            RequestError::HeadTooLarge => "request head too large",
            RequestError::TooManyHeaders => "too many header lines",
            RequestError::InvalidTarget => "invalid request target",
            RequestError::MissingHost => "missing Host header",
            RequestError::DuplicateHost => "more than one Host header",
            RequestError::InvalidContentLength => "invalid Content-Length",
            RequestError::ConflictingContentLength => "conflicting Content-Length values",
            RequestError::ContentLengthWithTransferEncoding => {
                "both Content-Length and Transfer-Encoding"
            }
            RequestError::TransferEncodingInHttp10 => "Transfer-Encoding in an HTTP/1.0 request",
            RequestError::InvalidTransferEncoding => "chunked is not the single, final coding",
            RequestError::UnsupportedTransferCoding => "unsupported transfer coding",
        };
        f.write_str(text)
    }
}

impl std::error::Error for RequestError {}

impl fmt::Display for Syntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Syntax::RequestLine => "invalid byte in the request line",
            Syntax::Version => "unsupported HTTP version",
            Syntax::StatusLine => "invalid status line",
            Syntax::HeaderName => "invalid byte in a header name",
            Syntax::HeaderValue => "invalid byte in a header value",
            Syntax::LineEnding => "invalid line ending",
        })
    }
}

impl From<httparse::Error> for RequestError {
    fn from(err: httparse::Error) -> Self {
        let syntax = match err {
            httparse::Error::TooManyHeaders => return RequestError::TooManyHeaders,
            httparse::Error::Token => Syntax::RequestLine,
            httparse::Error::Version => Syntax::Version,
            httparse::Error::Status => Syntax::StatusLine,
            httparse::Error::HeaderName => Syntax::HeaderName,
            httparse::Error::HeaderValue => Syntax::HeaderValue,
            httparse::Error::NewLine => Syntax::LineEnding,
        };
        RequestError::Syntax(syntax)
    }
}

/// Parses a request head from the start of `buf`.
///
/// Returns [`Parsed::Partial`] while the head is incomplete and within
/// [`Limits::max_head_bytes`]; past that limit, or with more than [`Limits::max_headers`]
/// lines, [`RequestError::HeadTooLarge`] or [`RequestError::TooManyHeaders`] (431). Only
/// HTTP/1.0 and HTTP/1.1 are accepted. The host and body framing rules of
/// [`Request::body_framing`] are checked here, so a `Complete` request is safe to delimit.
///
/// ```
/// use loopio_handshake::{parse_request, Limits, Parsed};
///
/// let limits = Limits::default();
/// let bytes = b"GET /socket.io/?EIO=4&transport=polling&t=Ox3k1 HTTP/1.1\r\nHost: a\r\n\r\n";
/// assert_eq!(parse_request(&bytes[..20], &limits), Ok(Parsed::Partial));
/// let Ok(Parsed::Complete { value, head_len }) = parse_request(bytes, &limits) else { panic!() };
/// assert_eq!((value.path.as_str(), head_len), ("/socket.io/", bytes.len()));
/// assert_eq!(value.query, "EIO=4&transport=polling&t=Ox3k1");
/// ```
pub fn parse_request(buf: &[u8], limits: &Limits) -> Result<Parsed<Request>, RequestError> {
    // Parsing only the first `max_head_bytes` makes a longer head look incomplete.
    let window = &buf[..buf.len().min(limits.max_head_bytes)];
    let too_large = buf.len() >= limits.max_head_bytes;
    if limits.max_headers <= STACK_HEADERS {
        let mut slots = [httparse::EMPTY_HEADER; STACK_HEADERS];
        parse_window(window, too_large, &mut slots[..limits.max_headers])
    } else {
        let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
        parse_window(window, too_large, &mut slots)
    }
}

fn parse_window<'b>(
    window: &'b [u8],
    too_large: bool,
    slots: &mut [httparse::Header<'b>],
) -> Result<Parsed<Request>, RequestError> {
    let mut head = httparse::Request::new(slots);
    let head_len = match head.parse(window)? {
        httparse::Status::Complete(head_len) => head_len,
        httparse::Status::Partial if too_large => return Err(RequestError::HeadTooLarge),
        httparse::Status::Partial => return Ok(Parsed::Partial),
    };
    let value = owned_request(&head)?;
    value.check_host()?;
    value.body_framing()?;
    Ok(Parsed::Complete { value, head_len })
}

fn owned_request(head: &httparse::Request<'_, '_>) -> Result<Request, RequestError> {
    // httparse fills every field of a complete head.
    let (Some(method), Some(target), Some(version)) = (head.method, head.path, head.version) else {
        return Err(RequestError::Syntax(Syntax::RequestLine));
    };
    let (path, query) = split_target(target)?;
    Ok(Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        version,
        headers: owned_headers(head.headers),
    })
}

pub(crate) fn owned_headers(headers: &[httparse::Header<'_>]) -> Vec<Header> {
    headers
        .iter()
        .map(|h| Header {
            name: h.name.to_owned(),
            value: trim_ows(h.value).to_vec(),
        })
        .collect()
}

/// Splits a request target (RFC 9112 §3.2) into its path and query.
fn split_target(target: &str) -> Result<(&str, &str), RequestError> {
    // A fragment is never sent in a request target; one here is a broken or hostile client.
    if target.contains('#') {
        return Err(RequestError::InvalidTarget);
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path.starts_with('/') || target == "*" {
        return Ok((path, query));
    }
    // absolute-form, which "a server MUST accept" (RFC 9112 §3.2.2): scheme "://" authority path.
    let (scheme, rest) = path.split_once("://").ok_or(RequestError::InvalidTarget)?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok {
        return Err(RequestError::InvalidTarget);
    }
    Ok((rest.find('/').map_or("/", |slash| &rest[slash..]), query))
}

/// Where the head at the start of `buf` ends (just past its blank line), or `None` if no blank
/// line has arrived yet.
///
/// A cheap check before [`parse_request`] on every read. Blank lines before the request line
/// are skipped, as `parse_request` does; bare-LF line endings are recognised as well. It does
/// not validate anything: `Some` only means `parse_request` will not return `Partial`.
///
/// ```
/// use loopio_handshake::find_head_end;
///
/// assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nHost: a\r\n"), None);
/// assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\x81\x80"), Some(27));
/// ```
pub fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    loop {
        match &buf[start..] {
            [b'\r', b'\n', ..] => start += 2,
            [b'\n', ..] => start += 1,
            _ => break,
        }
    }
    let mut from = start;
    while let Some(offset) = buf[from..].iter().position(|&b| b == b'\n') {
        let newline = from + offset;
        match &buf[newline + 1..] {
            [b'\n', ..] => return Some(newline + 2),
            [b'\r', b'\n', ..] => return Some(newline + 3),
            _ => from = newline + 1,
        }
    }
    None
}

/// Bytes of `input` with `%XX` escapes and `+` decoded; a bad escape stays literal.
fn percent_decode(input: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut rest = input;
    std::iter::from_fn(move || {
        let (byte, tail) = match rest {
            [b'%', high, low, tail @ ..] => match (hex_value(*high), hex_value(*low)) {
                (Some(high), Some(low)) => (high << 4 | low, tail),
                _ => (b'%', &rest[1..]),
            },
            [b'+', tail @ ..] => (b' ', tail),
            [byte, tail @ ..] => (*byte, tail),
            [] => return None,
        };
        rest = tail;
        Some(byte)
    })
}

pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_target_forms() {
        assert_eq!(split_target("/a?b"), Ok(("/a", "b")));
        assert_eq!(split_target("*"), Ok(("*", "")));
        assert_eq!(split_target("https://h:1/p?q"), Ok(("/p", "q")));
        assert_eq!(split_target("ws+x://h"), Ok(("/", "")));
        assert_eq!(split_target("h:443"), Err(RequestError::InvalidTarget));
        assert_eq!(split_target("/a#b"), Err(RequestError::InvalidTarget));
    }

    #[test]
    fn decimal_is_digits_only_and_bounded() {
        assert_eq!(parse_decimal(b"0"), Some(0));
        assert_eq!(parse_decimal(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_decimal(b"18446744073709551616"), None);
        assert_eq!(parse_decimal(b""), None);
        assert_eq!(parse_decimal(b"1_0"), None);
    }

    #[test]
    fn percent_decoding() {
        let decode = |s: &str| percent_decode(s.as_bytes()).collect::<Vec<u8>>();
        assert_eq!(decode("a%2Bb+c"), b"a+b c");
        assert_eq!(decode("%"), b"%");
        assert_eq!(decode("%g1%1"), b"%g1%1");
        assert_eq!(decode("%00%ff"), b"\x00\xff");
    }

    #[test]
    fn errors_display_and_map_from_httparse() {
        assert_eq!(
            RequestError::from(httparse::Error::TooManyHeaders),
            RequestError::TooManyHeaders
        );
        assert_eq!(
            RequestError::from(httparse::Error::NewLine),
            RequestError::Syntax(Syntax::LineEnding)
        );
        let text = RequestError::Syntax(Syntax::Version).to_string();
        assert_eq!(text, "malformed head: unsupported HTTP version");
    }
}
