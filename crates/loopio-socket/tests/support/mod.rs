//! Test driver: a server fed through its public inputs, with outputs flattened to text.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use loopio_socket::{ClientId, Config, DisconnectReason, Handshake, Message, Server, Transmit};

pub struct Harness {
    pub io: Server,
    pub t0: Instant,
    pub now: Instant,
}

/// One flattened output: `(client, "text")`, `(client, "<bin 01 02>")` or `(client, "<close>")`.
pub type Out = (u64, String);

impl Harness {
    pub fn new() -> Self {
        let t0 = Instant::now();
        Self {
            io: Server::new(Config::new([9; 32]), t0),
            t0,
            now: t0,
        }
    }

    pub fn with_config(config: Config) -> Self {
        let t0 = Instant::now();
        Self {
            io: Server::new(config, t0),
            t0,
            now: t0,
        }
    }

    pub fn at(&mut self, ms: u64) -> Instant {
        self.now = self.t0 + Duration::from_millis(ms);
        self.now
    }

    pub fn open(&mut self, client: u64) {
        let mut handshake = Handshake::new(self.now, "10.0.0.1:4000");
        handshake.push_header("X-Test", &client.to_string());
        handshake.push_query("EIO", "4");
        self.io.handle_open(self.now, ClientId(client), handshake);
    }

    /// Opens `client` and joins `/`, returning the socket id from the CONNECT reply.
    pub fn connect(&mut self, client: u64) -> String {
        self.connect_to(client, "/")
    }

    pub fn connect_to(&mut self, client: u64, nsp: &str) -> String {
        self.open(client);
        let packet = if nsp == "/" {
            "0".to_owned()
        } else {
            format!("0{nsp},")
        };
        self.text(client, &packet);
        let out = self.drain();
        let reply = out
            .iter()
            .find(|(c, t)| *c == client && t.starts_with('0'))
            .expect("CONNECT reply");
        let json = reply
            .1
            .split_once('{')
            .map(|(_, rest)| format!("{{{rest}"))
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["sid"].as_str().unwrap().to_owned()
    }

    pub fn text(&mut self, client: u64, text: &str) {
        self.io.handle_text(self.now, ClientId(client), text);
    }

    pub fn binary(&mut self, client: u64, data: &[u8]) {
        self.io.handle_binary(self.now, ClientId(client), data);
    }

    pub fn close(&mut self, client: u64, reason: DisconnectReason) {
        self.io.handle_close(self.now, ClientId(client), reason);
    }

    pub fn timeout(&mut self, ms: u64) {
        let now = self.at(ms);
        self.io.handle_timeout(now);
    }

    pub fn transmits(&mut self) -> Vec<Transmit> {
        std::iter::from_fn(|| self.io.poll_transmit()).collect()
    }

    pub fn drain(&mut self) -> Vec<Out> {
        self.transmits().into_iter().map(flatten).collect()
    }

    /// Outputs for one client, in order.
    pub fn drain_for(&mut self, client: u64) -> Vec<String> {
        self.drain()
            .into_iter()
            .filter(|(c, _)| *c == client)
            .map(|(_, t)| t)
            .collect()
    }
}

pub fn flatten(transmit: Transmit) -> Out {
    match transmit {
        Transmit::Send {
            client,
            message: Message::Text(text),
            volatile,
        } => {
            let mark = if volatile { "~" } else { "" };
            (client.0, format!("{mark}{text}"))
        }
        Transmit::Send {
            client,
            message: Message::Binary(data),
            ..
        } => {
            let hex: Vec<String> = data.iter().map(|b| format!("{b:02x}")).collect();
            (client.0, format!("<bin {}>", hex.join(" ")))
        }
        Transmit::Close { client } => (client.0, "<close>".to_owned()),
        other => panic!("unexpected {other:?}"),
    }
}
