//! The WebSocket client on a loop, against the server on another loop.

mod support;

use std::sync::mpsc;

use loopio_net::{
    CloseCode, CloseReason, Config, ConnId, Ctx, Data, EventLoop, Initiator, Service,
};
use support::*;

/// Sends a text and a binary message, expects both back, then closes.
struct Client {
    got: Vec<String>,
    done: mpsc::Sender<(Vec<String>, CloseReason)>,
}

impl Service for Client {
    fn on_open(&mut self, ctx: &mut Ctx, conn: ConnId) {
        assert!(ctx.is_client(conn));
        ctx.send_text(conn, "hi").unwrap();
        ctx.send_binary(conn, &vec![9; 100_000]).unwrap();
    }

    fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
        match data {
            Data::Text(text) => self.got.push(text.to_owned()),
            Data::Binary(bytes) => {
                self.got.push(format!("{} bytes", bytes.len()));
                ctx.close(conn, CloseCode::NORMAL, "done").unwrap();
            }
        }
    }

    fn on_close(&mut self, ctx: &mut Ctx, _conn: ConnId, reason: &CloseReason) {
        let _ = self
            .done
            .send((std::mem::take(&mut self.got), reason.clone()));
        ctx.shutdown();
    }
}

fn run_client(url: String) -> (Vec<String>, CloseReason) {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let mut event_loop = EventLoop::new(
            Config::default(),
            Client {
                got: Vec::new(),
                done,
            },
        )
        .unwrap();
        event_loop.ctx().connect(&url).unwrap();
        event_loop.run().unwrap();
    });
    result.recv_timeout(WAIT).expect("client finished in time")
}

#[test]
fn client_echo_round_trip_and_clean_close() {
    let server = Server::start(Config::default());
    let (got, reason) = run_client(format!("ws://{}/path?x=1", server.addr));
    assert_eq!(got, ["hi", "100000 bytes"]);
    assert_eq!(
        reason,
        CloseReason::Closed {
            code: CloseCode::NORMAL,
            initiator: Initiator::Local
        }
    );
    server.stop();
}

#[test]
fn refused_upgrade_is_a_handshake_failure() {
    // A plain HTTP listener that answers 404 to anything.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0; 1024];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    });
    let (got, reason) = run_client(format!("ws://{addr}/"));
    assert!(got.is_empty());
    assert_eq!(reason, CloseReason::Handshake);
}

#[test]
fn bad_urls_are_refused() {
    let (done, _result) = mpsc::channel();
    let mut event_loop = EventLoop::new(
        Config::default(),
        Client {
            got: Vec::new(),
            done,
        },
    )
    .unwrap();
    assert!(matches!(
        event_loop.ctx().connect("http://x/"),
        Err(loopio_net::ConnectError::BadUrl)
    ));
}
