//! Chapter 1: one chat message's journey, byte by byte.
//!
//! The `chat` example runs on `127.0.0.1:3000`; the official Node `socket.io-client` 4.8.4
//! connects, waits for the WebSocket upgrade, sends one chat message, one message with a
//! binary attachment, answers one heartbeat and disconnects:
//!
//! ```text
//! const { io } = require("socket.io-client");
//! const socket = io("http://127.0.0.1:3001");            // the hex-printing relay
//! socket.io.on("open", () => socket.io.engine.once("upgrade", () =>
//!   socket.emit("chat message", { user: "Yoon", text: "hi" })));
//! socket.on("chat message", (msg) => { ... emit { user: "Yoon", image: Buffer.from([1, 2, 3]) },
//!                                      then socket.disconnect() 26 s later });
//! ```
//!
//! Four TCP connections carry one Engine.IO session. Time runs down the page:
//!
//! ```text
//!  client                                                       server (one loop thread)
//!    │ TCP #0  GET  ?EIO=4&transport=polling ───────────────────▶ new session, sid
//!    │        ◀─────────────────────── 200  0{"sid":…,"upgrades":["websocket"],…}
//!    │ TCP #0' POST ?…&sid=…   body 40 ───────────────────────────▶ Socket.IO CONNECT to /
//!    │        ◀──────────────────────────────────────────── 200  ok
//!    │ TCP #1  GET  ?EIO=4&transport=websocket&sid=… (Upgrade) ──▶ probe transport
//!    │        ◀─────────────────────────────────────── 101 Switching Protocols
//!    │ TCP #2  GET  ?…&transport=polling&sid=… ─────────────────▶ held GET
//!    │        ◀───────────────────────── 200  40{"sid":…}   (the CONNECT's answer)
//!    │ WS #1   2probe ──────────────────────────────────────────▶
//!    │        ◀──────────────────────────────────────────────── 3probe
//!    │ WS #1   5 ───────────────────────────────────────────────▶ session now on WebSocket
//!    │ WS #1   42["chat message",{…}] ──────────────────────────▶ handler: io.emit(…)
//!    │        ◀──────────────────────────────── 42["chat message",{…}]
//!    │ WS #1   451-[…{"_placeholder":true,"num":0}…] + binary ──▶
//!    │        ◀──────────────────────────── 451-[…] + binary  (one write)
//!    │        ◀──────────────────────────────────────── 2   (25 s after the open)
//!    │ WS #1   3 ───────────────────────────────────────────────▶
//!    │ WS #1   41, close frame ─────────────────────────────────▶
//!    │        ◀────────────────────────────────── close 1000, then FIN
//! ```
//!
//! Two protocols nest inside every WebSocket text message and every polling packet: an
//! Engine.IO packet type digit, then (for Engine.IO `4`, "message") a Socket.IO packet.
//!
//! ```text
//!  4 2 ["chat message",{"user":"Yoon","text":"hi"}]
//!  │ │ └─ Socket.IO data: event name, then its arguments (JSON array)
//!  │ └─── Socket.IO type   0 CONNECT  1 DISCONNECT  2 EVENT  3 ACK  4 CONNECT_ERROR
//!  │                       5 BINARY_EVENT  6 BINARY_ACK
//!  └───── Engine.IO type   0 open  1 close  2 ping  3 pong  4 message  5 upgrade  6 noop
//! ```
//!
//! A full Socket.IO packet is `<type>[<attachments>-][<namespace>,][<ack id>][<json>]`; the
//! namespace is left out for `/`.
//!
//! # 1. The polling handshake (Engine.IO open)
//!
//! The client starts with plain HTTP long-polling, which gets through any proxy. Captured on
//! TCP connection #0 (150 bytes in, 243 out):
//!
//! ```text
//! GET /socket.io/?EIO=4&transport=polling&t=k16yntjr HTTP/1.1
//! User-Agent: node-XMLHttpRequest
//! Accept: */*
//! Host: 127.0.0.1:3001
//! Connection: close
//!
//! HTTP/1.1 200 OK
//! Content-Type: text/plain; charset=UTF-8
//! cache-control: no-store
//! Content-Length: 118
//! Connection: close
//!
//! 0{"sid":"Ci1wTbclH7r3AyEPiep7","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
//! ```
//!
//! `EIO=4` is the protocol version, `t=` a cache-buster. The body is one Engine.IO packet:
//! type `0` (open) and JSON: the session id every later request must carry, the transports it
//! may upgrade to, the heartbeat (the server sends `2` every 25 000 ms and expects `3` within
//! 20 000 ms more) and the largest payload it accepts. The node client sends `Connection:
//! close`, so each of its requests is a new TCP connection.
//!
//! Checked: [`loopio_handshake::parse_request`] reads the captured request, and
//! [`loopio_engine::Server`] answers it with the same head and a body of the same shape (the
//! sid is random, its length is not):
//!
//! ```
//! use std::time::Instant;
//! use loopio_engine::{Config, RequestHead, Route, Server, TransmitKind, TransportId};
//! use loopio_handshake::{parse_request, Limits, Parsed};
//!
//! let captured = b"GET /socket.io/?EIO=4&transport=polling&t=k16yntjr HTTP/1.1\r\n\
//!     User-Agent: node-XMLHttpRequest\r\n\
//!     Accept: */*\r\n\
//!     Host: 127.0.0.1:3001\r\n\
//!     Connection: close\r\n\r\n";
//! let Parsed::Complete { value: request, head_len } = parse_request(captured, &Limits::default())?
//! else {
//!     unreachable!("the head is complete")
//! };
//! assert_eq!(head_len, 150);
//!
//! let config = Config { path: "/socket.io/".to_owned(), ..Config::default() };
//! let mut server = Server::new(config, [7; 32]); // the loop seeds this from the OS
//! let mut out = Vec::new();
//! let head = RequestHead::from_request(&request);
//! let Route::Incoming(incoming) = server.handle_request(&head, &mut out)
//! else {
//!     panic!("a new session")
//! };
//! let now = Instant::now();
//! let (_handle, mut session) = server.accept(now, incoming, TransportId(0));
//! let transmit = session.poll_transmit(now, &mut out).expect("the open packet");
//! assert_eq!(transmit.kind, TransmitKind::Http { close: true }); // the client said `close`
//!
//! let response = std::str::from_utf8(&out)?;
//! let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
//! assert_eq!(
//!     head,
//!     "HTTP/1.1 200 OK\r\n\
//!      Content-Type: text/plain; charset=UTF-8\r\n\
//!      cache-control: no-store\r\n\
//!      Content-Length: 118\r\n\
//!      Connection: close"
//! );
//! assert_eq!(out.len(), 243);
//! assert!(body.starts_with(r#"0{"sid":""#));
//! let tail = r#"","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"#;
//! assert!(body.ends_with(&format!(r#"{tail}"maxPayload":1000000}}"#)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # 2. Joining the namespace: `40` and `40{"sid":…}`
//!
//! Engine.IO is now open; Socket.IO is not. The client POSTs a `40` (Engine.IO message `4`
//! around Socket.IO CONNECT `0` to the namespace `/`) and gets `ok`. The answer, a CONNECT
//! carrying the *Socket.IO* socket id (a second id, per namespace), waits in the session's
//! queue until the client's next GET picks it up (captured on connection #2):
//!
//! ```text
//! POST /socket.io/?EIO=4&transport=polling&t=k16zz1wj&sid=Ci1wTbclH7r3AyEPiep7 HTTP/1.1
//! User-Agent: node-XMLHttpRequest
//! Accept: */*
//! Content-type: text/plain;charset=UTF-8
//! Host: 127.0.0.1:3001
//! Content-Length: 2
//! Connection: close
//!
//! 40
//!
//! HTTP/1.1 200 OK
//! Content-Type: text/html
//! cache-control: no-store
//! Content-Length: 2
//! Connection: close
//!
//! ok
//!
//! GET /socket.io/?EIO=4&transport=polling&t=k17058am&sid=Ci1wTbclH7r3AyEPiep7 HTTP/1.1
//! ...
//! HTTP/1.1 200 OK
//! Content-Type: text/plain; charset=UTF-8
//! cache-control: no-store
//! Content-Length: 32
//! Connection: close
//!
//! 40{"sid":"Ph8hd60hIPbWJDmpekca"}
//! ```
//!
//! (`Content-type: text/html` for `ok` is what the official `engine.io` server sends too.)
//!
//! Checked, one layer at a time: Engine.IO strips its `4`, Socket.IO answers `0{"sid":…}`,
//! Engine.IO puts its `4` back:
//!
//! ```
//! use std::time::Instant;
//! use loopio_engine::{Data, Packet, PacketType};
//! use loopio_socket::{ClientId, Config, Handshake, Message, Server, Transmit};
//!
//! let mut scratch = Vec::new();
//! let post = Packet::decode(b"40", &mut scratch)?; // the POST body
//! assert_eq!((post.kind, post.data), (PacketType::Message, Data::Text("0")));
//!
//! let t0 = Instant::now();
//! let mut io = Server::new(Config::new([7; 32]), t0);
//! io.of("/").on_connection(|_socket| {});
//! io.handle_open(t0, ClientId(1), Handshake::new(t0, "127.0.0.1:48596"));
//! io.handle_text(t0, ClientId(1), "0");
//! let Some(Transmit::Send { message: Message::Text(answer), .. }) = io.poll_transmit() else {
//!     panic!("the CONNECT answer")
//! };
//! assert!(answer.starts_with(r#"0{"sid":""#) && answer.ends_with(r#""}"#));
//!
//! let mut body = Vec::new();
//! Packet::message(Data::Text(&answer)).encode_polling(&mut body);
//! assert!(body.starts_with(br#"40{"sid":""#));
//! assert_eq!(body.len(), 32); // the captured Content-Length
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # 3. The upgrade: `2probe`, `3probe`, `5`
//!
//! Polling works everywhere but costs a request per batch, so the client tries a WebSocket
//! next to it, naming the same `sid` (connection #1, 284 bytes in, 129 out):
//!
//! ```text
//! GET /socket.io/?EIO=4&transport=websocket&sid=Ci1wTbclH7r3AyEPiep7 HTTP/1.1
//! Sec-WebSocket-Version: 13
//! Sec-WebSocket-Key: s0asXXzbFLjHk15iePeneQ==
//! Connection: Upgrade
//! Upgrade: websocket
//! Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits
//! Host: 127.0.0.1:3001
//!
//! HTTP/1.1 101 Switching Protocols
//! Upgrade: websocket
//! Connection: Upgrade
//! Sec-WebSocket-Accept: x9BMFpWGjNoSiEUAgAJQ7Ewtzas=
//! ```
//!
//! The accept key is base64(SHA-1(key + `258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)) (RFC 6455
//! §4.2.2). The client offered `permessage-deflate`; the `101` has no
//! `Sec-WebSocket-Extensions` line, so none is in use and every RSV bit below must be 0.
//!
//! The session stays on polling until the new transport is proven. The probe, as frames (the
//! client's are masked, see the next section for the header bits):
//!
//! ```text
//! client → server  81 86 bb 20 dd 5c 89 50 af 33 d9 45   text "2probe"  (ping, probe)
//! server → client  81 06 33 70 72 6f 62 65               text "3probe"  (pong, probe)
//! client → server  81 81 0a 9f 5e f1 3f                  text "5"       (upgrade)
//! ```
//!
//! If a polling GET is held when the probe arrives, the server answers it with `6` (noop) so
//! the client can stop polling; in another run of the same client, that GET's body was the
//! single byte `6`. After `5`, every packet goes over the WebSocket. The upgrade as a state
//! machine (`loopio-engine`):
//!
//! ```text
//!            2probe on the new WebSocket         5 on it
//!  Polling ─────────────────────────────▶ Probing ──────────▶ WebSocket
//!     ▲       answer 3probe, release the      │
//!     │       held GET with 6                 │ upgrade_timeout (10 s) or the probe
//!     └───────────────────────────────────────┘ socket closes: stay on polling
//! ```
//!
//! Checked: the `101` is byte for byte what [`loopio_handshake`] writes for that request, and
//! the probe frames decode and encode as captured:
//!
//! ```
//! use loopio_frame::{encode_frame, Decoder, Limits, Message, OpCode, Role};
//! use loopio_handshake::{check_upgrade, parse_request, write_switching_protocols, Parsed};
//! use loopio_handshake::Limits as Heads;
//!
//! let captured = b"GET /socket.io/?EIO=4&transport=websocket&sid=Ci1wTbclH7r3AyEPiep7 \
//!     HTTP/1.1\r\n\
//!     Sec-WebSocket-Version: 13\r\n\
//!     Sec-WebSocket-Key: s0asXXzbFLjHk15iePeneQ==\r\n\
//!     Connection: Upgrade\r\n\
//!     Upgrade: websocket\r\n\
//!     Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
//!     Host: 127.0.0.1:3001\r\n\r\n";
//! let Parsed::Complete { value: request, .. } = parse_request(captured, &Heads::default())? else {
//!     unreachable!("the head is complete")
//! };
//! let offer = check_upgrade(&request)?;
//! assert_eq!(offer.extensions, ["permessage-deflate; client_max_window_bits"]);
//! let mut out = Vec::new();
//! write_switching_protocols(&mut out, &offer.key, None, &[]);
//! assert_eq!(
//!     out,
//!     b"HTTP/1.1 101 Switching Protocols\r\n\
//!       Upgrade: websocket\r\n\
//!       Connection: Upgrade\r\n\
//!       Sec-WebSocket-Accept: x9BMFpWGjNoSiEUAgAJQ7Ewtzas=\r\n\r\n"
//! );
//!
//! let mut server = Decoder::new(Role::Server, Limits::default());
//! let mut probe = [0x81, 0x86, 0xbb, 0x20, 0xdd, 0x5c, 0x89, 0x50, 0xaf, 0x33, 0xd9, 0x45];
//! assert_eq!(server.decode(&mut probe)?.message, Some(Message::Text("2probe")));
//! let mut upgrade = [0x81, 0x81, 0x0a, 0x9f, 0x5e, 0xf1, 0x3f];
//! assert_eq!(server.decode(&mut upgrade)?.message, Some(Message::Text("5")));
//!
//! let mut answer = Vec::new();
//! encode_frame(&mut answer, OpCode::Text, true, b"3probe", None);
//! assert_eq!(answer, [0x81, 0x06, 0x33, 0x70, 0x72, 0x6f, 0x62, 0x65]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # 4. The chat message, in a masked frame
//!
//! `socket.emit("chat message", { user: "Yoon", text: "hi" })` became this 52-byte read on
//! the server:
//!
//! ```text
//! 81 ae de 55 5d 02 ea 67 06 20 bd 3d 3c 76 fe 38
//! 38 71 ad 34 3a 67 fc 79 26 20 ab 26 38 70 fc 6f
//! 7f 5b b1 3a 33 20 f2 77 29 67 a6 21 7f 38 fc 3d
//! 34 20 a3 08
//! ```
//!
//! The header, bit by bit (RFC 6455 §5.2):
//!
//! ```text
//! byte 0   0x81 = 1 000 0001
//!                 │ │││ └──┴─ opcode 0x1: text (0x0 continuation, 0x2 binary, 0x8 close,
//!                 │ │││                   0x9 ping, 0xA pong)
//!                 │ └┴┴────── RSV1..3 = 0: no extension negotiated
//!                 └────────── FIN = 1: the whole message is in this frame
//! byte 1   0xae = 1 010 1110
//!                 │ └──┴──┴── length7 = 0x2e = 46: 0..=125 is the length itself
//!                 │                     (126: a u16 length follows, 127: a u64)
//!                 └────────── MASK = 1: a masking key follows (every client frame has one)
//! bytes 2-5   de 55 5d 02     masking key, random per frame
//! bytes 6-51  ea 67 06 20 …   46 payload bytes, byte i XORed with key[i % 4]
//! ```
//!
//! Unmasking the first four payload bytes: `ea ^ de = 34` `4`, `67 ^ 55 = 32` `2`,
//! `06 ^ 5d = 5b` `[`, `20 ^ 02 = 22` `"`. All 46:
//!
//! ```text
//! 42["chat message",{"user":"Yoon","text":"hi"}]
//! ```
//!
//! Masking exists so that a hostile page cannot make a browser put bytes of its choosing on
//! the wire, where a confused proxy might read them as HTTP (RFC 6455 §10.3). The server
//! unmasks in place, in its read buffer ([`event_loop`](super::event_loop)).
//!
//! The chat handler broadcasts the message to everyone on `/`, sender included. The server's
//! frame is not masked (servers never mask), so it is 2 bytes shorter in header and readable
//! as it stands:
//!
//! ```text
//! 81 2e 34 32 5b 22 63 68 61 74 20 6d 65 73 73 61    ..42["chat messa
//! 67 65 22 2c 7b 22 74 65 78 74 22 3a 22 68 69 22    ge",{"text":"hi"
//! 2c 22 75 73 65 72 22 3a 22 59 6f 6f 6e 22 7d 5d    ,"user":"Yoon"}]
//! ```
//!
//! `0x81`: FIN, text. `0x2e`: MASK 0, length 46. (The keys come back sorted: the example's
//! handler decodes the message into a JSON value and encodes it again.)
//!
//! Checked: the codec produces exactly the captured bytes from the payload and the key, and
//! decodes them back:
//!
//! ```
//! use loopio_frame::{encode_frame, Decoder, FrameHeader, HeaderStatus, Limits, Message, OpCode};
//! use loopio_frame::Role;
//!
//! let captured: [u8; 52] = [
//!     0x81, 0xae, 0xde, 0x55, 0x5d, 0x02, 0xea, 0x67, 0x06, 0x20, 0xbd, 0x3d,
//!     0x3c, 0x76, 0xfe, 0x38, 0x38, 0x71, 0xad, 0x34, 0x3a, 0x67, 0xfc, 0x79,
//!     0x26, 0x20, 0xab, 0x26, 0x38, 0x70, 0xfc, 0x6f, 0x7f, 0x5b, 0xb1, 0x3a,
//!     0x33, 0x20, 0xf2, 0x77, 0x29, 0x67, 0xa6, 0x21, 0x7f, 0x38, 0xfc, 0x3d,
//!     0x34, 0x20, 0xa3, 0x08,
//! ];
//! let key = [0xde, 0x55, 0x5d, 0x02];
//! let payload = r#"42["chat message",{"user":"Yoon","text":"hi"}]"#;
//!
//! // The header bits, by hand and by the parser.
//! assert_eq!(captured[0] >> 7, 1); // FIN
//! assert_eq!(captured[0] >> 4 & 0b111, 0); // RSV1..3
//! assert_eq!(captured[0] & 0x0f, 0x1); // opcode: text
//! assert_eq!(captured[1] >> 7, 1); // MASK
//! assert_eq!(captured[1] & 0x7f, 46); // length7
//! let HeaderStatus::Complete(header, 6) = FrameHeader::parse(&captured)? else {
//!     panic!("a 6-byte header")
//! };
//! assert_eq!((header.fin, header.opcode, header.payload_len), (true, OpCode::Text, 46));
//! assert_eq!(header.mask, Some(key));
//!
//! // Encoding the payload with that key gives the captured bytes ...
//! let mut encoded = Vec::new();
//! encode_frame(&mut encoded, OpCode::Text, true, payload.as_bytes(), Some(key));
//! assert_eq!(encoded, captured);
//!
//! // ... and the server's decoder unmasks them in place.
//! let mut read = captured;
//! let mut server = Decoder::new(Role::Server, Limits::default());
//! let decoded = server.decode(&mut read)?;
//! assert_eq!(decoded.consumed, 52);
//! assert_eq!(decoded.message, Some(Message::Text(payload)));
//!
//! // The broadcast back, as captured: unmasked, 2 + 46 bytes.
//! let captured_back = b"\x81\x2e42[\"chat message\",{\"text\":\"hi\",\"user\":\"Yoon\"}]";
//! let mut back = Vec::new();
//! encode_frame(&mut back, OpCode::Text, true, &captured_back[2..], None);
//! assert_eq!(back, captured_back);
//! # Ok::<(), loopio_frame::Error>(())
//! ```
//!
//! # 5. A binary attachment
//!
//! JSON cannot carry bytes, so Socket.IO replaces each `Buffer` with a placeholder and sends
//! the bytes as separate binary messages right after the packet.
//! `socket.emit("chat message", { user: "Yoon", image: Buffer.from([1, 2, 3]) })` became a
//! 74-byte text frame and a 3-byte binary frame (two reads, 80 and 9 bytes):
//!
//! ```text
//! 81 ca 47 4c c9 75 73 79 f8 58 …   FIN text, MASK, length 0x4a = 74, key 47 4c c9 75
//!     payload: 451-["chat message",{"user":"Yoon","image":{"_placeholder":true,"num":0}}]
//!              │││└ end of the attachment count
//!              ││└─ 1 attachment follows
//!              │└── Socket.IO 5: BINARY_EVENT
//!              └─── Engine.IO 4: message
//! 82 83 7e f0 a2 f7 7f f2 a1        FIN binary (opcode 0x2), MASK, length 3, key 7e f0 a2 f7
//!     payload: 01 02 03             (7f ^ 7e, f2 ^ f0, a1 ^ a2)
//! ```
//!
//! Over WebSocket a binary Engine.IO message is the raw bytes, without the `4`; over polling
//! it would travel base64-encoded as `bAQID` inside the text payload. The server's answer (the
//! handler sends the same message on, attachment included) went out as **one 81-byte
//! write** holding both frames, because the loop writes each connection once per turn:
//!
//! ```text
//! 81 4a 34 35 31 2d 5b 22 63 68 61 74 20 6d 65 73    .J451-["chat mes
//! 73 61 67 65 22 2c 7b 22 69 6d 61 67 65 22 3a 7b    sage",{"image":{
//! 22 5f 70 6c 61 63 65 68 6f 6c 64 65 72 22 3a 74    "_placeholder":t
//! 72 75 65 2c 22 6e 75 6d 22 3a 30 7d 2c 22 75 73    rue,"num":0},"us
//! 65 72 22 3a 22 59 6f 6f 6e 22 7d 5d 82 03 01 02    er":"Yoon"}]....
//! 03                                                 .
//! ```
//!
//! Checked, the frames:
//!
//! ```
//! use loopio_frame::{encode_frame, Decoder, Limits, Message, OpCode, Role};
//!
//! let captured: [u8; 80] = [
//!     0x81, 0xca, 0x47, 0x4c, 0xc9, 0x75, 0x73, 0x79, 0xf8, 0x58, 0x1c, 0x6e,
//!     0xaa, 0x1d, 0x26, 0x38, 0xe9, 0x18, 0x22, 0x3f, 0xba, 0x14, 0x20, 0x29,
//!     0xeb, 0x59, 0x3c, 0x6e, 0xbc, 0x06, 0x22, 0x3e, 0xeb, 0x4f, 0x65, 0x15,
//!     0xa6, 0x1a, 0x29, 0x6e, 0xe5, 0x57, 0x2e, 0x21, 0xa8, 0x12, 0x22, 0x6e,
//!     0xf3, 0x0e, 0x65, 0x13, 0xb9, 0x19, 0x26, 0x2f, 0xac, 0x1d, 0x28, 0x20,
//!     0xad, 0x10, 0x35, 0x6e, 0xf3, 0x01, 0x35, 0x39, 0xac, 0x59, 0x65, 0x22,
//!     0xbc, 0x18, 0x65, 0x76, 0xf9, 0x08, 0x3a, 0x11,
//! ];
//! let text = r#"451-["chat message",{"user":"Yoon","image":{"_placeholder":true,"num":0}}]"#;
//! let mut wire = Vec::new();
//! encode_frame(&mut wire, OpCode::Text, true, text.as_bytes(), Some([0x47, 0x4c, 0xc9, 0x75]));
//! assert_eq!(wire, captured);
//!
//! let mut server = Decoder::new(Role::Server, Limits::default());
//! let mut read = captured;
//! assert_eq!(server.decode(&mut read)?.message, Some(Message::Text(text)));
//! let mut attachment = [0x82, 0x83, 0x7e, 0xf0, 0xa2, 0xf7, 0x7f, 0xf2, 0xa1];
//! assert_eq!(server.decode(&mut attachment)?.message, Some(Message::Binary(&[1, 2, 3])));
//!
//! // The server's single 81-byte write, as captured: the text frame, then the binary frame.
//! let captured_write = b"\x81\x4a451-[\"chat message\",{\"image\":\
//!     {\"_placeholder\":true,\"num\":0},\"user\":\"Yoon\"}]\x82\x03\x01\x02\x03";
//! let mut write = Vec::new();
//! encode_frame(&mut write, OpCode::Text, true, &captured_write[2..76], None);
//! encode_frame(&mut write, OpCode::Binary, true, &[1, 2, 3], None);
//! assert_eq!(write, captured_write);
//! # Ok::<(), loopio_frame::Error>(())
//! ```
//!
//! The same mechanism with an event of your own, one layer up: `451-["upload",…]` is
//! [`loopio_socket`]'s business once Engine.IO has removed its `4`. The packet waits for its
//! attachment; the handler runs when the bytes arrive and sees them through
//! [`EventContext::attachments`](crate::socketio::EventContext::attachments):
//!
//! ```
//! use std::time::Instant;
//! use loopio_socket::{ClientId, Config, Handshake, Message, Server, Transmit};
//! use serde_json::Value;
//!
//! let t0 = Instant::now();
//! let mut io = Server::new(Config::new([7; 32]), t0);
//! io.of("/").on_connection(|socket| {
//!     socket.on("upload", |ctx, _file: Value| {
//!         let size = ctx.attachments()[0].len();
//!         ctx.socket().emit("uploaded", &size)
//!     });
//! });
//! let client = ClientId(1);
//! io.handle_open(t0, client, Handshake::new(t0, "127.0.0.1:48596"));
//! io.handle_text(t0, client, "0");
//! while io.poll_transmit().is_some() {} // the CONNECT answer
//!
//! io.handle_text(t0, client, r#"51-["upload",{"_placeholder":true,"num":0}]"#);
//! assert_eq!(io.poll_transmit(), None); // waiting for attachment 0
//! io.handle_binary(t0, client, &[0x01, 0x02, 0x03]);
//! let Some(Transmit::Send { message: Message::Text(text), .. }) = io.poll_transmit() else {
//!     panic!("the handler's emit")
//! };
//! assert_eq!(&*text, r#"2["uploaded",3]"#); // on the wire: 42["uploaded",3]
//! ```
//!
//! # 6. An acknowledgement: `421["x"]` → `431[…]`
//!
//! `socket.emit("x", (answer) => …)` adds an ack id after the type: `421["x"]` is Engine.IO
//! message, Socket.IO EVENT, ack id 1, event `x` without arguments. The handler answers with
//! [`EventContext::ack`](crate::socketio::EventContext::ack) and the server sends ACK (`3`)
//! with the same id and the answer's arguments; the client's callback runs with them.
//!
//! Checked, with the bytes the server writes:
//!
//! ```
//! use std::time::Instant;
//! use loopio_engine::{Data, Packet};
//! use loopio_frame::{encode_frame, OpCode};
//! use loopio_socket::{ClientId, Config, Handshake, Message, Server, Transmit};
//! use serde_json::Value;
//!
//! let t0 = Instant::now();
//! let mut io = Server::new(Config::new([7; 32]), t0);
//! io.of("/").on_connection(|socket| {
//!     socket.on("x", |ctx, _nothing: Value| ctx.ack(&"got it"));
//! });
//! let client = ClientId(1);
//! io.handle_open(t0, client, Handshake::new(t0, "127.0.0.1:48596"));
//! io.handle_text(t0, client, "0");
//! while io.poll_transmit().is_some() {}
//!
//! let mut scratch = Vec::new();
//! let incoming = Packet::decode(br#"421["x"]"#, &mut scratch)?; // a WebSocket text message
//! let Data::Text(socketio) = incoming.data else { unreachable!("text") };
//! io.handle_text(t0, client, socketio);
//! let Some(Transmit::Send { message: Message::Text(ack), .. }) = io.poll_transmit() else {
//!     panic!("the ack")
//! };
//! assert_eq!(&*ack, r#"31["got it"]"#);
//!
//! let mut message = Vec::new();
//! let _kind = Packet::message(Data::Text(&ack)).encode_ws(&mut message);
//! assert_eq!(message, br#"431["got it"]"#);
//! let mut frame = Vec::new();
//! encode_frame(&mut frame, OpCode::Text, true, &message, None);
//! assert_eq!(frame, b"\x81\x0d431[\"got it\"]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # 7. The heartbeat: `2` / `3`
//!
//! Engine.IO v4's server pings: 25 000 ms after the open packet (`pingInterval`), the server
//! sent `2`; the client answered `3` 3 ms later. Had no `3` come within another 20 000 ms
//! (`pingTimeout`), the session would have closed with reason `ping timeout`.
//!
//! ```text
//! server → client  81 01 32               FIN text, length 1: "2"
//! client → server  81 81 33 f3 6d 82 00   FIN text, MASK, length 1, key 33 f3 6d 82:
//!                                         00 ^ 33 = 33 "3"
//! ```
//!
//! These are Engine.IO packets in WebSocket *text* frames, not WebSocket ping/pong control
//! frames (opcodes 0x9/0xA), so they also work over long-polling and through proxies that
//! answer control frames themselves.
//!
//! # 8. Leaving: `41`, then the close handshake with code 1000
//!
//! `socket.disconnect()` sends Socket.IO DISCONNECT (`41`: message, DISCONNECT, namespace `/`),
//! then Engine.IO closes the WebSocket. The close frame (opcode 0x8) may carry a 2-byte status
//! code and a UTF-8 reason; the Node client's carries nothing, and the server answers with
//! 1000 (normal closure) as RFC 6455 §5.5.1 asks, then closes TCP first (§7.1.1: the server
//! closes the TCP connection):
//!
//! ```text
//! client → server  81 82 4b c8 d6 83 7f f9   text, MASK, length 2: 7f ^ 4b, f9 ^ c8 = "41"
//! client → server  88 80 e4 fd 80 28         FIN close, MASK, length 0, key e4 fd 80 28
//! server → client  88 02 03 e8               FIN close, length 2: status 0x03e8 = 1000
//! server           FIN                       (then the client's FIN; the slot is freed)
//! ```
//!
//! The close handshake as the loop runs it (`loopio-net`):
//!
//! ```text
//!                peer's close frame: answer it
//!    Open ────────────────────────────────────────────▶ Lingering ──▶ freed
//!     │                                                  ▲  write FIN once the
//!     │ ctx.close(code, reason): send ours               │  output has drained;
//!     ▼                                                  │  close_timeout (5 s)
//!  AwaitingClose ────────────────────────────────────────┘  for the peer's FIN
//!          peer's close frame (close_timeout for it)
//! ```
//!
//! Checked:
//!
//! ```
//! use loopio_frame::{encode_close, encode_frame, CloseCode, Decoder, Limits, Message, OpCode};
//! use loopio_frame::Role;
//!
//! let mut server = Decoder::new(Role::Server, Limits::default());
//! let mut pong = [0x81, 0x81, 0x33, 0xf3, 0x6d, 0x82, 0x00];
//! assert_eq!(server.decode(&mut pong)?.message, Some(Message::Text("3")));
//! let mut disconnect = [0x81, 0x82, 0x4b, 0xc8, 0xd6, 0x83, 0x7f, 0xf9];
//! assert_eq!(server.decode(&mut disconnect)?.message, Some(Message::Text("41")));
//! let mut close = [0x88, 0x80, 0xe4, 0xfd, 0x80, 0x28];
//! assert_eq!(server.decode(&mut close)?.message, Some(Message::Close(None)));
//!
//! let mut ping = Vec::new();
//! encode_frame(&mut ping, OpCode::Text, true, b"2", None);
//! assert_eq!(ping, [0x81, 0x01, 0x32]);
//! let mut answer = Vec::new();
//! encode_close(&mut answer, CloseCode::NORMAL, "", None);
//! assert_eq!(answer, [0x88, 0x02, 0x03, 0xe8]);
//! # Ok::<(), loopio_frame::Error>(())
//! ```
//!
//! What the server printed for this same session with `LOOPIO_TRACE=1` is in
//! [`tracing`](super::tracing).
