//! Chapter 5: choosing a layer.
//!
//! All three layers run on the same loop; each is the one below plus what it adds. Pick the
//! lowest one that gives you what your clients need.
//!
//! | | raw WebSocket [`Service`](crate::net::Service) | Engine.IO [`Handler`](crate::engineio::Handler) | Socket.IO [`SocketIo`](crate::socketio::SocketIo) |
//! |---|---|---|---|
//! | clients | any RFC 6455 client (browsers' `WebSocket`, `ws`, `websockets`, …) | `engine.io-client` 6.x | `socket.io-client` 4.x (browser, Node), `python-socketio` |
//! | transports | WebSocket only | long-polling, upgraded to WebSocket when possible | same as Engine.IO |
//! | you get | frames as messages (text or binary), the close code, pings | sessions that survive the change of transport, heartbeats, a `sid` | events with JSON arguments, acks, binary anywhere in the arguments, namespaces, rooms, broadcasts, middlewares |
//! | you handle | your own message format, reconnects, liveness | message format, reconnects | nothing of the wire |
//! | per message on the wire (text `hi`) | 2-byte header + `hi` | + `4` | + `42["event",` … `]` |
//! | state per idle connection | one 240-byte slab slot | + a session slot | + a client, its sockets and rooms |
//!
//! The wire cost of the same two-byte text, server to client, at each layer (checked):
//!
//! ```
//! use loopio_engine::{Data, Packet};
//! use loopio_frame::{encode_frame, OpCode};
//!
//! let mut frame = Vec::new();
//! encode_frame(&mut frame, OpCode::Text, true, b"hi", None);
//! assert_eq!(frame, b"\x81\x02hi"); // raw WebSocket: 4 bytes
//!
//! let mut message = Vec::new();
//! let _kind = Packet::message(Data::Text("hi")).encode_ws(&mut message);
//! assert_eq!(message, b"4hi"); // Engine.IO: a 5-byte frame
//!
//! message.clear();
//! let _kind = Packet::message(Data::Text(r#"2["chat message","hi"]"#)).encode_ws(&mut message);
//! assert_eq!(message, br#"42["chat message","hi"]"#); // Socket.IO: a 25-byte frame
//! frame.clear();
//! encode_frame(&mut frame, OpCode::Text, true, &message, None);
//! assert_eq!(frame.len(), 25);
//!
//! // Over long-polling, Engine.IO joins packets with the record separator 0x1e.
//! let mut body = Vec::new();
//! Packet::message(Data::Text("hi")).encode_polling(&mut body);
//! body.push(loopio_engine::SEPARATOR);
//! Packet::message(Data::Binary(&[1, 2, 3])).encode_polling(&mut body);
//! assert_eq!(body, b"4hi\x1ebAQID"); // binary goes as `b` + base64
//! ```
//!
//! # Raw WebSocket: [`net::Service`](crate::net::Service)
//!
//! For your own protocol, or a client that is not Socket.IO (a game, a market feed, a device).
//! You see each message once, borrowed from the read buffer, and answer through
//! [`Ctx`](crate::net::Ctx). `on_upgrade` can refuse a request (check `Origin`!) or pick a
//! subprotocol; `on_http` serves plain requests on the same port. This is the layer the
//! Autobahn suite tests (`echo_server`).
//!
//! ```no_run
//! use loopio::net::{Config, ConnId, Ctx, Data, EventLoop, Service};
//!
//! struct Shout;
//! impl Service for Shout {
//!     fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
//!         if let Data::Text(text) = data {
//!             let _ = ctx.send_text(conn, &text.to_uppercase());
//!         }
//!     }
//! }
//!
//! let mut event_loop = EventLoop::new(Config::default(), Shout)?;
//! event_loop.listen("127.0.0.1:9001".parse().unwrap())?;
//! event_loop.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Engine.IO: [`engineio::Handler`](crate::engineio::Handler)
//!
//! For messages that must get through networks where WebSocket does not (corporate proxies,
//! some mobile carriers): the session starts on HTTP long-polling and moves to WebSocket when
//! the probe succeeds, without the handler noticing. You get sessions, messages (text or
//! binary) and heartbeats, and define the message format yourself. Also the layer to build a
//! protocol of your own on, as [`socketio`](crate::socketio) is built on it.
//!
//! ```no_run
//! use loopio::engineio::{self, Config, Data, Handler, SessionId, Sessions};
//!
//! struct Echo;
//! impl Handler for Echo {
//!     fn on_message(&mut self, sessions: &mut Sessions<'_>, session: SessionId, data: Data<'_>) {
//!         let _ = sessions.send(session, data);
//!     }
//! }
//!
//! let config = Config { path: "/engine.io/".to_owned(), ..Config::default() };
//! let mut event_loop = engineio::event_loop(config, Echo)?;
//! event_loop.listen("127.0.0.1:3000".parse().unwrap())?;
//! event_loop.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Socket.IO: [`socketio::SocketIo`](crate::socketio::SocketIo)
//!
//! When the clients are Socket.IO clients, or you want what they bring: named events with
//! JSON (and binary) arguments, acknowledgements with timeouts, namespaces with middlewares
//! for authentication, rooms and broadcasts, and automatic reconnection on the client side.
//! Handlers get typed arguments through `serde`.
//!
//! ```no_run
//! use loopio::socketio::SocketIo;
//! use serde_json::Value;
//!
//! let mut io = SocketIo::builder().build()?;
//! io.of("/").on_connection(|socket| {
//!     socket.on("join", |ctx, room: String| ctx.socket().join(&room));
//!     socket.on("say", |ctx, (room, text): (String, Value)| {
//!         ctx.io().to(room).emit("said", &text) // encoded once for the whole room
//!     });
//!     socket.on("ping me", |ctx, _: Value| ctx.ack(&"pong")); // the client's callback gets "pong"
//! });
//! io.listen("127.0.0.1:3000")?;
//! io.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Mixing is fine: a [`SocketIo`](crate::socketio::SocketIo) server answers plain HTTP
//! requests outside its path (the `chat` example serves its page that way), and a
//! [`Service`](crate::net::Service) can open client connections
//! ([`Ctx::connect`](crate::net::Ctx::connect)) to other WebSocket servers on the same loop.
