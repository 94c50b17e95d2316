//! The raw-TCP fan-out ceiling: a single-threaded mio server that sends every message any
//! connection sends to every connection, sender included, with no HTTP upgrade, Engine.IO or
//! Socket.IO in between. `loadgen tcp-fanout` drives it like `sio-fanout` drives a Socket.IO
//! server, so the two measure the same deliveries.
//!
//! ```text
//! tcp_fanout [ADDR]     # default 127.0.0.1:9201
//! ```
//!
//! What it keeps from a real server is only what the bytes on the wire require: each masked
//! client frame is unmasked and re-framed with the 2-byte server header, so every recipient
//! gets exactly the frame a Socket.IO server sends for `42["broadcast",P]`. Like loopio, a
//! turn's broadcasts are collected first and each connection gets them in one `write` at the
//! end of the turn; unlike loopio, nothing is copied per recipient (all write the same buffer)
//! and nothing is parsed beyond the frame header. On accept it sends the text frame `40`, which
//! `tcp-fanout` takes as "this connection is in the room" (the server knows it from then on).

use std::io::{self, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);
/// The "you are in" frame: a server text frame carrying `40` (Socket.IO CONNECT to `/`).
const HELLO: &[u8] = &[0x81, 0x02, b'4', b'0'];

struct Conn {
    stream: TcpStream,
    /// Inbound bytes short of a whole frame.
    input: Vec<u8>,
    /// Output the socket did not take yet; written when it turns writable again.
    backlog: Vec<u8>,
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9201".into());
    let addr = addr
        .parse()
        .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {err}")))?;
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    eprintln!("tcp_fanout listening on {}", listener.local_addr()?);
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    // The turn's broadcasts, framed for the wire: the bytes every connection gets.
    let mut batch: Vec<u8> = Vec::new();
    let mut dead: Vec<usize> = Vec::new();
    let mut events = Events::with_capacity(1024);
    loop {
        if let Err(err) = poll.poll(&mut events, None) {
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                accept(&poll, &listener, &mut conns, &mut free)?;
                continue;
            }
            let index = event.token().0;
            let Some(conn) = conns[index].as_mut() else {
                continue;
            };
            let alive = (!event.is_writable() || drain(conn))
                && (!(event.is_readable() || event.is_read_closed())
                    || receive(conn, &mut buf, &mut batch));
            if !alive {
                dead.push(index);
            }
        }
        if !batch.is_empty() {
            for (index, slot) in conns.iter_mut().enumerate() {
                if let Some(conn) = slot {
                    if !send(conn, &batch) {
                        dead.push(index);
                    }
                }
            }
            batch.clear();
        }
        for index in dead.drain(..) {
            if let Some(mut conn) = conns[index].take() {
                let _ = poll.registry().deregister(&mut conn.stream);
                free.push(index);
            }
        }
    }
}

fn accept(
    poll: &Poll,
    listener: &TcpListener,
    conns: &mut Vec<Option<Conn>>,
    free: &mut Vec<usize>,
) -> io::Result<()> {
    loop {
        let (mut stream, _) = match listener.accept() {
            Ok(pair) => pair,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            // Out of descriptors or similar: drop this one and keep serving.
            Err(_) => return Ok(()),
        };
        stream.set_nodelay(true)?;
        let index = free.pop().unwrap_or_else(|| {
            conns.push(None);
            conns.len() - 1
        });
        poll.registry().register(
            &mut stream,
            Token(index),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let mut conn = Conn {
            stream,
            input: Vec::new(),
            backlog: Vec::new(),
        };
        if send(&mut conn, HELLO) {
            conns[index] = Some(conn);
        } else {
            conns[index] = None;
            free.push(index);
        }
    }
}

/// Reads until the socket is drained, appending each whole frame, re-framed, to `batch`;
/// false once the peer is gone.
fn receive(conn: &mut Conn, buf: &mut [u8], batch: &mut Vec<u8>) -> bool {
    loop {
        let n = match conn.stream.read(buf) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return true,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        };
        if conn.input.is_empty() {
            let used = reframe(&mut buf[..n], batch);
            conn.input.extend_from_slice(&buf[used..n]);
        } else {
            conn.input.extend_from_slice(&buf[..n]);
            let used = reframe(&mut conn.input, batch);
            conn.input.drain(..used);
        }
        // A short read drained the socket (edge-triggered: later bytes raise a new edge).
        if n < buf.len() {
            return true;
        }
    }
}

/// Moves every whole masked client frame in `input` to `batch` as an unmasked server frame
/// with the same opcode; returns the bytes consumed.
fn reframe(input: &mut [u8], batch: &mut Vec<u8>) -> usize {
    let mut at = 0;
    while let Some((header, len)) = client_head(&input[at..]) {
        let start = at + header;
        let mask = [
            input[start - 4],
            input[start - 3],
            input[start - 2],
            input[start - 1],
        ];
        let payload = &mut input[start..start + len];
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[i & 3];
        }
        batch.push(0x80 | (input[at] & 0x0F));
        if len < 126 {
            batch.push(len as u8);
        } else if len <= 0xFFFF {
            batch.push(126);
            batch.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            batch.push(127);
            batch.extend_from_slice(&(len as u64).to_be_bytes());
        }
        batch.extend_from_slice(&input[start..start + len]);
        at = start + len;
    }
    at
}

/// (header length, payload length) of the masked frame at the start of `buf`, once whole.
fn client_head(buf: &[u8]) -> Option<(usize, usize)> {
    let b1 = *buf.get(1)?;
    let (at, len) = match b1 & 0x7F {
        126 => (4, u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?]) as usize),
        127 => (
            10,
            u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize,
        ),
        len => (2, len as usize),
    };
    let header = at + 4;
    (buf.len() >= header + len).then_some((header, len))
}

/// One `write` of `bytes` (behind any backlog); what the socket does not take is kept.
fn send(conn: &mut Conn, bytes: &[u8]) -> bool {
    if !conn.backlog.is_empty() {
        conn.backlog.extend_from_slice(bytes);
        return true;
    }
    let mut at = 0;
    while at < bytes.len() {
        match conn.stream.write(&bytes[at..]) {
            Ok(n) => at += n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    conn.backlog.extend_from_slice(&bytes[at..]);
    true
}

/// Writes the backlog until it is empty or the socket would block.
fn drain(conn: &mut Conn) -> bool {
    while !conn.backlog.is_empty() {
        match conn.stream.write(&conn.backlog) {
            Ok(n) => {
                conn.backlog.drain(..n);
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return true,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame (FIN, `opcode`) carrying `payload`.
    fn client_frame(opcode: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut out = vec![0x80 | opcode];
        if payload.len() < 126 {
            out.push(0x80 | payload.len() as u8);
        } else {
            out.push(0x80 | 126);
            out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        out
    }

    #[test]
    fn reframes_whole_frames_and_leaves_a_partial_one() {
        let small = br#"42["broadcast","0000000000000000abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab"]"#;
        let large = vec![b'x'; 300];
        let mut input = client_frame(1, small, [1, 2, 3, 4]);
        input.extend(client_frame(1, &large, [9, 8, 7, 6]));
        let whole = input.len();
        input.extend(&client_frame(1, small, [5, 5, 5, 5])[..10]);
        let mut batch = Vec::new();
        assert_eq!(reframe(&mut input, &mut batch), whole);
        let mut expect = vec![0x81, small.len() as u8];
        expect.extend_from_slice(small);
        expect.extend_from_slice(&[0x81, 126, 1, 44]);
        expect.extend_from_slice(&large);
        assert_eq!(batch, expect);
    }
}
