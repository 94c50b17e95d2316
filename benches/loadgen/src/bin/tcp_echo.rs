//! The raw-TCP ceiling: a single-threaded mio server that writes back every byte it reads,
//! parsing nothing. `loadgen tcp-echo` sends it the same masked WebSocket frames as `ws-echo`.
//!
//! ```text
//! tcp_echo [ADDR]     # default 127.0.0.1:9200
//! ```

use std::io::{self, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);

struct Conn {
    stream: TcpStream,
    /// Bytes read but not yet written back: while any remain, reading stops (backpressure).
    backlog: Vec<u8>,
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9200".into());
    let addr = addr
        .parse()
        .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {err}")))?;
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    eprintln!("tcp_echo listening on {}", listener.local_addr()?);
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
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
            if !serve(conn, &mut buf) {
                let _ = poll.registry().deregister(&mut conn.stream);
                conns[index] = None;
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
        conns[index] = Some(Conn {
            stream,
            backlog: Vec::new(),
        });
    }
}

/// Writes the backlog, then echoes until the socket would block; false once the peer is gone.
fn serve(conn: &mut Conn, buf: &mut [u8]) -> bool {
    loop {
        if !conn.backlog.is_empty() {
            match conn.stream.write(&conn.backlog) {
                Ok(n) => {
                    conn.backlog.drain(..n);
                    continue;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return true,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            }
        }
        let n = match conn.stream.read(buf) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return true,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        };
        let mut at = 0;
        while at < n {
            match conn.stream.write(&buf[at..n]) {
                Ok(written) => at += written,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    conn.backlog.extend_from_slice(&buf[at..n]);
                    return true;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }
}
