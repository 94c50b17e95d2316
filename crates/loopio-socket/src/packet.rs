//! Socket.IO v5 packet headers: the view over an incoming text message and the writer of
//! outgoing headers.
//!
//! ```text
//! <type>[<attachments>-][<nsp>,][<ack id>][<json>]
//!
//! 0{"sid":"abc"}             CONNECT reply on "/" (the namespace "/" is never written)
//! 0/admin,{"token":"t"}      CONNECT to "/admin" with an auth payload
//! 1/admin,                   DISCONNECT from "/admin"
//! 2["hello",1]               EVENT
//! 212["hello"]               EVENT asking for ack 12
//! 31["ok"]                   ACK 1
//! 4{"message":"Invalid namespace"}
//! 51-["up",{"_placeholder":true,"num":0}]   BINARY_EVENT, then 1 binary message
//! 61-/admin,3[{"_placeholder":true,"num":0}] BINARY_ACK 3 on "/admin"
//! ```

use std::fmt;

/// The seven packet types of protocol v5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketType {
    /// `0`: join a namespace (client) or confirm it (server).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event with JSON arguments.
    Event,
    /// `3`: the answer to an event that carried an ack id.
    Ack,
    /// `4`: the server refused a CONNECT.
    ConnectError,
    /// `5`: an event whose arguments are followed by binary attachments.
    BinaryEvent,
    /// `6`: an ack whose arguments are followed by binary attachments.
    BinaryAck,
}

impl PacketType {
    /// The type for its wire digit, if any.
    ///
    /// ```
    /// use loopio_socket::PacketType;
    /// assert_eq!(PacketType::from_digit(b'5'), Some(PacketType::BinaryEvent));
    /// assert_eq!(PacketType::from_digit(b'7'), None);
    /// ```
    pub fn from_digit(digit: u8) -> Option<Self> {
        Some(match digit {
            b'0' => Self::Connect,
            b'1' => Self::Disconnect,
            b'2' => Self::Event,
            b'3' => Self::Ack,
            b'4' => Self::ConnectError,
            b'5' => Self::BinaryEvent,
            b'6' => Self::BinaryAck,
            _ => return None,
        })
    }

    /// The wire digit.
    pub fn digit(self) -> u8 {
        b'0' + self as u8
    }

    /// True for the two types followed by attachments.
    pub fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }

    /// The name used in traces, as in the protocol document.
    pub fn name(self) -> &'static str {
        match self {
            Self::Connect => "CONNECT",
            Self::Disconnect => "DISCONNECT",
            Self::Event => "EVENT",
            Self::Ack => "ACK",
            Self::ConnectError => "CONNECT_ERROR",
            Self::BinaryEvent => "BINARY_EVENT",
            Self::BinaryAck => "BINARY_ACK",
        }
    }
}

/// Why an incoming packet was refused. Any of these closes the client's connection, as
/// `socket.io`'s decoder does when it throws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The first character is not a digit `0`–`6`.
    UnknownType,
    /// The attachment count is missing, not a positive integer or not followed by `-`.
    IllegalAttachments,
    /// More attachments than `Config::max_attachments`.
    TooManyAttachments,
    /// The ack id does not fit in 64 bits.
    BadAckId,
    /// The payload is not JSON, or not the JSON its packet type requires.
    InvalidPayload,
    /// A reserved name (`connect`, `disconnect`, …) used as an event name.
    ReservedEvent,
    /// A placeholder whose `num` does not name a received attachment.
    IllegalPlaceholder,
    /// A text message arrived while attachments were still expected.
    UnexpectedText,
    /// A binary message arrived while no attachment was expected.
    UnexpectedBinary,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownType => "unknown packet type",
            Self::IllegalAttachments => "illegal attachments",
            Self::TooManyAttachments => "too many attachments",
            Self::BadAckId => "ack id out of range",
            Self::InvalidPayload => "invalid payload",
            Self::ReservedEvent => "reserved event name",
            Self::IllegalPlaceholder => "placeholder names no attachment",
            Self::UnexpectedText => "got plaintext data when reconstructing a packet",
            Self::UnexpectedBinary => "got binary data when not reconstructing a packet",
        })
    }
}

impl std::error::Error for ParseError {}

/// A validated view of a packet's header; the JSON after it is left unparsed.
///
/// ```
/// use loopio_socket::{Header, PacketType};
/// let h = Header::parse(r#"51-/admin,7["up",{"_placeholder":true,"num":0}]"#, 10).unwrap();
/// assert_eq!(h.kind, PacketType::BinaryEvent);
/// assert_eq!((h.attachments, h.nsp, h.id), (1, "/admin", Some(7)));
/// assert_eq!(h.payload, r#"["up",{"_placeholder":true,"num":0}]"#);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// The packet type.
    pub kind: PacketType,
    /// How many binary messages follow (0 unless `kind.is_binary()`).
    pub attachments: usize,
    /// The namespace, `/` when absent.
    pub nsp: &'a str,
    /// The ack id, if any.
    pub id: Option<u64>,
    /// The JSON text after the header, possibly empty.
    pub payload: &'a str,
}

impl<'a> Header<'a> {
    /// Parses the header of a text message without allocating. (The server reads the usual
    /// packet, `2[…`, without it: see `Server::receive_text`.)
    pub fn parse(text: &'a str, max_attachments: usize) -> Result<Self, ParseError> {
        let bytes = text.as_bytes();
        let kind = bytes
            .first()
            .and_then(|&b| PacketType::from_digit(b))
            .ok_or(ParseError::UnknownType)?;
        let mut at = 1;
        let mut attachments = 0;
        if kind.is_binary() {
            let digits = count_digits(&bytes[at..]);
            // socket.io-parser: the count must be an integer >= 1 followed by "-".
            if digits == 0 || bytes.get(at + digits) != Some(&b'-') {
                return Err(ParseError::IllegalAttachments);
            }
            attachments = parse_decimal(&text[at..at + digits])
                .ok_or(ParseError::TooManyAttachments)? as usize;
            if attachments == 0 {
                return Err(ParseError::IllegalAttachments);
            }
            if attachments > max_attachments {
                return Err(ParseError::TooManyAttachments);
            }
            at += digits + 1;
        }
        let mut nsp = "/";
        if bytes.get(at) == Some(&b'/') {
            // The namespace runs to the first comma, or to the end of the message.
            let end = bytes[at..]
                .iter()
                .position(|&b| b == b',')
                .map_or(bytes.len(), |p| at + p);
            nsp = &text[at..end];
            at = (end + 1).min(bytes.len());
        }
        let digits = count_digits(&bytes[at..]);
        let mut id = None;
        if digits > 0 {
            id = Some(parse_decimal(&text[at..at + digits]).ok_or(ParseError::BadAckId)?);
            at += digits;
        }
        Ok(Self {
            kind,
            attachments,
            nsp,
            id,
            payload: &text[at..],
        })
    }
}

impl fmt::Display for Header<'_> {
    /// `EVENT /admin id=7 attachments=1`, the shape `LOOPIO_TRACE` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.name(), self.nsp)?;
        if let Some(id) = self.id {
            write!(f, " id={id}")?;
        }
        if self.attachments > 0 {
            write!(f, " attachments={}", self.attachments)?;
        }
        Ok(())
    }
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

fn parse_decimal(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// Writes `<type>[<nsp>,][<id>]` into `out`. The attachment count is spliced in later by
/// [`mark_binary`], once the JSON has been written and its attachments counted.
#[inline]
pub(crate) fn write_header(out: &mut String, kind: PacketType, nsp: &str, id: Option<u64>) {
    out.push(char::from(kind.digit()));
    if nsp != "/" {
        out.push_str(nsp);
        out.push(',');
    }
    if let Some(id) = id {
        write_decimal(out, id);
    }
}

/// Appends `n` in decimal without allocating.
pub(crate) fn write_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&digit| char::from(digit)));
}

/// Turns a packet written at `out[start..]` by [`write_header`] into its binary form:
/// `2…` becomes `5<n>-…`, `3…` becomes `6<n>-…`.
pub(crate) fn mark_binary(out: &mut String, start: usize, attachments: usize) {
    let mut head = String::with_capacity(8);
    head.push(char::from(out.as_bytes()[start] + 3));
    write_decimal(&mut head, attachments as u64);
    head.push('-');
    out.replace_range(start..start + 1, &head);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Header<'_>, ParseError> {
        Header::parse(text, 10)
    }

    #[test]
    fn spec_examples() {
        let h = parse("0").unwrap();
        assert_eq!(
            (h.kind, h.nsp, h.id, h.payload),
            (PacketType::Connect, "/", None, "")
        );
        let h = parse(r#"0/admin,{"token":"123"}"#).unwrap();
        assert_eq!((h.nsp, h.payload), ("/admin", r#"{"token":"123"}"#));
        let h = parse("1/admin,").unwrap();
        assert_eq!(
            (h.kind, h.nsp, h.payload),
            (PacketType::Disconnect, "/admin", "")
        );
        let h = parse(r#"2/admin,456["project:delete",123]"#).unwrap();
        assert_eq!(
            (h.nsp, h.id, h.payload),
            ("/admin", Some(456), r#"["project:delete",123]"#)
        );
        let h = parse("3/admin,456[]").unwrap();
        assert_eq!(
            (h.kind, h.id, h.payload),
            (PacketType::Ack, Some(456), "[]")
        );
        let h = parse(r#"4{"message":"Not authorized"}"#).unwrap();
        assert_eq!(h.kind, PacketType::ConnectError);
        let h = parse(r#"61-/admin,456[{"_placeholder":true,"num":0}]"#).unwrap();
        assert_eq!(
            (h.kind, h.attachments, h.id),
            (PacketType::BinaryAck, 1, Some(456))
        );
    }

    /// `2[…` (no namespace, no id: the packet `Server::receive_text` reads without a header)
    /// parses as the same header as `2/,[…`.
    #[test]
    fn plain_event_shortcut_matches_the_general_path() {
        let fast = parse(r#"2["a",{"b":1}]"#).unwrap();
        let general = parse(r#"2/,["a",{"b":1}]"#).unwrap();
        assert_eq!(
            fast,
            Header {
                nsp: "/",
                ..general
            }
        );
        assert_eq!(fast.payload, r#"["a",{"b":1}]"#);
        assert_eq!(parse("2[").unwrap().payload, "[");
        assert_eq!(parse(r#"27["a"]"#).unwrap().id, Some(7));
        assert_eq!(parse(r#"2/x,["a"]"#).unwrap().nsp, "/x");
    }

    #[test]
    fn namespace_without_comma_runs_to_the_end() {
        let h = parse("1/admin").unwrap();
        assert_eq!((h.nsp, h.payload), ("/admin", ""));
    }

    #[test]
    fn malformed_headers() {
        assert_eq!(parse(""), Err(ParseError::UnknownType));
        assert_eq!(parse("7[]"), Err(ParseError::UnknownType));
        assert_eq!(parse("a"), Err(ParseError::UnknownType));
        assert_eq!(parse(r#"5["a"]"#), Err(ParseError::IllegalAttachments));
        assert_eq!(parse(r#"50-["a"]"#), Err(ParseError::IllegalAttachments));
        assert_eq!(parse(r#"5x-["a"]"#), Err(ParseError::IllegalAttachments));
        assert_eq!(parse(r#"511-["a"]"#), Err(ParseError::TooManyAttachments));
        assert_eq!(
            parse("599999999999999999999999-[]"),
            Err(ParseError::TooManyAttachments)
        );
        assert_eq!(parse("2123456789012345678901[]"), Err(ParseError::BadAckId));
    }

    #[test]
    fn writes_headers_and_binary_marks() {
        let mut out = String::new();
        write_header(&mut out, PacketType::Ack, "/admin", Some(12));
        out.push_str("[]");
        assert_eq!(out, "3/admin,12[]");
        mark_binary(&mut out, 0, 2);
        assert_eq!(out, "62-/admin,12[]");
    }

    #[test]
    fn display_for_traces() {
        let h = parse(r#"51-/a,7["x"]"#).unwrap();
        assert_eq!(h.to_string(), "BINARY_EVENT /a id=7 attachments=1");
    }
}
