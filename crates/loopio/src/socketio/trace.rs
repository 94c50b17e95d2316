//! `LOOPIO_TRACE=1`: one line per Socket.IO packet in and out, per Engine.IO session.
//!
//! ```text
//! sio Yq2x… <- EVENT nsp=/ event="chat message" ack=3 attachments=0 {"user":"Yoon"}
//! sio Yq2x… -> ATTACHMENT 1234 bytes
//! ```

use loopio_socket::Header;

use crate::engineio::Data;

/// How much of a packet's arguments a trace line shows.
const PREVIEW: usize = 80;

/// Prints a message received on session `sid`.
pub(crate) fn incoming(sid: &str, data: Data<'_>) {
    match data {
        Data::Text(text) => eprintln!("sio {sid} <- {}", describe(text)),
        Data::Binary(bytes) => eprintln!("sio {sid} <- ATTACHMENT {} bytes", bytes.len()),
    }
}

/// Prints a message sent on session `sid`.
pub(crate) fn outgoing(sid: &str, data: Data<'_>) {
    match data {
        Data::Text(text) => eprintln!("sio {sid} -> {}", describe(text)),
        Data::Binary(bytes) => eprintln!("sio {sid} -> ATTACHMENT {} bytes", bytes.len()),
    }
}

/// `EVENT nsp=/chat event="msg" ack=3 attachments=1 <first arguments>`.
fn describe(text: &str) -> String {
    let Ok(header) = Header::parse(text, usize::MAX) else {
        return format!("invalid packet {:?}", preview(text));
    };
    let mut line = format!("{} nsp={}", header.kind.name(), header.nsp);
    let mut payload = header.payload;
    if let Some((event, rest)) = event_name(payload) {
        line.push_str(&format!(" event={event:?}"));
        payload = rest;
    }
    if let Some(id) = header.id {
        line.push_str(&format!(" ack={id}"));
    }
    if header.attachments > 0 {
        line.push_str(&format!(" attachments={}", header.attachments));
    }
    if !payload.is_empty() {
        line.push(' ');
        line.push_str(preview(payload));
    }
    line
}

/// Splits `["name",args…]` into the name and the rest, for display only.
fn event_name(payload: &str) -> Option<(String, &str)> {
    let rest = payload.strip_prefix('[')?;
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<String>();
    let name = stream.next()?.ok()?;
    let after = rest[stream.byte_offset()..].trim_start_matches(',');
    Some((name, after.strip_suffix(']').unwrap_or(after)))
}

fn preview(text: &str) -> &str {
    match text.char_indices().nth(PREVIEW) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_packets() {
        assert_eq!(
            describe(r#"2/chat,7["msg",{"a":1}]"#),
            r#"EVENT nsp=/chat event="msg" ack=7 {"a":1}"#
        );
        assert_eq!(
            describe(r#"51-["up",{"_placeholder":true,"num":0}]"#),
            r#"BINARY_EVENT nsp=/ event="up" attachments=1 {"_placeholder":true,"num":0}"#
        );
        assert_eq!(describe(r#"31[1]"#), "ACK nsp=/ ack=1 [1]");
        assert_eq!(describe("0"), "CONNECT nsp=/");
        assert!(describe("x").starts_with("invalid packet"));
    }
}
