//! [`RawArgs`]: a received event's arguments sent on unchanged, without building a
//! `serde_json::Value` (echoes, relays).

use serde::ser::{Error as _, SerializeTuple};
use serde::{Serialize, Serializer};

use loopio_socket::Args;

use super::Payload;

/// The arguments of a received event, to emit again as the same arguments.
///
/// Without attachments the JSON is copied as written (validated once on arrival, never
/// parsed into a `Value`; see [`Verbatim`](loopio_socket::Verbatim)); with attachments, each placeholder becomes its bytes again so the new packet
/// carries them as its own attachments.
///
/// ```
/// use loopio::socketio::{Server, RawArgs};
/// # let mut io = Server::new(loopio::socketio::Config::new([1; 32]), std::time::Instant::now());
/// io.of("/").on_connection(|socket| {
///     socket.on_any(|ctx| {
///         let args = ctx.args().clone();
///         let event = format!("{}-back", ctx.event());
///         ctx.socket().emit(&event, &RawArgs::new(&args))
///     });
/// });
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RawArgs<'a> {
    args: &'a Args<'a>,
}

impl<'a> RawArgs<'a> {
    /// Wraps received arguments (from [`EventContext::args`](loopio_socket::EventContext)).
    pub fn new(args: &'a Args<'a>) -> RawArgs<'a> {
        RawArgs { args }
    }
}

impl Serialize for RawArgs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let count = self.args.len();
        if self.args.attachments().is_empty() {
            // Validated on arrival: loopio-socket's encoder copies it as written.
            return self.args.verbatim().serialize(serializer);
        }
        // Placeholders become bytes again, so the encoder re-attaches them.
        let payload: Payload = self.args.decode().map_err(S::Error::custom)?;
        match payload {
            Payload::Array(items) if count > 1 => {
                let mut tuple = serializer.serialize_tuple(count)?;
                for item in &items {
                    tuple.serialize_element(item)?;
                }
                tuple.end()
            }
            one => one.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use loopio_socket::{ClientId, Config, Handshake, Message, Server, Transmit};
    use std::time::Instant;

    use super::RawArgs;

    /// Feeds `packets` to a server that echoes every event as `<event>-back`; returns the
    /// messages sent back.
    fn echo(packets: &[&[u8]]) -> Vec<String> {
        let t0 = Instant::now();
        let mut io = Server::new(Config::new([3; 32]), t0);
        io.of("/").on_connection(|socket| {
            socket.on_any(|ctx| {
                let args = ctx.args().clone();
                let event = format!("{}-back", ctx.event());
                ctx.socket().emit(&event, &RawArgs::new(&args))
            });
        });
        io.handle_open(t0, ClientId(1), Handshake::new(t0, "x"));
        io.handle_text(t0, ClientId(1), "0");
        for packet in packets {
            match std::str::from_utf8(packet) {
                Ok(text) => io.handle_text(t0, ClientId(1), text),
                Err(_) => io.handle_binary(t0, ClientId(1), packet),
            }
        }
        let mut out = Vec::new();
        while let Some(transmit) = io.poll_transmit() {
            if let Transmit::Send { message, .. } = transmit {
                out.push(match message {
                    Message::Text(text) => text.to_string(),
                    Message::Binary(bytes) => format!("<bin {bytes:?}>"),
                });
            }
        }
        out.remove(0); // the CONNECT reply
        out
    }

    #[test]
    fn echoes_arguments_verbatim() {
        assert_eq!(echo(&[br#"2["m"]"#]), [r#"2["m-back"]"#]);
        assert_eq!(
            echo(&[br#"2["m",{"a": [1, 2]}]"#]),
            [r#"2["m-back",{"a": [1, 2]}]"#]
        );
        assert_eq!(
            echo(&[br#"2["m",1,"x",null]"#]),
            [r#"2["m-back",1,"x",null]"#]
        );
        assert_eq!(echo(&[br#"2["m",[1,2]]"#]), [r#"2["m-back",[1,2]]"#]);
    }

    #[test]
    fn echoes_attachments() {
        let out = echo(&[
            br#"52-["m",{"a":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#,
            &[0xff, 1],
            &[0xfe],
        ]);
        assert_eq!(
            out,
            [
                r#"52-["m-back",{"a":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#,
                "<bin [255, 1]>",
                "<bin [254]>",
            ]
        );
    }
}
