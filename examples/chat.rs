//! A chat room: every `chat message` goes to everyone, the sender included, and a web page at
//! `/` talks to it with the official browser client.
//!
//! ```text
//! scripts/demo                                  # installs the client bundle, then runs this
//! cargo run --release --example chat [ADDR]     # ADDR defaults to 127.0.0.1:$PORT (3000)
//! LOOPIO_TRACE=1 cargo run --example chat       # print every packet in and out
//! ```
//!
//! Open http://127.0.0.1:3000/ in two tabs and type. From Node:
//!
//! ```text
//! const socket = require("socket.io-client")("http://127.0.0.1:3000");
//! socket.on("chat message", (msg) => console.log(msg));
//! socket.emit("chat message", { user: "Yoon", text: "안녕하세요!" });
//! ```

use loopio::socketio::{Payload, Response, Socket, SocketIo};

/// The page, compiled into the binary.
const PAGE: &str = include_str!("static/chat.html");

/// The official browser client from the `socket.io-client` npm package, which
/// `scripts/setup-deps` (or `scripts/demo`) installs under `.deps/node`.
const CLIENT_BUNDLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../.deps/node/node_modules/socket.io-client/dist/socket.io.min.js"
);

/// The chat's event handlers for one socket (also used by the `seed_demo` example).
pub fn handlers(socket: &mut Socket<'_>) {
    // `msg` is whatever the client sent, e.g. {"user":"Yoon","text":"안녕하세요!"}. `Payload` is
    // like `serde_json::Value` but keeps key order and binary attachments (an image in the
    // message goes out again as bytes, not as a dangling placeholder).
    socket.on("chat message", |ctx, msg: Payload| {
        // `ctx.io()` is the whole server: this reaches every socket of `/`, sender included.
        // The packet is encoded once and the same bytes go to every client.
        ctx.io().emit("chat message", &msg)
    });
}

/// Serves the chat page at `/` and the client bundle at `/socket.io/socket.io.js`.
pub fn serve_page(io: &mut SocketIo) {
    match std::fs::read(CLIENT_BUNDLE) {
        Ok(script) => io.serve_client(script),
        Err(_) => eprintln!(
            "note: {CLIENT_BUNDLE} is missing, so the page cannot load its client.\n      \
             Install it with `scripts/setup-deps` (or `scripts/demo`), then restart."
        ),
    }
    io.on_http(|request, _body| match request.path.as_str() {
        "/" | "/index.html" => Response::new(200)
            .with_header("Content-Type", "text/html; charset=utf-8")
            .with_body(PAGE.as_bytes().to_vec()),
        _ => Response::new(404),
    });
}

/// `ADDR` from the first argument, else `127.0.0.1:$PORT`, else `127.0.0.1:3000`.
pub fn address() -> String {
    std::env::args().nth(1).unwrap_or_else(|| {
        let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
        format!("127.0.0.1:{port}")
    })
}

#[allow(dead_code)] // `seed_demo` includes this file for its handlers, not its `main`
fn main() -> std::io::Result<()> {
    let mut io = SocketIo::builder().build()?;
    io.of("/").on_connection(handlers);
    serve_page(&mut io);
    let local = io.listen(address())?;
    println!("chat on http://{local}/");
    io.run()
}
