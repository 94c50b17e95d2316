//! [`Payload`]: any JSON value, with binary attachments as bytes where they were.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

use loopio_socket::Binary;

/// A dynamic argument, like `serde_json::Value` but binary-aware: received attachments
/// deserialize as [`Payload::Binary`] wherever their placeholders were, and `Binary` values
/// serialize as attachments again. Use it where a handler or ack callback must pass on
/// arguments it does not know, bytes included.
///
/// ```
/// use loopio::socketio::Payload;
/// let mut io = loopio::socketio::Server::new(
///     loopio::socketio::Config::new([1; 32]),
///     std::time::Instant::now(),
/// );
/// io.of("/").on_connection(|socket| {
///     socket.on("upload", |ctx, file: Payload| {
///         let size = match file.get("data") {
///             Some(Payload::Binary(bytes)) => bytes.len(),
///             _ => 0,
///         };
///         ctx.ack(&size)
///     });
/// });
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum Payload {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// Bytes that travel as a binary attachment.
    Binary(Vec<u8>),
    /// An array.
    Array(Vec<Payload>),
    /// An object, keys in order.
    Object(Vec<(String, Payload)>),
}

impl Payload {
    /// The field `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Payload> {
        match self {
            Payload::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The bytes a placeholder object names. Only inside `Args::decode` of a binary packet does
/// `Binary` find them; elsewhere the object stays an object, as socket.io-parser leaves it.
fn attachment(fields: &[(String, Payload)]) -> Option<Vec<u8>> {
    let is_placeholder = fields
        .iter()
        .any(|(key, value)| key == "_placeholder" && *value == Payload::Bool(true));
    if !is_placeholder {
        return None;
    }
    // Rebuild just the scalar fields: `Binary` reads `_placeholder` and `num` from a JSON object.
    let map: Map<String, Value> = fields
        .iter()
        .filter_map(|(key, value)| match value {
            Payload::Bool(b) => Some((key.clone(), Value::Bool(*b))),
            Payload::Number(n) => Some((key.clone(), Value::Number(n.clone()))),
            _ => None,
        })
        .collect();
    let Binary(bytes) = Binary::deserialize(Value::Object(map)).ok()?;
    Some(bytes)
}

/// Builds a [`Payload`] straight from the deserializer, so object keys keep the order they were
/// sent in (`serde_json::Map` would sort them) and placeholders become bytes on the way.
struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = Payload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Payload, E> {
        Ok(Payload::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Payload, E> {
        Ok(Payload::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Payload, D::Error> {
        Payload::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Payload, E> {
        Ok(Payload::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Payload, E> {
        Ok(Payload::Number(n.into()))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Payload, E> {
        Ok(Payload::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Payload, E> {
        // JSON has no NaN or infinity; serde_json's `Value` maps them to null the same way.
        Ok(Number::from_f64(n).map_or(Payload::Null, Payload::Number))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Payload, E> {
        Ok(Payload::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Payload, E> {
        Ok(Payload::String(s))
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Payload, E> {
        Ok(Payload::Binary(bytes.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Payload, E> {
        Ok(Payload::Binary(bytes))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Payload, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Payload::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Payload, A::Error> {
        let mut fields: Vec<(String, Payload)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Payload>()? {
            // A repeated key keeps its first place and takes the last value, as JSON.parse does.
            match fields.iter_mut().find(|(k, _)| *k == key) {
                Some(field) => field.1 = value,
                None => fields.push((key, value)),
            }
        }
        Ok(match attachment(&fields) {
            Some(bytes) => Payload::Binary(bytes),
            None => Payload::Object(fields),
        })
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PayloadVisitor)
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Payload::Null => serializer.serialize_unit(),
            Payload::Bool(b) => serializer.serialize_bool(*b),
            Payload::Number(n) => n.serialize(serializer),
            Payload::String(s) => serializer.serialize_str(s),
            Payload::Binary(bytes) => serializer.serialize_bytes(bytes),
            Payload::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Payload::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use loopio_socket::{Args, Binary, Encoded, Header};

    use super::Payload;

    #[test]
    fn attachments_round_trip() {
        let sent = Encoded::event(
            "/",
            "e",
            &(1, serde_json::json!({"k": "v"}), Binary(vec![7])),
        )
        .unwrap();
        let header = Header::parse(sent.text(), 10).unwrap();
        let (_, args) = Args::scan_event(header.payload).unwrap();
        // Without the attachments (the server adds them), a placeholder stays an object.
        let plain: Payload = args.decode().unwrap();
        let Payload::Array(items) = plain else {
            panic!("three arguments")
        };
        assert_eq!(items[2].get("num"), Some(&Payload::Number(0.into())));
        let back = Payload::Array(vec![
            Payload::Number(1.into()),
            Payload::Object(vec![("k".into(), Payload::String("v".into()))]),
            Payload::Binary(vec![7]),
        ]);
        let again = Encoded::event("/", "e", &back).unwrap();
        assert_eq!(
            again.text(),
            r#"51-["e",[1,{"k":"v"},{"_placeholder":true,"num":0}]]"#
        );
        assert_eq!(again.attachments(), [vec![7]]);
    }

    #[test]
    fn object_keys_keep_their_order() {
        let payload: Payload =
            serde_json::from_str(r#"{"user":"Yoon","text":"hi","a":[1,2.5,null]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&payload).unwrap(),
            r#"{"user":"Yoon","text":"hi","a":[1,2.5,null]}"#
        );
    }
}
