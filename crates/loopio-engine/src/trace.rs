//! Human-readable packet traces for `LOOPIO_TRACE=1`: the loop wraps the bytes it already
//! has in a [`Trace`] and prints it with the sid and the transport.

use std::fmt;

use crate::connection::{Transmit, TransmitKind};
use crate::packet::{records, Data, Packet};

/// Displays the packets in a POST body, a WebSocket message or a transmit.
///
/// ```
/// use loopio_engine::Trace;
/// assert_eq!(Trace::payload(b"4hi\x1e3").to_string(), "message \"hi\", pong");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Trace<'a> {
    form: Form<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Form<'a> {
    Payload(&'a [u8]),
    Ws(Data<'a>),
    Http(&'a [u8]),
    WsClose,
}

impl<'a> Trace<'a> {
    /// A polling payload (a POST body or a GET response body).
    pub fn payload(body: &'a [u8]) -> Trace<'a> {
        Trace {
            form: Form::Payload(body),
        }
    }

    /// One WebSocket message.
    pub fn ws(data: Data<'a>) -> Trace<'a> {
        Trace {
            form: Form::Ws(data),
        }
    }

    /// What `poll_transmit` appended: `out` is exactly the appended bytes.
    pub fn transmit(transmit: &Transmit, out: &'a [u8]) -> Trace<'a> {
        let form = match transmit.kind {
            TransmitKind::Http { .. } => Form::Http(out),
            TransmitKind::WsText => match std::str::from_utf8(out) {
                Ok(text) => Form::Ws(Data::Text(text)),
                Err(_) => Form::Ws(Data::Binary(out)),
            },
            TransmitKind::WsBinary => Form::Ws(Data::Binary(out)),
            TransmitKind::WsClose => Form::WsClose,
        };
        Trace { form }
    }
}

fn write_payload(f: &mut fmt::Formatter<'_>, body: &[u8]) -> fmt::Result {
    let mut scratch = Vec::new();
    for (index, record) in records(body).enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        match Packet::decode(record, &mut scratch) {
            Ok(packet) => write!(f, "{packet}")?,
            Err(error) => write!(f, "<{error}>")?,
        }
    }
    Ok(())
}

impl fmt::Display for Trace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.form {
            Form::Payload(body) => write_payload(f, body),
            Form::Ws(Data::Binary(bytes)) => write!(f, "{}", Packet::message(Data::Binary(bytes))),
            Form::Ws(Data::Text(text)) => match Packet::decode(text.as_bytes(), &mut Vec::new()) {
                Ok(packet) => write!(f, "{packet}"),
                Err(error) => write!(f, "<{error}>"),
            },
            Form::WsClose => f.write_str("<close websocket>"),
            Form::Http(response) => {
                let end = response.windows(4).position(|w| w == b"\r\n\r\n");
                let (head, body) = match end {
                    Some(at) => (&response[..at], &response[at + 4..]),
                    None => (response, &[][..]),
                };
                let status = head.split(|&b| b == b'\r').next().unwrap_or_default();
                write!(f, "{}", String::from_utf8_lossy(status))?;
                let is_payload = status.windows(5).any(|w| w == b" 200 ") && body != b"ok";
                if is_payload && !body.is_empty() {
                    f.write_str(": ")?;
                    write_payload(f, body)?;
                } else if !body.is_empty() {
                    write!(f, ": {}", String::from_utf8_lossy(body))?;
                }
                Ok(())
            }
        }
    }
}
