//! [`Payload`]: any JSON value, with binary attachments as bytes where they were.

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

    /// Converts a JSON value, replacing each placeholder object with its attachment.
    fn from_value(value: Value) -> Payload {
        match value {
            Value::Null => Payload::Null,
            Value::Bool(b) => Payload::Bool(b),
            Value::Number(n) => Payload::Number(n),
            Value::String(s) => Payload::String(s),
            Value::Array(items) => {
                Payload::Array(items.into_iter().map(Payload::from_value).collect())
            }
            Value::Object(map) => match attachment(&map) {
                Some(bytes) => Payload::Binary(bytes),
                None => Payload::Object(
                    map.into_iter()
                        .map(|(k, v)| (k, Payload::from_value(v)))
                        .collect(),
                ),
            },
        }
    }
}

/// The bytes a placeholder object names. Only inside `Args::decode` of a binary packet does
/// `Binary` find them; elsewhere the object stays an object, as socket.io-parser leaves it.
fn attachment(map: &Map<String, Value>) -> Option<Vec<u8>> {
    if map.get("_placeholder") != Some(&Value::Bool(true)) {
        return None;
    }
    let Binary(bytes) = Binary::deserialize(Value::Object(map.clone())).ok()?;
    Some(bytes)
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Payload::from_value)
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
}
