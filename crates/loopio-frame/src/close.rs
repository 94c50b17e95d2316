//! Close status codes and close frame payloads (RFC 6455 §5.5.1, §7.4).

use std::fmt;

use crate::Error;

/// A close status code (RFC 6455 §7.4).
///
/// ```
/// use loopio_frame::CloseCode;
///
/// assert!(CloseCode::NORMAL.is_allowed_on_wire());
/// assert!(CloseCode(4000).is_allowed_on_wire()); // private use
/// assert!(!CloseCode::NO_STATUS.is_allowed_on_wire()); // 1005 is local-only
/// assert_eq!(CloseCode::MESSAGE_TOO_BIG.to_string(), "1009");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection was fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005, never on the wire: "no status code was present".
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006, never on the wire: "closed without a close frame".
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: message data inconsistent with its type (e.g. text that is not UTF-8).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violates the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server hit an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: a gateway got a bad upstream response (IANA registry).
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015, never on the wire: the TLS handshake failed.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Whether a close frame may carry this code: 1000–1003, 1007–1014 and 3000–4999.
    pub fn is_allowed_on_wire(self) -> bool {
        // RFC 6455 §7.4.2: 0-999 "are not used"; 1000-2999 are for the protocol itself, of
        // which 1004 is reserved and 1005, 1006 and 1015 "MUST NOT be set as a status code in
        // a Close control frame"; 1012-1014 were registered with IANA later; 3000-3999 are
        // registered and 4000-4999 private. Everything else is unassigned.
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The payload of a close frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code.
    pub code: CloseCode,
    /// The UTF-8 reason, possibly empty.
    pub reason: &'a str,
}

impl<'a> CloseFrame<'a> {
    /// Parses an unmasked close payload: `None` when it is empty, else a validated code and
    /// reason.
    ///
    /// ```
    /// use loopio_frame::{CloseCode, CloseFrame, Error};
    ///
    /// let frame = CloseFrame::parse(b"\x03\xE8bye")?.expect("non-empty payload");
    /// assert_eq!((frame.code, frame.reason), (CloseCode::NORMAL, "bye"));
    /// assert_eq!(CloseFrame::parse(b""), Ok(None));
    /// assert_eq!(CloseFrame::parse(b"\x03"), Err(Error::CloseTooShort));
    /// assert_eq!(CloseFrame::parse(b"\x03\xED"), Err(Error::InvalidCloseCode(1005)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn parse(payload: &'a [u8]) -> Result<Option<CloseFrame<'a>>, Error> {
        // RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body MUST be a
        // 2-byte unsigned integer (in network byte order) representing a status code".
        let (code, reason) = match payload {
            [] => return Ok(None),
            [_] => return Err(Error::CloseTooShort),
            [high, low, reason @ ..] => (CloseCode(u16::from_be_bytes([*high, *low])), reason),
        };
        if !code.is_allowed_on_wire() {
            return Err(Error::InvalidCloseCode(code.0));
        }
        // §5.5.1: the body after the code "MAY contain UTF-8-encoded data"; §8.1 makes any
        // invalid UTF-8 fail the connection (Autobahn 7.5.1 expects 1007).
        let reason = std::str::from_utf8(reason).map_err(|_| Error::InvalidCloseReason)?;
        Ok(Some(CloseFrame { code, reason }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_class() {
        let allowed = [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
        ];
        let allowed = allowed.into_iter().chain([3000, 3999, 4000, 4999]);
        for code in allowed {
            let payload = u16::to_be_bytes(code);
            let frame = CloseFrame::parse(&payload)
                .expect("allowed")
                .expect("non-empty");
            assert_eq!(
                frame,
                CloseFrame {
                    code: CloseCode(code),
                    reason: ""
                }
            );
        }
        let refused = [
            0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ];
        for code in refused {
            let payload = u16::to_be_bytes(code);
            assert_eq!(
                CloseFrame::parse(&payload),
                Err(Error::InvalidCloseCode(code))
            );
        }
    }

    #[test]
    fn reason_must_be_utf8() {
        assert_eq!(
            CloseFrame::parse(b"\x03\xE8\xCE\xBA").map(|f| f.map(|f| f.reason)),
            Ok(Some("κ"))
        );
        assert_eq!(
            CloseFrame::parse(b"\x03\xE8\xCE"),
            Err(Error::InvalidCloseReason)
        );
        assert_eq!(
            CloseFrame::parse(b"\x03\xE8\xED\xA0\x80"),
            Err(Error::InvalidCloseReason)
        );
    }
}
