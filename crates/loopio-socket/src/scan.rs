//! A JSON scanner for event and ack payloads: it checks the text and finds the event name and
//! the byte span of the arguments, building no values and allocating nothing.
//!
//! It accepts exactly what the previous serde_json pass accepted (`deserialize_seq` with a
//! leading event name and `RawValue` arguments), plus serde_json's nesting limit:
//!
//! - RFC 8259 grammar: whitespace is ` `, `\t`, `\n`, `\r`; strings hold no byte below 0x20
//!   and only the escapes `\" \\ \/ \b \f \n \r \t \uXXXX`; numbers are
//!   `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; no trailing comma, nothing after the
//!   array but whitespace.
//! - Like `RawValue`, argument numbers are not range-checked and `\uD800` (a lone surrogate)
//!   passes: both are valid JSON text that only a typed decode can refuse.
//! - The event name is decoded by serde_json when it is not a plain string (escapes, numbers),
//!   so its surrogate and range checks stay serde_json's.
//! - At most [`MAX_DEPTH`] nested arrays and objects, counting the outer array, as
//!   `serde_json::from_str::<Value>` allows; deeper payloads could never be decoded.

/// serde_json's recursion limit: its 128 budget is spent on entering a container and may not
/// reach 0, so 127 nested containers are the most it reads.
pub(crate) const MAX_DEPTH: usize = 127;

/// The text is not JSON the packet type accepts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Invalid;

/// What [`scan`] found in `[name?, args...]`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// The first element's byte span when the payload is named: a string (quotes included) or
    /// a number.
    pub name: Option<Name>,
    /// From the first argument's first byte to the last argument's last byte; `0..0` if none.
    pub args: (usize, usize),
    /// The number of arguments.
    pub count: usize,
}

/// Where the event name sits and whether it can be borrowed as written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Name {
    /// The span of the JSON value (quotes included for a string).
    pub span: (usize, usize),
    /// True for a string without escapes: the text between the quotes is the name.
    pub plain: bool,
}

/// Scans a JSON array; with `named`, its first element must be a string or a number and is
/// reported apart from the arguments.
pub(crate) fn scan(payload: &str, named: bool) -> Result<Scanned, Invalid> {
    let mut cursor = Cursor {
        bytes: payload.as_bytes(),
        pos: 0,
        closed: false,
    };
    cursor.whitespace();
    cursor.expect(b'[')?;
    cursor.whitespace();
    let mut scanned = Scanned {
        name: None,
        args: (0, 0),
        count: 0,
    };
    if named {
        scanned.name = Some(cursor.name()?);
        cursor.after_element()?;
    } else if cursor.peek() == Some(b']') {
        cursor.pos += 1;
        return cursor.end().map(|()| scanned);
    }
    while !cursor.closed {
        let start = cursor.pos;
        cursor.value()?;
        if scanned.count == 0 {
            scanned.args.0 = start;
        }
        scanned.args.1 = cursor.pos;
        scanned.count += 1;
        cursor.after_element()?;
    }
    cursor.end().map(|()| scanned)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Set once the outer array's `]` is read.
    closed: bool,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Result<u8, Invalid> {
        let byte = self.peek().ok_or(Invalid)?;
        self.pos += 1;
        Ok(byte)
    }

    fn expect(&mut self, byte: u8) -> Result<(), Invalid> {
        if self.next()? == byte {
            return Ok(());
        }
        Err(Invalid)
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// After an element of the outer array: `,` and the next element's start, or `]`.
    fn after_element(&mut self) -> Result<(), Invalid> {
        self.whitespace();
        match self.next()? {
            b',' => self.whitespace(),
            b']' => self.closed = true,
            _ => return Err(Invalid),
        }
        Ok(())
    }

    /// Only whitespace may follow the outer array.
    fn end(&mut self) -> Result<(), Invalid> {
        self.whitespace();
        match self.pos == self.bytes.len() {
            true => Ok(()),
            false => Err(Invalid),
        }
    }

    /// The event name: a string or a number.
    fn name(&mut self) -> Result<Name, Invalid> {
        let start = self.pos;
        let plain = match self.next()? {
            b'"' => self.string()?,
            b'-' | b'0'..=b'9' => {
                self.number()?;
                false
            }
            _ => return Err(Invalid),
        };
        Ok(Name {
            span: (start, self.pos),
            plain,
        })
    }

    /// Skips one value (at its first byte) with its nested values, at most [`MAX_DEPTH`] deep
    /// counting the outer array. Iterative: a peer cannot grow the stack.
    fn value(&mut self) -> Result<(), Invalid> {
        // Bit i is set when the container at nesting level i (innermost at bit 0) is an object.
        let mut objects: u128 = 0;
        let mut open = 0;
        loop {
            match self.next()? {
                b'"' => self.string().map(drop)?,
                b'-' | b'0'..=b'9' => self.number()?,
                b'n' => self.literal(b"ull")?,
                b't' => self.literal(b"rue")?,
                b'f' => self.literal(b"alse")?,
                bracket @ (b'[' | b'{') => {
                    // The outer array is one level, this container another.
                    if open + 2 > MAX_DEPTH {
                        return Err(Invalid);
                    }
                    let object = bracket == b'{';
                    objects = objects << 1 | u128::from(object);
                    open += 1;
                    self.whitespace();
                    let close = if object { b'}' } else { b']' };
                    if self.peek() != Some(close) {
                        if object {
                            self.key()?;
                        }
                        continue;
                    }
                    self.pos += 1;
                    objects >>= 1;
                    open -= 1;
                }
                _ => return Err(Invalid),
            }
            // After a value: close containers until one continues with `,`.
            loop {
                if open == 0 {
                    return Ok(());
                }
                self.whitespace();
                let object = objects & 1 == 1;
                match (self.next()?, object) {
                    (b',', _) => {
                        self.whitespace();
                        if object {
                            self.key()?;
                        }
                        break;
                    }
                    (b']', false) | (b'}', true) => {
                        objects >>= 1;
                        open -= 1;
                    }
                    _ => return Err(Invalid),
                }
            }
        }
    }

    /// An object key and its colon, leaving the cursor at the value's first byte.
    // This, `escape` and `number` are inlined like the rest: one out-of-line call takes the
    // cursor's address, which kept `pos` in memory for the whole scan (a scan of
    // `["chat",{"user":"ada","text":"hello there","n":[1,2,3]},true]`: 1 281 -> 1 068 Ir).
    #[inline(always)]
    fn key(&mut self) -> Result<(), Invalid> {
        self.expect(b'"')?;
        self.string()?;
        self.whitespace();
        self.expect(b':')?;
        self.whitespace();
        Ok(())
    }

    fn literal(&mut self, rest: &[u8]) -> Result<(), Invalid> {
        if !self.bytes[self.pos..].starts_with(rest) {
            return Err(Invalid);
        }
        self.pos += rest.len();
        Ok(())
    }

    /// The rest of a string after its opening quote; true when it has no escape.
    // Inlined into its three callers: the call itself cost ~10 % of a whole scan.
    #[inline(always)]
    fn string(&mut self) -> Result<bool, Invalid> {
        let mut plain = true;
        loop {
            self.pos += plain_run(&self.bytes[self.pos..]);
            match self.next()? {
                b'"' => return Ok(plain),
                b'\\' => {
                    plain = false;
                    self.escape()?;
                }
                // RFC 8259 §7: control characters U+0000 to U+001F must be escaped.
                _ => return Err(Invalid),
            }
        }
    }

    /// One escape after its backslash. Like `RawValue`, `\uXXXX` needs four hex digits and
    /// nothing more (a lone surrogate passes).
    #[inline(always)]
    fn escape(&mut self) -> Result<(), Invalid> {
        match self.next()? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => {
                let hex = self.bytes.get(self.pos..self.pos + 4).ok_or(Invalid)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err(Invalid);
                }
                self.pos += 4;
                Ok(())
            }
            _ => Err(Invalid),
        }
    }

    /// The rest of a number after its first byte (`-` or a digit).
    #[inline(always)]
    fn number(&mut self) -> Result<(), Invalid> {
        let mut first = self.bytes[self.pos - 1];
        if first == b'-' {
            first = self.next()?;
        }
        match first {
            // One leading zero, and only alone.
            b'0' => {
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return Err(Invalid);
                }
            }
            b'1'..=b'9' => self.digits(),
            _ => return Err(Invalid),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    fn some_digits(&mut self) -> Result<(), Invalid> {
        let start = self.pos;
        self.digits();
        match self.pos > start {
            true => Ok(()),
            false => Err(Invalid),
        }
    }
}

/// The length of the leading run of bytes that a string holds as written: none of `"`, `\`
/// or a control character. Eight bytes at a time (a byte is flagged when it is below 0x20 or
/// equal to `"` or `\`: the classic has-zero-byte and has-less-than bit tricks).
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::MAX / 0xff;
    const HIGH: u64 = ONES << 7;
    let mut chunks = bytes.chunks_exact(8);
    let mut run = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks_exact gives 8 bytes"));
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // A flag is exact for the lowest flagged byte; higher flags may be spurious (borrows),
        // which does not matter: only the first is used.
        let flags = (word.wrapping_sub(ONES * 0x20)
            | quote.wrapping_sub(ONES)
            | backslash.wrapping_sub(ONES))
            & !word
            & HIGH;
        if flags != 0 {
            return run + flags.trailing_zeros() as usize / 8;
        }
        run += 8;
    }
    run + chunks
        .remainder()
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .unwrap_or(chunks.remainder().len())
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{self, Deserializer, SeqAccess, Visitor};
    use serde_json::value::RawValue;

    use super::*;
    use crate::{Args, ParseError, RESERVED_EVENTS};

    /// What `Args::scan_event`/`scan_ack` report, owned.
    type Outcome = Result<(Option<String>, String, usize), ParseError>;

    fn scanned(payload: &str, named: bool) -> Outcome {
        if named {
            let (name, args) = Args::scan_event(payload)?;
            return Ok((Some(name.into_owned()), args.json().to_owned(), args.len()));
        }
        let args = Args::scan_ack(payload)?;
        Ok((None, args.json().to_owned(), args.len()))
    }

    /// The serde_json pass this scanner replaced: `deserialize_seq` with a leading event name
    /// and `RawValue` arguments (which have no nesting limit), then the nesting limit.
    fn oracle(payload: &str, named: bool) -> Outcome {
        struct Seq<'a>(&'a str, bool);
        impl<'de> Visitor<'de> for Seq<'de> {
            type Value = (Option<String>, (usize, usize), usize);
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut name = None;
                if self.1 {
                    let first = seq.next_element::<crate::args::EventName<'de>>()?;
                    name = Some(first.ok_or_else(|| de::Error::invalid_length(0, &self))?.0);
                }
                let (mut span, mut count) = ((0, 0), 0);
                while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                    let start = raw.get().as_ptr() as usize - self.0.as_ptr() as usize;
                    if count == 0 {
                        span.0 = start;
                    }
                    span.1 = start + raw.get().len();
                    count += 1;
                }
                Ok((name.map(Cow::into_owned), span, count))
            }
        }
        if !named && payload.is_empty() {
            return Ok((None, String::new(), 0));
        }
        let mut de = serde_json::Deserializer::from_str(payload);
        let (name, span, count) = de
            .deserialize_seq(Seq(payload, named))
            .map_err(|_| ParseError::InvalidPayload)?;
        de.end().map_err(|_| ParseError::InvalidPayload)?;
        if depth(payload) > MAX_DEPTH {
            return Err(ParseError::InvalidPayload);
        }
        if name
            .as_deref()
            .is_some_and(|n| RESERVED_EVENTS.contains(&n))
        {
            return Err(ParseError::ReservedEvent);
        }
        Ok((name, payload[span.0..span.1].to_owned(), count))
    }

    /// The deepest bracket nesting of (valid) JSON text.
    fn depth(json: &str) -> usize {
        let (mut depth, mut deepest, mut in_string, mut escaped) = (0, 0, false, false);
        for b in json.bytes() {
            match (in_string, escaped, b) {
                (true, true, _) => escaped = false,
                (true, false, b'\\') => escaped = true,
                (true, false, b'"') | (false, _, b'"') => in_string = !in_string,
                (false, _, b'[' | b'{') => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                (false, _, b']' | b'}') => depth -= 1,
                _ => {}
            }
        }
        deepest
    }

    fn check(payload: &str) {
        for named in [true, false] {
            assert_eq!(
                scanned(payload, named),
                oracle(payload, named),
                "{payload:?} named={named}"
            );
        }
    }

    #[test]
    fn tricky_cases_agree_with_serde_json() {
        for payload in [
            r#"["echo","hi"]"#,
            r#" [ "echo" , "hi" , 1 ] "#,
            "[\"a\"\t,\n1\r]",
            r#"["a\"b",1]"#,
            r#"["a\\",1]"#,
            r#"["\u0041\u00e9",{"k\"":"v"}]"#,
            r#"["\ud83d\ude00"]"#,
            r#"["\ud800"]"#,
            r#"["e","\ud800"]"#,
            r#"["e","\u12"]"#,
            r#"["e","\u12g4"]"#,
            r#"["e","\x"]"#,
            r#"["e","\/\b\f\n\r\t"]"#,
            "[\"e\",\"a\u{1}\"]",
            "[\"e\",\"a\u{7f}\u{e9}\"]",
            "[\"e\u{1f}\"]",
            r#"["e",-0,0,1e5,1E+5,1.5e-3,-12.0]"#,
            r#"["e",01]"#,
            r#"["e",-]"#,
            r#"["e",1.]"#,
            r#"["e",.5]"#,
            r#"["e",1e]"#,
            r#"["e",+1]"#,
            r#"["e",1e999,-1e999,18446744073709551616]"#,
            r#"[1e999]"#,
            r#"[-0]"#,
            r#"[1.0,2]"#,
            r#"[18446744073709551616]"#,
            r#"[01]"#,
            r#"["e",null,true,false]"#,
            r#"["e",nul]"#,
            r#"["e",True]"#,
            r#"["e",[],{},[[]],{"a":{}}]"#,
            r#"["e",[1,]]"#,
            r#"["e",{"a":1,}]"#,
            r#"["e",{"a" 1}]"#,
            r#"["e",{1:1}]"#,
            r#"["e",{"a":}]"#,
            r#"["e",]"#,
            r#"["e" "f"]"#,
            r#"["e"]x"#,
            r#"["e"] "#,
            r#"["e"],"#,
            r#"["e",[}]"#,
            r#"["e",{]}"#,
            "[]",
            "[ ]",
            "",
            " ",
            "{}",
            "[null]",
            "[\"connect\"]",
            r#"["dis\u0063onnect"]"#,
            "[\"e\",\u{a0}1]",
            "[\"e\",\u{c}1]",
            "[\"e\"\u{0}]",
        ] {
            check(payload);
        }
    }

    #[test]
    fn nesting_stops_where_serde_json_does() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        // The outer array is one level: 126 more make serde_json's 127.
        for (inner, ok) in [(125, true), (126, true), (127, false), (300, false)] {
            let payload = format!(r#"["e",{}]"#, nested(inner));
            assert_eq!(Args::scan_event(&payload).is_ok(), ok, "{inner}");
            assert_eq!(Args::scan_ack(&payload).is_ok(), ok, "{inner}");
            let value = serde_json::from_str::<serde_json::Value>(&payload);
            assert_eq!(value.is_ok(), ok, "{inner}");
            check(&payload);
        }
        let objects = format!(r#"["e",{}1{}]"#, r#"{"a":"#.repeat(126), "}".repeat(126));
        assert!(Args::scan_event(&objects).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&objects).is_ok());
    }

    #[test]
    fn plain_runs_stop_at_the_first_special_byte() {
        let text = "abcdefghijklmnopqrstuvwxyzé0123456789";
        for at in 0..text.len() {
            for special in [b'"', b'\\', 0x00, 0x1f] {
                let mut bytes = text.as_bytes()[..at].to_vec();
                bytes.push(special);
                bytes.extend_from_slice(b"\x01tail\"");
                assert_eq!(plain_run(&bytes), at, "{at} {special:#x}");
            }
        }
        assert_eq!(plain_run(b"\x7f\x80\xff !#[]\x1f"), 8);
    }

    /// Mostly valid JSON with random whitespace, then up to two byte-level mutations: random
    /// inputs that reach every branch of both parsers.
    #[test]
    fn random_payloads_agree_with_serde_json() {
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        const ATOMS: [&str; 16] = [
            "0",
            "-0",
            "12",
            "1.5",
            "-3e2",
            "1E+9",
            "1e999",
            "null",
            "true",
            "false",
            "\"\"",
            "\"echo\"",
            "\"a\\\"b\"",
            "\"\\u00e9\\n\\/\"",
            "\"\\ud800\"",
            "\"é😀\"",
        ];
        const BAD_ATOMS: [&str; 8] = [
            "01",
            "-01",
            "1.",
            ".5",
            "1e+",
            "nul",
            "\"\\x\"",
            "\"\\u12\"",
        ];
        const NOISE: [&str; 16] = [
            "[", "]", "{", "}", ",", ":", "\"", "\\", " ", "\n", "0", "-", ".", "e", "\u{1}", "x",
        ];
        fn value(out: &mut String, next: &mut impl FnMut(usize) -> usize, depth: usize) {
            let ws = ["", "", " ", "\n\t"];
            out.push_str(ws[next(ws.len())]);
            match next(if depth > 4 { 1 } else { 4 }) {
                0 | 1 if next(20) == 0 => out.push_str(BAD_ATOMS[next(BAD_ATOMS.len())]),
                0 | 1 => out.push_str(ATOMS[next(ATOMS.len())]),
                2 => {
                    out.push('[');
                    for i in 0..next(4) {
                        if i > 0 {
                            out.push(',');
                        }
                        value(out, next, depth + 1);
                    }
                    out.push(']');
                }
                _ => {
                    out.push('{');
                    for i in 0..next(4) {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&format!("\"k{i}\"{}:", ws[next(ws.len())]));
                        value(out, next, depth + 1);
                    }
                    out.push('}');
                }
            }
            out.push_str(ws[next(ws.len())]);
        }
        for _ in 0..60_000 {
            let mut payload = String::from("[");
            for i in 0..next(4) {
                if i > 0 {
                    payload.push(',');
                }
                value(&mut payload, &mut next, 1);
            }
            payload.push(']');
            for _ in 0..next(3) {
                let boundaries: Vec<usize> = (0..=payload.len())
                    .filter(|&i| payload.is_char_boundary(i))
                    .collect();
                let at = boundaries[next(boundaries.len())];
                match next(4) {
                    0 => payload.insert_str(at, NOISE[next(NOISE.len())]),
                    // A closing bracket of the other kind.
                    1 => {
                        let swapped = payload.replacen(']', "}", 1);
                        payload = match next(2) {
                            0 => swapped,
                            _ => payload.replacen('}', "]", 1),
                        }
                    }
                    2 if at < payload.len() => {
                        let len = payload[at..].chars().next().map_or(0, char::len_utf8);
                        payload.replace_range(at..at + len, "");
                    }
                    _ => payload.truncate(at),
                }
            }
            check(&payload);
        }
    }
}
