//! Response heads, written with `extend_from_slice` and no formatting machinery.

/// The standard reason phrase for `status` (RFC 9110 §15), or `""` for codes this crate never
/// writes (an empty reason phrase is valid).
///
/// ```
/// assert_eq!(loopio_handshake::reason_phrase(426), "Upgrade Required");
/// assert_eq!(loopio_handshake::reason_phrase(299), "");
/// ```
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Appends a complete response with `Content-Length` (and `Connection: close` if `close`).
///
/// `headers` are written in order after the status line; a header whose name or value holds a
/// CR or LF is skipped (it would split the response). `Content-Length` is omitted for 1xx and
/// 204, which "MUST NOT" carry it (RFC 9110 §8.6); a status outside `100..=999` is written as
/// 500.
///
/// ```
/// let mut out = Vec::new();
/// let headers = [("Content-Type", "text/plain")];
/// loopio_handshake::write_response(&mut out, 200, &headers, b"ok", false);
/// assert_eq!(out, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
/// ```
pub fn write_response(
    out: &mut Vec<u8>,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) {
    let status = if (100..=999).contains(&status) {
        status
    } else {
        500
    };
    write_status_line(out, status);
    write_headers(out, headers);
    if status >= 200 && status != 204 {
        out.extend_from_slice(b"Content-Length: ");
        write_decimal(out, body.len() as u64);
        out.extend_from_slice(b"\r\n");
    }
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// `HTTP/1.1 <status> <reason>\r\n`.
pub(crate) fn write_status_line(out: &mut Vec<u8>, status: u16) {
    out.extend_from_slice(b"HTTP/1.1 ");
    write_decimal(out, u64::from(status));
    out.push(b' ');
    out.extend_from_slice(reason_phrase(status).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `Name: value\r\n` for each pair that cannot split the head.
pub(crate) fn write_headers(out: &mut Vec<u8>, headers: &[(&str, &str)]) {
    for (name, value) in headers {
        write_header(out, name, value);
    }
}

pub(crate) fn write_header(out: &mut Vec<u8>, name: &str, value: &str) {
    let splits = |s: &str| s.bytes().any(|b| b == b'\r' || b == b'\n');
    if name.is_empty() || splits(name) || splits(value) {
        return;
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal ASCII.
pub(crate) fn write_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20]; // u64::MAX has 20 digits.
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(n: u64) -> String {
        let mut out = Vec::new();
        write_decimal(&mut out, n);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn decimal_matches_display() {
        for n in [0, 1, 9, 10, 99, 100, 12345, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn every_status_used_has_a_reason() {
        for status in [
            101, 200, 204, 400, 403, 404, 405, 413, 426, 431, 500, 501, 503,
        ] {
            assert!(!reason_phrase(status).is_empty(), "{status}");
        }
    }

    #[test]
    fn no_content_length_for_204_and_101() {
        let mut out = Vec::new();
        write_response(&mut out, 204, &[], b"", true);
        assert_eq!(out, b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    }

    #[test]
    fn unknown_status_has_empty_reason_and_bad_status_becomes_500() {
        let mut out = Vec::new();
        write_response(&mut out, 299, &[], b"", false);
        assert!(out.starts_with(b"HTTP/1.1 299 \r\n"));
        out.clear();
        write_response(&mut out, 42, &[], b"", false);
        assert!(out.starts_with(b"HTTP/1.1 500 Internal Server Error\r\n"));
    }

    #[test]
    fn header_injection_is_dropped() {
        let mut out = Vec::new();
        write_response(
            &mut out,
            200,
            &[("X-A", "1\r\nSet-Cookie: x"), ("X-B", "2")],
            b"",
            false,
        );
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n"
        );
    }
}
