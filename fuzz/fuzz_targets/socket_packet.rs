//! Socket.IO v5 packets: `Header::parse`, `Args::scan_event`/`scan_ack` against `serde_json`,
//! and binary-attachment reassembly through a `Server` driven by a message sequence.
//!
//! Input: `[mode] ...`. Even `mode`: the rest is one packet text (lossy UTF-8). Odd `mode`: the
//! rest is a script of operations on one client (see `drive`).
//!
//! Invariants:
//! - `Header::parse`: attachments > 0 iff the type is binary, and ≤ the max; the namespace is
//!   `/` or starts with `/` and has no comma; the payload is a suffix of the text; the canonical
//!   re-encoding of a JSON-payload header parses to the same header;
//! - `scan_event` accepts iff `serde_json` reads a non-empty array whose first element is a
//!   string or number (not a reserved name); `scan_ack` iff an array (or empty payload); the
//!   arguments count and `decode::<Value>()` match `serde_json`'s view; where `Value` cannot
//!   hold the text (`1e999`, a lone surrogate), acceptance follows serde_json's grammar
//!   (`Vec<&RawValue>`) within its nesting limit;
//! - reassembly: a handler sees exactly the announced number of attachments (≤ max); a
//!   rejected packet always closes the client and nothing is sent to a closed client; the
//!   server's tables stay bounded (1 client, ≤ 2 sockets, ≤ 2 namespaces, no timers leak).
#![no_main]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use loopio_fuzz::Input;
use loopio_socket::{
    Args, ClientId, Config, DisconnectReason, Event, Handshake, Header, ParseError, Server,
    Transmit, RESERVED_EVENTS,
};
use serde_json::value::RawValue;
use serde_json::Value;

const MAX_ATTACHMENTS: usize = 10;

fn check_header(text: &str) {
    let Ok(header) = Header::parse(text, MAX_ATTACHMENTS) else {
        return;
    };
    assert_eq!(header.kind.is_binary(), header.attachments > 0, "{header:?}");
    assert!(header.attachments <= MAX_ATTACHMENTS);
    assert!(header.nsp.starts_with('/') && !header.nsp.contains(','), "{header:?}");
    assert!(text.ends_with(header.payload));
    let _ = header.to_string();
    // Payloads are JSON: re-encoding is unambiguous when the payload cannot be read as part of
    // the header (a digit, `/` or `,` at its start could be).
    let ambiguous = header.payload.starts_with(|c: char| c.is_ascii_digit() || c == '/' || c == ',');
    if ambiguous || (header.nsp == "/" && header.payload.is_empty() && header.id.is_none()) {
        return;
    }
    let mut canonical = String::new();
    canonical.push(header.kind.digit() as char);
    if header.attachments > 0 {
        canonical.push_str(&format!("{}-", header.attachments));
    }
    if header.nsp != "/" {
        canonical.push_str(header.nsp);
        canonical.push(',');
    }
    if let Some(id) = header.id {
        canonical.push_str(&id.to_string());
    }
    canonical.push_str(header.payload);
    assert_eq!(Header::parse(&canonical, MAX_ATTACHMENTS), Ok(header), "{canonical:?}");
}

/// `decode::<Value>()` as documented: none → null, one → itself, several → an array.
fn expected_args(values: &[Value]) -> Value {
    match values {
        [] => Value::Null,
        [one] => one.clone(),
        many => Value::Array(many.to_vec()),
    }
}

/// serde_json errors for grammatical JSON that a `Value` cannot represent.
fn is_unrepresentable(error: &serde_json::Error) -> bool {
    let text = error.to_string();
    [
        "number out of range",
        "lone leading surrogate",
        "unexpected end of hex escape",
        "invalid unicode code point",
    ]
    .iter()
    .any(|prefix| text.starts_with(prefix))
}

/// serde_json's nesting limit for a `Value` (its budget of 128 may not reach 0).
const MAX_DEPTH: usize = 127;

/// The deepest bracket nesting of JSON text (brackets inside strings do not count).
fn depth(json: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for b in json.bytes() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (_, _, b'"') => in_string = !in_string,
            (false, _, b'[' | b'{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn check_args(payload: &str) {
    let parsed: Option<Vec<Value>> = match serde_json::from_str::<Value>(payload) {
        Ok(Value::Array(items)) => Some(items),
        // `1e999` and a lone surrogate escape `"\uDDDD"` are valid JSON grammar (and JavaScript
        // takes them) that `Value` cannot hold, while the scan keeps values as raw text: only
        // decoding fails then (a HandlerFailed event, not a refusal).
        // The scan must still agree with serde_json's grammar (`RawValue` elements) and depth.
        Err(error) if is_unrepresentable(&error) => {
            let grammatical = serde_json::from_str::<Vec<&RawValue>>(payload).is_ok()
                && depth(payload) <= MAX_DEPTH;
            let ack = Args::scan_ack(payload);
            assert_eq!(ack.is_ok(), grammatical, "scan_ack({payload:?}) = {ack:?}");
            if let Ok(args) = ack {
                let _ = args.decode::<Value>();
            }
            if let Ok((_, args)) = Args::scan_event(payload) {
                assert!(grammatical, "scan_event accepted {payload:?}");
                let _ = args.decode::<Value>();
            }
            return;
        }
        _ => None,
    };
    let event = Args::scan_event(payload);
    match (&event, &parsed) {
        (Ok((name, args)), Some(items)) => {
            assert!(matches!(items.first(), Some(Value::String(_) | Value::Number(_))));
            if let Some(Value::String(first)) = items.first() {
                assert_eq!(name.as_ref(), first);
            }
            assert_eq!(args.len(), items.len() - 1);
            let decoded: Value = args.decode().expect("scanned JSON decodes");
            assert_eq!(decoded, expected_args(&items[1..]));
        }
        (Err(ParseError::ReservedEvent), Some(items)) => {
            let Some(Value::String(first)) = items.first() else { panic!("reserved non-string") };
            assert!(RESERVED_EVENTS.contains(&first.as_str()));
        }
        (Err(ParseError::InvalidPayload), Some(items)) => assert!(
            !matches!(items.first(), Some(Value::String(_) | Value::Number(_))),
            "scan_event refused {payload:?}"
        ),
        (Err(ParseError::InvalidPayload), None) => {}
        (result, _) => panic!("scan_event({payload:?}) = {result:?}, serde_json: {parsed:?}"),
    }
    match (Args::scan_ack(payload), &parsed) {
        (Ok(args), _) if payload.is_empty() => assert!(args.is_empty()),
        (Ok(args), Some(items)) => {
            assert_eq!(args.len(), items.len());
            let decoded: Value = args.decode().expect("scanned JSON decodes");
            assert_eq!(decoded, expected_args(items));
        }
        (Err(ParseError::InvalidPayload), None) => {}
        (result, _) => panic!("scan_ack({payload:?}) = {result:?}, serde_json: {parsed:?}"),
    }
}

/// Packets worth reaching quickly, picked by index in the operation script.
const TEMPLATES: [&str; 12] = [
    "0",
    "0/admin,",
    "0/nowhere,",
    r#"2["e",1]"#,
    r#"21["e",{"a":[1,2]}]"#,
    r#"51-["bin",{"_placeholder":true,"num":0}]"#,
    r#"52-/admin,["bin",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#,
    r#"53-7["bin",{"_placeholder":true,"num":3}]"#,
    r#"61-/admin,3[{"_placeholder":true,"num":0}]"#,
    "1",
    "1/admin,",
    "3[]",
];

struct World {
    io: Server,
    now: Instant,
    seen: Rc<RefCell<Vec<usize>>>,
    /// Attachments the last binary header announced.
    announced: usize,
    open: bool,
}

impl World {
    fn new() -> World {
        let now = Instant::now();
        let mut io = Server::new(Config::new([7; 32]), now);
        let seen = Rc::new(RefCell::new(Vec::new()));
        for nsp in ["/", "/admin"] {
            let seen = seen.clone();
            io.of(nsp).on_connection(move |socket| {
                let seen = seen.clone();
                socket.on_any(move |ctx| {
                    seen.borrow_mut().push(ctx.attachments().len());
                    if ctx.wants_ack() {
                        let _ = ctx.ack(&ctx.attachments().len());
                    }
                });
            });
        }
        let mut world = World { io, now, seen, announced: 0, open: false };
        world.reopen();
        world
    }

    fn reopen(&mut self) {
        self.io.handle_open(self.now, ClientId(1), Handshake::new(self.now, "127.0.0.1:1"));
        self.open = true;
        self.drain();
    }

    fn text(&mut self, text: &str) {
        if let Ok(header) = Header::parse(text, MAX_ATTACHMENTS) {
            if header.kind.is_binary() {
                self.announced = header.attachments;
            }
        }
        self.io.handle_text(self.now, ClientId(1), text);
        self.drain();
    }

    /// Drains every output and checks them.
    fn drain(&mut self) {
        let mut rejected = false;
        while let Some(event) = self.io.poll_event() {
            if let Event::Rejected { client, .. } = event {
                assert_eq!(client, ClientId(1));
                rejected = true;
            }
        }
        let mut closed = false;
        while let Some(transmit) = self.io.poll_transmit() {
            match transmit {
                Transmit::Close { client } => {
                    assert_eq!(client, ClientId(1));
                    closed = true;
                }
                Transmit::Send { .. } => assert!(self.open && !closed, "send after close"),
                _ => {}
            }
        }
        assert!(!rejected || closed, "a rejected packet did not close the client");
        if closed {
            self.open = false;
        }
        for attachments in self.seen.borrow_mut().drain(..) {
            assert!(attachments <= MAX_ATTACHMENTS);
            if attachments > 0 {
                assert_eq!(attachments, self.announced, "handler saw the wrong attachment count");
            }
        }
        let stats = self.io.stats();
        assert!(stats.clients <= 1 && stats.sockets <= 2 && stats.namespaces <= 2, "{stats:?}");
        assert!(stats.timers <= 4, "{stats:?}");
    }
}

/// Operations: 0 text (len, bytes), 1 binary (len, bytes), 2 template, 3 time step (u16 ms)
/// and timeout, 4 close and reopen the session.
fn drive(input: &mut Input<'_>) {
    let mut world = World::new();
    while !input.is_empty() {
        match input.byte() % 5 {
            0 => {
                let len = usize::from(input.byte());
                let text = String::from_utf8_lossy(input.take(len)).into_owned();
                world.text(&text);
            }
            1 => {
                let len = usize::from(input.byte() % 16);
                world.io.handle_binary(world.now, ClientId(1), input.take(len));
                world.drain();
            }
            2 => world.text(TEMPLATES[usize::from(input.byte()) % TEMPLATES.len()]),
            3 => {
                world.now += Duration::from_millis(u64::from(input.u16()) * 8);
                if world.io.poll_timeout().is_some_and(|deadline| deadline <= world.now) {
                    world.io.handle_timeout(world.now);
                }
                world.drain();
            }
            _ => {
                world.io.handle_close(world.now, ClientId(1), DisconnectReason::TransportClose);
                world.drain();
                world.reopen();
            }
        }
    }
    world.io.close(world.now);
    world.drain();
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    if input.byte() & 1 == 1 {
        return drive(&mut input);
    }
    let text = String::from_utf8_lossy(input.rest());
    check_header(&text);
    check_args(&text);
    if let Ok(header) = Header::parse(&text, MAX_ATTACHMENTS) {
        check_args(header.payload);
    }
});
