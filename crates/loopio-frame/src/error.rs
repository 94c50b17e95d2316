//! Why decoding failed, split by fault, each mapped to the close code to answer with.

use std::fmt;

use crate::CloseCode;

/// Why the decoder failed; [`Error::close_code`] gives the close code to send.
///
/// Variants are grouped by fault: a malformed frame or a misbehaving peer (1002), a payload
/// that is not what its frame promised (1007), and a frame or message over a [`Limits`] bound
/// (1009).
///
/// [`Limits`]: crate::Limits
///
/// ```
/// use loopio_frame::{CloseCode, Error};
///
/// assert_eq!(Error::InvalidUtf8.close_code(), CloseCode::INVALID_PAYLOAD);
/// assert_eq!(CloseCode::from(Error::MaskedFrame), CloseCode::PROTOCOL_ERROR);
/// assert_eq!(Error::FrameTooBig(1 << 40).to_string(), "frame payload of 1099511627776 bytes exceeds max_frame_size");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // Malformed frame: 1002.
    /// An RSV bit was set, but this codec negotiates no extension.
    ReservedBits,
    /// The opcode (carried here) is reserved: 0x3–0x7 or 0xB–0xF.
    ReservedOpCode(u8),
    /// A control frame without FIN.
    FragmentedControl,
    /// A control frame whose payload length (carried here) exceeds 125 bytes.
    ControlTooLong(u64),
    /// A 64-bit payload length with its most significant bit set.
    LengthOverflow,
    /// A close frame with a 1-byte payload: too short for a status code.
    CloseTooShort,
    /// A close frame carrying a status code (here) that may not appear on the wire.
    InvalidCloseCode(u16),

    // Misbehaving peer: 1002.
    /// A server received an unmasked frame.
    UnmaskedFrame,
    /// A client received a masked frame.
    MaskedFrame,
    /// A continuation frame arrived with no fragmented message open.
    UnexpectedContinuation,
    /// A text or binary frame arrived while a fragmented message was still open.
    ExpectedContinuation,

    // Invalid payload: 1007.
    /// A text message is not UTF-8 (detected as soon as the bytes seen so far cannot be a
    /// prefix of valid UTF-8).
    InvalidUtf8,
    /// A close frame's reason is not UTF-8.
    InvalidCloseReason,

    // Too big: 1009.
    /// A frame's payload length (carried here) exceeds [`Limits::max_frame_size`].
    ///
    /// [`Limits::max_frame_size`]: crate::Limits::max_frame_size
    FrameTooBig(u64),
    /// A message would grow to the length carried here, over [`Limits::max_message_size`].
    ///
    /// [`Limits::max_message_size`]: crate::Limits::max_message_size
    MessageTooBig(u64),
}

impl Error {
    /// The close code this failure must be answered with (1002, 1007 or 1009).
    pub fn close_code(&self) -> CloseCode {
        match self {
            Error::ReservedBits
            | Error::ReservedOpCode(_)
            | Error::FragmentedControl
            | Error::ControlTooLong(_)
            | Error::LengthOverflow
            | Error::CloseTooShort
            | Error::InvalidCloseCode(_)
            | Error::UnmaskedFrame
            | Error::MaskedFrame
            | Error::UnexpectedContinuation
            | Error::ExpectedContinuation => CloseCode::PROTOCOL_ERROR,
            Error::InvalidUtf8 | Error::InvalidCloseReason => CloseCode::INVALID_PAYLOAD,
            Error::FrameTooBig(_) | Error::MessageTooBig(_) => CloseCode::MESSAGE_TOO_BIG,
        }
    }
}

impl From<Error> for CloseCode {
    fn from(error: Error) -> CloseCode {
        error.close_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ReservedBits => f.write_str("reserved bit set without a negotiated extension"),
            Error::ReservedOpCode(op) => write!(f, "reserved opcode {op:#x}"),
            Error::FragmentedControl => f.write_str("control frame without FIN"),
            Error::ControlTooLong(len) => {
                write!(f, "control frame payload of {len} bytes (max 125)")
            }
            Error::LengthOverflow => f.write_str("64-bit payload length with the high bit set"),
            Error::CloseTooShort => f.write_str("close frame payload of 1 byte"),
            Error::InvalidCloseCode(code) => {
                write!(f, "close code {code} is not allowed on the wire")
            }
            Error::UnmaskedFrame => f.write_str("unmasked frame from a client"),
            Error::MaskedFrame => f.write_str("masked frame from a server"),
            Error::UnexpectedContinuation => f.write_str("continuation frame with no open message"),
            Error::ExpectedContinuation => {
                f.write_str("new data frame inside a fragmented message")
            }
            Error::InvalidUtf8 => f.write_str("text message is not valid UTF-8"),
            Error::InvalidCloseReason => f.write_str("close reason is not valid UTF-8"),
            Error::FrameTooBig(len) => {
                write!(f, "frame payload of {len} bytes exceeds max_frame_size")
            }
            Error::MessageTooBig(len) => {
                write!(f, "message of {len} bytes exceeds max_message_size")
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_maps_to_its_close_code() {
        let protocol = [
            Error::ReservedBits,
            Error::ReservedOpCode(3),
            Error::FragmentedControl,
            Error::ControlTooLong(126),
            Error::LengthOverflow,
            Error::CloseTooShort,
            Error::InvalidCloseCode(1005),
            Error::UnmaskedFrame,
            Error::MaskedFrame,
            Error::UnexpectedContinuation,
            Error::ExpectedContinuation,
        ];
        for error in protocol {
            assert_eq!(error.close_code(), CloseCode::PROTOCOL_ERROR, "{error}");
        }
        for error in [Error::InvalidUtf8, Error::InvalidCloseReason] {
            assert_eq!(error.close_code(), CloseCode::INVALID_PAYLOAD, "{error}");
        }
        for error in [Error::FrameTooBig(1), Error::MessageTooBig(1)] {
            assert_eq!(error.close_code(), CloseCode::MESSAGE_TOO_BIG, "{error}");
        }
    }
}
