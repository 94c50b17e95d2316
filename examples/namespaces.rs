//! Two namespaces on one connection: `/customer-chat` for customers and `/admin-alert` for
//! staff, with a middleware that checks the admin's token before it may join.
//!
//! ```text
//! cargo run --release --example namespaces [ADDR]   # ADDR defaults to 127.0.0.1:$PORT (3000)
//! ```
//!
//! A customer's `msg` reaches every customer; an admin's `order` reaches every admin as
//! `new_order`. A customer socket never sees `new_order`: emits stay in their namespace.
//!
//! ```text
//! const { io } = require("socket.io-client");
//! const customer = io("http://127.0.0.1:3000/customer-chat");
//! const admin = io("http://127.0.0.1:3000/admin-alert", { auth: { token: "admin-secret" } });
//! ```

use loopio::socketio::{ConnectError, SocketIo};
use serde_json::{json, Value};

/// The token an admin sends as `auth: { token }`. A real server checks a session store or a
/// signed token instead.
const ADMIN_TOKEN: &str = "admin-secret";

/// Registers both namespaces (also used by the `seed_demo` example).
pub fn register(io: &mut SocketIo) {
    io.of("/customer-chat").on_connection(|socket| {
        socket.on("msg", |ctx, data: Value| {
            // Strings as they are, anything else as JSON (JavaScript's `${data}` for text).
            let text = match data {
                Value::String(text) => text,
                other => other.to_string(),
            };
            // Everyone in /customer-chat, sender included.
            ctx.io()
                .of("/customer-chat")
                .emit("msg", &format!("고객 문의: {text}"))
        });
    });

    io.of("/admin-alert")
        // Middlewares run on every CONNECT to this namespace, before `on_connection`: this is
        // where authentication goes. An `Err` reaches the client as `connect_error` with
        // `err.message` and `err.data`.
        .use_middleware(
            |connecting| match connecting.auth().get("token").and_then(Value::as_str) {
                Some(ADMIN_TOKEN) => Ok(()),
                _ => Err(ConnectError::new("not authorized")
                    .with_data(json!({ "hint": "connect with auth: { token }" }))),
            },
        )
        .on_connection(|socket| {
            socket.on("order", |ctx, _order: Value| {
                ctx.io()
                    .of("/admin-alert")
                    .emit("new_order", &"새로운 주문이 들어왔습니다!")
            });
        });
}

/// `ADDR` from the first argument, else `127.0.0.1:$PORT`, else `127.0.0.1:3000`.
#[allow(dead_code)]
fn address() -> String {
    std::env::args().nth(1).unwrap_or_else(|| {
        let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
        format!("127.0.0.1:{port}")
    })
}

#[allow(dead_code)] // `seed_demo` includes this file for `register`, not its `main`
fn main() -> std::io::Result<()> {
    let mut io = SocketIo::builder().build()?;
    register(&mut io);
    let local = io.listen(address())?;
    println!("namespaces on http://{local}/customer-chat and /admin-alert");
    io.run()
}
