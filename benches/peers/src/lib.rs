//! Helpers shared by the peer servers: argument parsing and the single-threaded runtime.

use std::net::SocketAddr;

/// The listen address from `argv[1]`, else `127.0.0.1:$PORT` (as loopio's `bench_sio` does, so a
/// peer can stand in for it), else `default`.
pub fn listen_addr(default: &str) -> SocketAddr {
    let from_env = || {
        std::env::var("PORT")
            .ok()
            .map(|port| format!("127.0.0.1:{port}"))
    };
    let text = std::env::args()
        .nth(1)
        .or_else(from_env)
        .unwrap_or_else(|| default.to_owned());
    text.parse()
        .unwrap_or_else(|err| panic!("listen address {text:?}: {err}"))
}

/// A current_thread runtime: every peer runs its whole server on one thread, like loopio.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current_thread runtime needs only an epoll fd")
}
