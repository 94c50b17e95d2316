//! Chapter 4: `LOOPIO_TRACE=1`, the wire as the server sees it.
//!
//! Set `LOOPIO_TRACE=1` in the environment before the loop is created (or
//! `net::Config::trace`) and every layer prints what it reads and writes to stderr, one line
//! each, as it happens. Nothing else changes; output is unbuffered `eprintln!`, so keep it for
//! debugging, not for production load.
//!
//! ```text
//! LOOPIO_TRACE=1 cargo run --example chat 2> trace.txt
//! ```
//!
//! # The line formats
//!
//! ```text
//! #1.0 <- GET /socket.io/?EIO=4&transport=websocket&sid=… HTTP/1.1   an HTTP head line, in
//! #1.0 -> HTTP/1.1 101 Switching Protocols                           an HTTP head line, out
//! #1.0 <- FIN rsv=000 op=TEXT mask=de555d02 len=46 | 34 32 5b … "42[\"chat message"
//! │ │  │  └ frame header decoded: FIN, RSV bits, opcode, masking key (or `unmasked`),
//! │ │  │    payload length, then up to 16 payload bytes (unmasked) in hex and as text
//! │ │  └─── <- read from the peer, -> queued to it
//! │ └────── the slot's generation: a slot reused by a later connection counts up
//! └──────── the connection's slot in the loop's slab (the `ConnId`)
//!
//! eio <sid> websocket #1.0 <- message "2[\"chat message\",…]"        an Engine.IO packet: its
//!                                                                    type and data, with the
//!                                                                    transport and connection
//! sio <sid> <- EVENT nsp=/ event="chat message" {"user":"Yoon",…}    a Socket.IO packet: type,
//!                                                                    namespace, event, ack id,
//!                                                                    attachments, arguments
//! ```
//!
//! `<sid>` in `eio` and `sio` lines is the Engine.IO session id, so one `grep` follows a
//! client across its TCP connections.
//!
//! # One real session
//!
//! This is what the server printed for the session of [`journey`](super::journey) (the Node
//! client, one chat message, one binary message, one heartbeat, disconnect). Trimmed only
//! where marked `[…]`: the repeated HTTP header lines of the polling requests.
//!
//! ```text
//! #0.0 <- GET /socket.io/?EIO=4&transport=polling&t=k16yntjr HTTP/1.1
//! #0.0 <- User-Agent: node-XMLHttpRequest
//! #0.0 <- Accept: */*
//! #0.0 <- Host: 127.0.0.1:3001
//! #0.0 <- Connection: close
//! eio Ci1wTbclH7r3AyEPiep7 #0.0 opened
//! sio Ci1wTbclH7r3AyEPiep7 opened from 127.0.0.1:48596
//! eio Ci1wTbclH7r3AyEPiep7 polling #0.0 -> HTTP/1.1 200 OK: open "{\"sid\":\"Ci1wTbclH7r3AyEPiep7\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}"
//! #0.0 -> HTTP/1.1 200 OK
//! #0.0 -> Content-Type: text/plain; charset=UTF-8
//! #0.0 -> cache-control: no-store
//! #0.0 -> Content-Length: 118
//! #0.0 -> Connection: close
//! #0.0 ->
//! #0.0 -> 0{"sid":"Ci1wTbclH7r3AyEPiep7","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
//! #0.1 <- POST /socket.io/?EIO=4&transport=polling&t=k16zz1wj&sid=Ci1wTbclH7r3AyEPiep7 HTTP/1.1
//! […]
//! eio Ci1wTbclH7r3AyEPiep7 polling #0.1 <- POST message "0"
//! eio Ci1wTbclH7r3AyEPiep7 polling #0.1 -> HTTP/1.1 200 OK: ok
//! […]
//! sio Ci1wTbclH7r3AyEPiep7 <- CONNECT nsp=/
//! sio Ci1wTbclH7r3AyEPiep7 -> CONNECT nsp=/ {"sid":"Ph8hd60hIPbWJDmpekca"}
//! #1.0 <- GET /socket.io/?EIO=4&transport=websocket&sid=Ci1wTbclH7r3AyEPiep7 HTTP/1.1
//! #1.0 <- Sec-WebSocket-Version: 13
//! #1.0 <- Sec-WebSocket-Key: s0asXXzbFLjHk15iePeneQ==
//! #1.0 <- Connection: Upgrade
//! #1.0 <- Upgrade: websocket
//! #1.0 <- Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits
//! #1.0 <- Host: 127.0.0.1:3001
//! #1.0 -> HTTP/1.1 101 Switching Protocols
//! #1.0 -> Upgrade: websocket
//! #1.0 -> Connection: Upgrade
//! #1.0 -> Sec-WebSocket-Accept: x9BMFpWGjNoSiEUAgAJQ7Ewtzas=
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 <- upgrade
//! #2.0 <- GET /socket.io/?EIO=4&transport=polling&t=k17058am&sid=Ci1wTbclH7r3AyEPiep7 HTTP/1.1
//! […]
//! eio Ci1wTbclH7r3AyEPiep7 polling #2.0 <- GET
//! eio Ci1wTbclH7r3AyEPiep7 polling #2.0 -> HTTP/1.1 200 OK: message "0{\"sid\":\"Ph8hd60hIPbWJDmpekca\"}"
//! […]
//! #2.0 -> 40{"sid":"Ph8hd60hIPbWJDmpekca"}
//! #1.0 <- FIN rsv=000 op=TEXT mask=bb20dd5c len=6 | 32 70 72 6f 62 65 "2probe"
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 <- ping "probe"
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 -> pong "probe"
//! #1.0 -> FIN rsv=000 op=TEXT unmasked len=6 | 33 70 72 6f 62 65 "3probe"
//! #1.0 <- FIN rsv=000 op=TEXT mask=0a9f5ef1 len=1 | 35 "5"
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 <- upgrade
//! eio Ci1wTbclH7r3AyEPiep7 upgraded to websocket
//! #1.0 <- FIN rsv=000 op=TEXT mask=de555d02 len=46 | 34 32 5b 22 63 68 61 74 20 6d 65 73 73 61 67 65 "42[\"chat message"
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 <- message "2[\"chat message\",{\"user\":\"Yoon\",\"text\":\"hi\"}]"
//! sio Ci1wTbclH7r3AyEPiep7 <- EVENT nsp=/ event="chat message" {"user":"Yoon","text":"hi"}
//! sio Ci1wTbclH7r3AyEPiep7 -> EVENT nsp=/ event="chat message" {"text":"hi","user":"Yoon"}
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 -> message "2[\"chat message\",{\"text\":\"hi\",\"user\":\"Yoon\"}]"
//! #1.0 -> FIN rsv=000 op=TEXT unmasked len=46 | 34 32 5b 22 63 68 61 74 20 6d 65 73 73 61 67 65 "42[\"chat message"
//! #1.0 <- FIN rsv=000 op=TEXT mask=474cc975 len=74 | 34 35 31 2d 5b 22 63 68 61 74 20 6d 65 73 73 61 "451-[\"chat messa"
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 <- message "51-[\"chat message\",{\"user\":\"Yoon\",\"image\":{\"_placeholder\":true,\"num\":0}}]"
//! sio Ci1wTbclH7r3AyEPiep7 <- BINARY_EVENT nsp=/ event="chat message" attachments=1 {"user":"Yoon","image":{"_placeholder":true,"num":0}}
//! #1.0 <- FIN rsv=000 op=BINARY mask=7ef0a2f7 len=3 | 01 02 03 "..."
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 <- message <3 bytes>
//! sio Ci1wTbclH7r3AyEPiep7 <- ATTACHMENT 3 bytes
//! sio Ci1wTbclH7r3AyEPiep7 -> BINARY_EVENT nsp=/ event="chat message" attachments=1 {"image":{"_placeholder":true,"num":0},"user":"Yoon"}
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 -> message "51-[\"chat message\",{\"image\":{\"_placeholder\":true,\"num\":0},\"user\":\"Yoon\"}]"
//! #1.0 -> FIN rsv=000 op=TEXT unmasked len=74 | 34 35 31 2d 5b 22 63 68 61 74 20 6d 65 73 73 61 "451-[\"chat messa"
//! sio Ci1wTbclH7r3AyEPiep7 -> ATTACHMENT 3 bytes
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 -> message <3 bytes>
//! #1.0 -> FIN rsv=000 op=BINARY unmasked len=3 | 01 02 03 "..."
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 -> ping
//! #1.0 -> FIN rsv=000 op=TEXT unmasked len=1 | 32 "2"
//! #1.0 <- FIN rsv=000 op=TEXT mask=33f36d82 len=1 | 33 "3"
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 <- pong
//! #1.0 <- FIN rsv=000 op=TEXT mask=4bc8d683 len=2 | 34 31 "41"
//! #1.0 <- FIN rsv=000 op=CLOSE mask=e4fd8028 len=0 |  ""
//! eio Ci1wTbclH7r3AyEPiep7 websocket #1.0 <- message "1"
//! sio Ci1wTbclH7r3AyEPiep7 <- DISCONNECT nsp=/
//! #1.0 -> FIN rsv=000 op=CLOSE unmasked len=2 | 03 e8 ".."
//! eio Ci1wTbclH7r3AyEPiep7 #1.0 transport ended: Closed
//! eio Ci1wTbclH7r3AyEPiep7 closed: transport close
//! sio session s0.0 closed: transport close
//! ```
//!
//! # Reading it
//!
//! - **Order is causal within a connection.** The frame lines of one read are printed as soon
//!   as it arrives, before any of its messages is handled; the `eio` and `sio` lines that
//!   follow are the layers handling them, and the `->` lines what they queued. The `41` and
//!   the close frame came in one read, so both frame lines precede the `eio` line of the `41`.
//! - **Four TCP connections, one session.** `#0.0` (the handshake GET), `#0.1` (the POST of
//!   `40`: slot 0 again, generation 1), `#1.0` (the WebSocket) and `#2.0` (the GET that
//!   carried `40{"sid":…}`) all belong to session `Ci1wTbclH7r3AyEPiep7`.
//! - **`eio` strips one digit, `sio` reads the rest.** The frame carries `42[…]`; the `eio`
//!   line shows `message "2[…]"`, the `sio` line decodes `2` as `EVENT`.
//! - **Binary shows up three times:** a `451-` text frame, the `sio` line counting
//!   `attachments=1`, then an `op=BINARY` frame and `ATTACHMENT 3 bytes`. The handler runs
//!   only after the last attachment arrived.
//! - **The heartbeat is `eio` only.** `-> ping` / `<- pong` never reach Socket.IO.
//! - **Who closed.** The client's empty close frame (`len=0`) came first; the server answered
//!   with 1000 (`03 e8`). Engine.IO reports `transport close`; had the server closed, you
//!   would see its close frame first and the reason would say so.
