//! Event and ack arguments: validating incoming JSON once, typing it on demand, and writing
//! outgoing arguments with binary values pulled out as attachments.
//!
//! Incoming: `["chat",{"a":1},2]` is scanned once by a JSON scanner (`scan.rs`) that checks
//! the text as serde_json would and finds the event name and the byte span of the arguments (`{"a":1},2`), allocating
//! nothing. A handler's type is then deserialized from that span, so the JSON is parsed once
//! into the caller's type. One argument gives that value, several give a JSON array (a tuple),
//! none gives `null` (so `()` and `Option` fit).
//!
//! Outgoing: a tuple spreads into several arguments, `()` into none, anything else is one
//! argument. Values serialized as bytes (see [`Binary`]) become placeholders
//! `{"_placeholder":true,"num":N}` and attachment N; the header then gets `5<n>-`/`6<n>-`.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::rc::Rc;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Impossible, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::packet::{self, PacketType, ParseError};
use crate::scan::{self, Name};

/// Event names that `socket.io` keeps for itself; a peer may not send them and the server may
/// not emit them.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// True for the names in [`RESERVED_EVENTS`]. Checked on every event both ways, so usual names
/// (none of the reserved lengths, 7 to 14 bytes) are told apart by length alone.
fn is_reserved(name: &str) -> bool {
    (7..=14).contains(&name.len()) && RESERVED_EVENTS.contains(&name)
}

/// The arguments of a received event or ack: checked JSON, typed on demand.
///
/// ```
/// use loopio_socket::Args;
/// let (event, args) = Args::scan_event(r#"["move",{"x":1},[2,3]]"#).unwrap();
/// assert_eq!((event.as_ref(), args.len()), ("move", 2));
/// let (point, pair): (serde_json::Value, (u8, u8)) = args.decode().unwrap();
/// assert_eq!((point["x"].as_u64(), pair), (Some(1), (2, 3)));
/// ```
#[derive(Clone, Debug)]
pub struct Args<'a> {
    json: &'a str,
    count: usize,
    attachments: Option<Rc<[Vec<u8>]>>,
}

impl<'a> Args<'a> {
    /// Checks an EVENT payload: a JSON array whose first element is a string (or a number, as
    /// `socket.io-parser` allows) that is not a reserved name.
    pub fn scan_event(payload: &'a str) -> Result<(Cow<'a, str>, Self), ParseError> {
        let (name, args) = scan(payload, true)?;
        let name = name.ok_or(ParseError::InvalidPayload)?;
        if is_reserved(&name) {
            return Err(ParseError::ReservedEvent);
        }
        Ok((name, args))
    }

    /// Checks an ACK payload: a JSON array. An empty payload is an ack without arguments.
    pub fn scan_ack(payload: &'a str) -> Result<Self, ParseError> {
        if payload.is_empty() {
            return Ok(Self {
                json: "",
                count: 0,
                attachments: None,
            });
        }
        scan(payload, false).map(|(_, args)| args)
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The arguments' JSON text, comma separated, without the brackets.
    pub fn json(&self) -> &'a str {
        self.json
    }

    /// The binary attachments, indexed by placeholder `num`.
    pub fn attachments(&self) -> &[Vec<u8>] {
        self.attachments.as_deref().unwrap_or(&[])
    }

    /// The arguments' JSON as an emittable value, copied as written (placeholders included,
    /// attachments not: see [`Verbatim`]).
    pub fn verbatim(&self) -> Verbatim<'a> {
        Verbatim {
            json: self.json,
            count: self.count,
        }
    }

    /// Deserializes the arguments: one argument as itself, several as an array (a tuple),
    /// none as `null`. [`Binary`] fields take their bytes from the attachments.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        let Some(attachments) = &self.attachments else {
            return self.decode_json();
        };
        let previous = INCOMING.with(|slot| slot.replace(Some(attachments.clone())));
        let _restore = Restore(previous);
        self.decode_json()
    }

    fn decode_json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match self.count {
            0 => serde_json::from_str("null"),
            1 => serde_json::from_str(self.json),
            _ => serde_json::from_str(&format!("[{}]", self.json)),
        }
    }

    pub(crate) fn with_attachments(mut self, attachments: Rc<[Vec<u8>]>) -> Self {
        self.attachments = Some(attachments);
        self
    }
}

fn scan(payload: &str, named: bool) -> Result<(Option<Cow<'_, str>>, Args<'_>), ParseError> {
    let scanned = scan::scan(payload, named).map_err(|_| ParseError::InvalidPayload)?;
    let name = match scanned.name {
        None => None,
        Some(Name { span, plain: true }) => Some(Cow::Borrowed(&payload[span.0 + 1..span.1 - 1])),
        // Escapes or a number: serde_json decodes them (and checks surrogates and range).
        Some(Name { span, plain: false }) => Some(
            serde_json::from_str::<EventName<'_>>(&payload[span.0..span.1])
                .map_err(|_| ParseError::InvalidPayload)?
                .0,
        ),
    };
    Ok((
        name,
        Args {
            json: &payload[scanned.args.0..scanned.args.1],
            count: scanned.count,
            attachments: None,
        },
    ))
}

/// An event name: a string (borrowed when it has no escapes) or a number spelled as text.
pub(crate) struct EventName<'a>(pub(crate) Cow<'a, str>);

impl<'de> de::Deserialize<'de> for EventName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EventNameVisitor)
    }
}

struct EventNameVisitor;

impl<'de> Visitor<'de> for EventNameVisitor {
    type Value = EventName<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(EventName(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(EventName(Cow::Owned(v.to_owned())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(EventName(Cow::Owned(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(EventName(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(EventName(Cow::Owned(v.to_string())))
    }
}

/// Received argument JSON to emit again as the same arguments, without parsing it again.
///
/// The text was validated when it arrived ([`Args::scan_event`]), so this crate's own encoder
/// (every emit and ack) copies it as written: one `memcpy`, no second JSON pass. Any other
/// serializer (`serde_json::to_string`, say) gets it through `RawValue`, validated again.
/// Placeholders are copied as text; the attachments they name are not sent (loopio's
/// `RawArgs` re-attaches them).
///
/// ```
/// use loopio_socket::{Args, Encoded};
/// let (_, args) = Args::scan_event(r#"["in",{"a": 1},"x"]"#).unwrap();
/// let packet = Encoded::event("/", "out", &args.verbatim()).unwrap();
/// assert_eq!(packet.text(), r#"2["out",{"a": 1},"x"]"#);
/// assert_eq!(serde_json::to_string(&args.verbatim()).unwrap(), r#"[{"a": 1},"x"]"#);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Verbatim<'a> {
    /// Invariant: `count` valid JSON values, comma separated (checked by `scan`).
    json: &'a str,
    count: usize,
}

/// The newtype name a [`Verbatim`] gives [`ShapeProbe`] (and only it) to have its text
/// copied as written. The leading NUL keeps it out of any real type's way.
const VERBATIM: &str = "\0loopio_socket::Verbatim";

thread_local! {
    /// True only while [`write_packet`] probes the top-level value with [`ShapeProbe`]: a
    /// [`Verbatim`] seeing it knows its serializer is the probe, which copies its text.
    static PROBING: Cell<bool> = const { Cell::new(false) };
}

impl Serialize for Verbatim<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.count == 0 {
            return serializer.serialize_unit();
        }
        if PROBING.with(|probing| probing.replace(false)) {
            return serializer.serialize_newtype_struct(VERBATIM, self.json);
        }
        if self.count == 1 {
            let raw: &RawValue = serde_json::from_str(self.json).map_err(ser::Error::custom)?;
            return raw.serialize(serializer);
        }
        // Several arguments: a tuple, which the encoder spreads into arguments.
        let list = format!("[{}]", self.json);
        let items: Vec<&RawValue> = serde_json::from_str(&list).map_err(ser::Error::custom)?;
        let mut tuple = serializer.serialize_tuple(self.count)?;
        for item in items {
            ser::SerializeTuple::serialize_element(&mut tuple, item)?;
        }
        ser::SerializeTuple::end(tuple)
    }
}

/// Checks every placeholder of a binary packet's payload against the attachment count, as
/// `socket.io-parser`'s reconstruction does (an object with `"_placeholder": true` must carry an
/// integer `num` below the count). serde_json's depth limit bounds the recursion.
pub(crate) fn placeholders_valid(payload: &str, attachments: usize) -> bool {
    fn walk(value: &serde_json::Value, attachments: usize) -> bool {
        match value {
            serde_json::Value::Array(items) => items.iter().all(|v| walk(v, attachments)),
            serde_json::Value::Object(map) => {
                if map.get("_placeholder") == Some(&serde_json::Value::Bool(true)) {
                    return map
                        .get("num")
                        .and_then(|n| n.as_u64())
                        .is_some_and(|n| usize::try_from(n).is_ok_and(|n| n < attachments));
                }
                map.values().all(|v| walk(v, attachments))
            }
            _ => true,
        }
    }
    serde_json::from_str(payload).is_ok_and(|value| walk(&value, attachments))
}

thread_local! {
    /// The attachments of the packet being decoded, read by [`Binary`]'s `Deserialize`. Set
    /// only for the duration of [`Args::decode`] on the loop thread.
    static INCOMING: RefCell<Option<Rc<[Vec<u8>]>>> = const { RefCell::new(None) };
}

struct Restore(Option<Rc<[Vec<u8>]>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        INCOMING.with(|slot| slot.replace(previous));
    }
}

/// Bytes that travel as a binary attachment, anywhere inside event or ack arguments.
///
/// Serializing writes a placeholder and moves the bytes to an attachment; deserializing inside
/// [`Args::decode`] reads the placeholder back. Any value serialized with `serialize_bytes`
/// (such as `serde_bytes`) behaves the same way.
///
/// ```
/// use loopio_socket::{Binary, Encoded};
/// let packet = Encoded::event("/", "file", &("a.png", Binary(vec![0x89, 0x50]))).unwrap();
/// assert_eq!(packet.text(), r#"51-["file","a.png",{"_placeholder":true,"num":0}]"#);
/// assert_eq!(packet.attachments(), [vec![0x89, 0x50]]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Binary(pub Vec<u8>);

impl Serialize for Binary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> de::Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(BinaryVisitor)
    }
}

struct BinaryVisitor;

impl<'de> Visitor<'de> for BinaryVisitor {
    type Value = Binary;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a binary placeholder or bytes")
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Binary, E> {
        Ok(Binary(v.to_vec()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Binary, A::Error> {
        let mut bytes = Vec::new();
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        Ok(Binary(bytes))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Binary, A::Error> {
        let (mut placeholder, mut num) = (false, None);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "_placeholder" => placeholder = map.next_value::<bool>()?,
                "num" => num = Some(map.next_value::<usize>()?),
                _ => map.next_value::<de::IgnoredAny>().map(drop)?,
            }
        }
        let num = num
            .filter(|_| placeholder)
            .ok_or_else(|| de::Error::missing_field("num"))?;
        let found = INCOMING.with(|slot| {
            slot.borrow()
                .as_ref()
                .and_then(|attachments| attachments.get(num).cloned())
        });
        found
            .map(Binary)
            .ok_or_else(|| de::Error::custom("placeholder names no attachment"))
    }
}

/// A packet encoded once: its text message and binary attachments, shared by every recipient.
///
/// ```
/// use loopio_socket::Encoded;
/// let packet = Encoded::event("/chat", "msg", &("hi", 2)).unwrap();
/// assert_eq!(packet.text(), r#"2/chat,["msg","hi",2]"#);
/// assert_eq!(Encoded::event("/", "ping", &()).unwrap().text(), r#"2["ping"]"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    text: String,
    attachments: Vec<Vec<u8>>,
}

impl Encoded {
    /// Encodes an EVENT (or BINARY_EVENT) on namespace `nsp` without an ack id.
    pub fn event<T>(nsp: &str, event: &str, data: &T) -> Result<Self, EmitError>
    where
        T: Serialize + ?Sized,
    {
        let mut text = String::new();
        let mut attachments = Vec::new();
        write_packet(
            &mut text,
            &mut attachments,
            PacketType::Event,
            nsp,
            None,
            Some(event),
            data,
        )?;
        Ok(Self { text, attachments })
    }

    /// The text message.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The binary messages that follow the text one.
    pub fn attachments(&self) -> &[Vec<u8>] {
        &self.attachments
    }

    pub(crate) fn into_parts(self) -> (String, Vec<Vec<u8>>) {
        (self.text, self.attachments)
    }
}

/// Why an emit (or an ack answer) was not sent. These are misuse by the server code; the peer
/// never sees them.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmitError {
    /// The event name is one `socket.io` reserves (see [`RESERVED_EVENTS`]).
    ReservedEvent,
    /// The value refused to serialize (for example a map with non-string keys).
    Serialize(serde_json::Error),
    /// The socket has already disconnected.
    Disconnected,
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedEvent => f.write_str("reserved event name"),
            Self::Serialize(e) => write!(f, "arguments do not serialize: {e}"),
            Self::Disconnected => f.write_str("socket disconnected"),
        }
    }
}

impl std::error::Error for EmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Serialize(e) => Some(e),
            Self::ReservedEvent | Self::Disconnected => None,
        }
    }
}

impl From<serde_json::Error> for EmitError {
    fn from(e: serde_json::Error) -> Self {
        Self::Serialize(e)
    }
}

/// Appends one EVENT/ACK packet to `out` and its attachments to `attachments` (which must
/// start empty: placeholder numbers count from its length). `out` is a `String` so that the
/// packet is never validated as UTF-8 again on its way out.
pub(crate) fn write_packet<T: Serialize + ?Sized>(
    out: &mut String,
    attachments: &mut Vec<Vec<u8>>,
    kind: PacketType,
    nsp: &str,
    id: Option<u64>,
    event: Option<&str>,
    data: &T,
) -> Result<(), EmitError> {
    if event.is_some_and(is_reserved) {
        return Err(EmitError::ReservedEvent);
    }
    let start = out.len();
    packet::write_header(out, kind, nsp, id);
    // The comma goes first so that a `Verbatim` probed below lands after it.
    let comma = match event {
        Some(event) => {
            write_open_named(out, event)?;
            out.len() - 1
        }
        None => {
            out.push('[');
            out.len()
        }
    };
    PROBING.with(|probing| probing.set(true));
    let probe = ShapeProbe {
        out: &mut *out,
        verbatim: false,
    };
    let shape = match data.serialize(probe) {
        Ok(shape) | Err(ProbeError(shape)) => shape,
    };
    // Reset even when no `Verbatim` took it (the probe stops at the first call).
    PROBING.with(|probing| probing.set(false));
    if shape == Shape::Unit {
        out.truncate(comma);
    } else if shape != Shape::Verbatim {
        let at = out.len();
        let formatter = PlaceholderFormatter {
            attachments: &mut *attachments,
        };
        data.serialize(&mut serde_json::Serializer::with_formatter(
            StrWriter(&mut *out),
            formatter,
        ))?;
        if shape == Shape::Tuple {
            // `[a,b]` → `a,b`: a tuple is several arguments.
            out.remove(at);
            out.pop();
        }
    }
    out.push(']');
    if !attachments.is_empty() {
        packet::mark_binary(out, start, attachments.len());
    }
    Ok(())
}

/// Appends `[`, `event` as a JSON string and `,`. The usual name needs no escape and is
/// copied between quotes (three appends: `["`, the name, `",`); any other goes through
/// serde_json.
#[inline]
fn write_open_named(out: &mut String, event: &str) -> serde_json::Result<()> {
    // serde_json escapes exactly these: `"`, `\` and the control characters below 0x20.
    if !event.bytes().any(|b| NEEDS_ESCAPE[usize::from(b)]) {
        out.push_str("[\"");
        out.push_str(event);
        out.push_str("\",");
        return Ok(());
    }
    out.push('[');
    serde_json::to_writer(StrWriter(&mut *out), event)?;
    out.push(',');
    Ok(())
}

/// The bytes serde_json escapes in a string, one lookup per byte.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = byte < 0x20 || byte == b'"' as usize || byte == b'\\' as usize;
        byte += 1;
    }
    table
};

/// An `io::Write` appending to a `String`: serde_json writes only UTF-8, in pieces that each
/// are UTF-8 (whole strings, escapes, punctuation, numbers).
pub(crate) struct StrWriter<'a>(pub(crate) &'a mut String);

impl io::Write for StrWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let text =
            std::str::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        self.0.push_str(text);
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes bytes as a placeholder and keeps them as the next attachment.
struct PlaceholderFormatter<'a> {
    attachments: &'a mut Vec<Vec<u8>>,
}

impl serde_json::ser::Formatter for PlaceholderFormatter<'_> {
    fn write_byte_array<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        value: &[u8],
    ) -> io::Result<()> {
        let num = self.attachments.len();
        self.attachments.push(value.to_vec());
        write!(w, r#"{{"_placeholder":true,"num":{num}}}"#)
    }
}

/// What a value serializes as at the top level: the only fact needed to spread tuples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Unit,
    Tuple,
    Other,
    /// A [`Verbatim`], already copied into the packet by the probe.
    Verbatim,
}

#[derive(Debug)]
struct ProbeError(Shape);

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for ProbeError {}

impl ser::Error for ProbeError {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Self(Shape::Other)
    }
}

/// A serializer that stops at the first call and reports the value's [`Shape`]; a
/// [`Verbatim`]'s text it appends to `out`.
struct ShapeProbe<'a> {
    out: &'a mut String,
    /// Set inside a [`VERBATIM`] newtype: the string that follows is the arguments' JSON.
    verbatim: bool,
}

macro_rules! other {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Shape, ProbeError> { Ok(Shape::Other) })*
    };
}

macro_rules! compound {
    ($($method:ident($($arg:ty),*) -> $ret:ident = $shape:expr;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::$ret, ProbeError> {
            Err(ProbeError($shape))
        })*
    };
}

impl Serializer for ShapeProbe<'_> {
    type Ok = Shape;
    type Error = ProbeError;
    type SerializeSeq = Impossible<Shape, ProbeError>;
    type SerializeTuple = Impossible<Shape, ProbeError>;
    type SerializeTupleStruct = Impossible<Shape, ProbeError>;
    type SerializeTupleVariant = Impossible<Shape, ProbeError>;
    type SerializeMap = Impossible<Shape, ProbeError>;
    type SerializeStruct = Impossible<Shape, ProbeError>;
    type SerializeStructVariant = Impossible<Shape, ProbeError>;

    other! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_bytes(&[u8]); serialize_none();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }
    compound! {
        serialize_seq(Option<usize>) -> SerializeSeq = Shape::Other;
        serialize_tuple(usize) -> SerializeTuple = Shape::Tuple;
        serialize_tuple_struct(&'static str, usize) -> SerializeTupleStruct = Shape::Other;
        serialize_tuple_variant(&'static str, u32, &'static str, usize)
            -> SerializeTupleVariant = Shape::Other;
        serialize_map(Option<usize>) -> SerializeMap = Shape::Other;
        serialize_struct(&'static str, usize) -> SerializeStruct = Shape::Other;
        serialize_struct_variant(&'static str, u32, &'static str, usize)
            -> SerializeStructVariant = Shape::Other;
    }

    fn serialize_unit(self) -> Result<Shape, ProbeError> {
        Ok(Shape::Unit)
    }
    fn serialize_str(self, v: &str) -> Result<Shape, ProbeError> {
        if !self.verbatim {
            return Ok(Shape::Other);
        }
        self.out.push_str(v);
        Ok(Shape::Verbatim)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Shape, ProbeError> {
        // serde_json writes `Some(v)` as `v`, so it has v's shape.
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Shape, ProbeError> {
        let verbatim = name == VERBATIM;
        value.serialize(ShapeProbe {
            out: self.out,
            verbatim,
        })
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Shape, ProbeError> {
        Ok(Shape::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn encode<T: Serialize + ?Sized>(
        kind: PacketType,
        nsp: &str,
        id: Option<u64>,
        event: Option<&str>,
        data: &T,
    ) -> (String, Vec<Vec<u8>>) {
        let (mut out, mut attachments) = (String::new(), Vec::new());
        write_packet(&mut out, &mut attachments, kind, nsp, id, event, data).unwrap();
        (out, attachments)
    }

    #[test]
    fn argument_shapes() {
        let ev = |data: &dyn erased::Erased| data.encode();
        assert_eq!(ev(&()), r#"2["e"]"#);
        assert_eq!(ev(&1), r#"2["e",1]"#);
        assert_eq!(ev(&(1, "a")), r#"2["e",1,"a"]"#);
        assert_eq!(ev(&vec![1, 2]), r#"2["e",[1,2]]"#);
        assert_eq!(ev(&Some((1, 2))), r#"2["e",1,2]"#);
        assert_eq!(ev(&Option::<u8>::None), r#"2["e",null]"#);
        assert_eq!(ev(&json!({"a": [1]})), r#"2["e",{"a":[1]}]"#);
    }

    mod erased {
        pub trait Erased {
            fn encode(&self) -> String;
        }
        impl<T: serde::Serialize> Erased for T {
            fn encode(&self) -> String {
                super::encode(super::PacketType::Event, "/", None, Some("e"), self).0
            }
        }
    }

    #[test]
    fn acks_and_namespaces() {
        let (text, _) = encode(PacketType::Ack, "/admin", Some(456), None, &());
        assert_eq!(text, "3/admin,456[]");
        let (text, _) = encode(PacketType::Ack, "/", Some(1), None, &("a", 2));
        assert_eq!(text, r#"31["a",2]"#);
        let (text, _) = encode(
            PacketType::Event,
            "/admin",
            Some(456),
            Some("project:delete"),
            &123,
        );
        assert_eq!(text, r#"2/admin,456["project:delete",123]"#);
    }

    #[test]
    fn nested_binary_becomes_attachments() {
        let data = json!({"skip": true});
        let nested = (
            data,
            vec![Binary(vec![1]), Binary(vec![2, 3])],
            Some(Binary(vec![4])),
        );
        let (text, attachments) = encode(PacketType::Event, "/", None, Some("up"), &nested);
        assert_eq!(
            text,
            r#"53-["up",{"skip":true},[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}],{"_placeholder":true,"num":2}]"#
        );
        assert_eq!(attachments, vec![vec![1], vec![2, 3], vec![4]]);
        let (text, attachments) =
            encode(PacketType::Ack, "/admin", Some(456), None, &Binary(vec![9]));
        assert_eq!(text, r#"61-/admin,456[{"_placeholder":true,"num":0}]"#);
        assert_eq!(attachments.len(), 1);
    }

    #[test]
    fn verbatim_copies_validated_arguments() {
        let (_, args) = Args::scan_event(r#"["in", {"a": [1]} , "x\"y"]"#).unwrap();
        let raw = args.verbatim();
        let (text, _) = encode(PacketType::Event, "/", None, Some("o"), &raw);
        assert_eq!(text, r#"2["o",{"a": [1]} , "x\"y"]"#);
        let (text, _) = encode(PacketType::Ack, "/n", Some(4), None, &Some(raw));
        assert_eq!(text, r#"3/n,4[{"a": [1]} , "x\"y"]"#);
        // Nested, the probe never sees it: it goes through RawValue as one value each.
        let (text, _) = encode(PacketType::Event, "/", None, Some("o"), &(1, raw));
        assert_eq!(text, r#"2["o",1,[{"a": [1]},"x\"y"]]"#);
        let (_, none) = Args::scan_event(r#"["in"]"#).unwrap();
        let (text, _) = encode(PacketType::Event, "/", None, Some("o"), &none.verbatim());
        assert_eq!(text, r#"2["o"]"#);
        assert!(!PROBING.with(Cell::get));
    }

    #[test]
    fn reserved_names_are_refused() {
        let (mut out, mut att) = (String::new(), Vec::new());
        let err = write_packet(
            &mut out,
            &mut att,
            PacketType::Event,
            "/",
            None,
            Some("disconnect"),
            &(),
        );
        assert!(matches!(err, Err(EmitError::ReservedEvent)));
        for name in RESERVED_EVENTS {
            assert!(is_reserved(name), "{name}");
            assert!(!is_reserved(&name[1..]) && !is_reserved(&format!("{name}x")));
        }
        assert!(!is_reserved("echo"));
    }

    #[test]
    fn event_names_are_escaped_as_serde_json_does() {
        let mut names: Vec<String> = (0..=0x7f_u8).map(|b| format!("a{}b", b as char)).collect();
        names.extend(["", "é", "😀", "\u{2028}", "a\"b\\c\n"].map(String::from));
        for name in names {
            let mut out = String::new();
            write_open_named(&mut out, &name).unwrap();
            let expected = format!("[{},", serde_json::to_string(&name).unwrap());
            assert_eq!(out, expected, "{name:?}");
        }
    }

    #[test]
    fn scans_events() {
        let (name, args) = Args::scan_event(r#"["chat", "hi" , 2 ]"#).unwrap();
        assert_eq!(
            (name.as_ref(), args.json(), args.len()),
            ("chat", r#""hi" , 2"#, 2)
        );
        assert!(matches!(name, Cow::Borrowed(_)));
        let (name, args) = Args::scan_event(r#"["a\"b"]"#).unwrap();
        assert_eq!((name.as_ref(), args.len(), args.json()), ("a\"b", 0, ""));
        let (name, _) = Args::scan_event("[12]").unwrap();
        assert_eq!(name, "12");
    }

    #[test]
    fn rejects_bad_event_payloads() {
        for bad in [
            "",
            "[]",
            "{}",
            "[1",
            r#"["a"]x"#,
            "[null]",
            "[[1]]",
            r#"[{"a":1}]"#,
            "nope",
        ] {
            assert_eq!(
                Args::scan_event(bad).unwrap_err(),
                ParseError::InvalidPayload,
                "{bad}"
            );
        }
        assert_eq!(
            Args::scan_event(r#"["disconnecting"]"#).unwrap_err(),
            ParseError::ReservedEvent
        );
        assert_eq!(
            Args::scan_ack("{}").unwrap_err(),
            ParseError::InvalidPayload
        );
        assert_eq!(Args::scan_ack("").unwrap().len(), 0);
    }

    #[test]
    fn decodes_by_arity() {
        let (_, args) = Args::scan_event(r#"["e"]"#).unwrap();
        args.decode::<()>().unwrap();
        assert_eq!(args.decode::<Option<u8>>().unwrap(), None);
        let (_, args) = Args::scan_event(r#"["e",{"a":1}]"#).unwrap();
        assert_eq!(args.decode::<Value>().unwrap(), json!({"a": 1}));
        let (_, args) = Args::scan_event(r#"["e",1,"x"]"#).unwrap();
        assert_eq!(args.decode::<(u8, String)>().unwrap(), (1, "x".to_owned()));
        assert_eq!(args.decode::<Value>().unwrap(), json!([1, "x"]));
    }

    #[test]
    fn binary_round_trip_through_placeholders() {
        let nested = (json!({"k": 1}), vec![Binary(vec![1]), Binary(vec![2, 3])]);
        let (text, attachments) = encode(PacketType::Event, "/", None, Some("up"), &nested);
        let header = packet::Header::parse(&text, 10).unwrap();
        assert!(placeholders_valid(header.payload, header.attachments));
        assert!(!placeholders_valid(header.payload, 1));
        let (_, args) = Args::scan_event(header.payload).unwrap();
        let args = args.with_attachments(attachments.into());
        let (k, bins): (Value, Vec<Binary>) = args.decode().unwrap();
        assert_eq!(
            (k, bins),
            (json!({"k": 1}), vec![Binary(vec![1]), Binary(vec![2, 3])])
        );
        // Outside a decode the placeholder names nothing.
        assert!(serde_json::from_str::<Binary>(r#"{"_placeholder":true,"num":0}"#).is_err());
    }

    #[test]
    fn placeholder_validation() {
        assert!(placeholders_valid(
            r#"["a",{"_placeholder":true,"num":0}]"#,
            1
        ));
        assert!(!placeholders_valid(
            r#"["a",{"_placeholder":true,"num":-1}]"#,
            1
        ));
        assert!(!placeholders_valid(
            r#"["a",{"_placeholder":true,"num":"0"}]"#,
            1
        ));
        assert!(!placeholders_valid(r#"["a",{"_placeholder":true}]"#, 1));
        assert!(placeholders_valid(r#"["a",{"_placeholder":false}]"#, 1));
    }
}
