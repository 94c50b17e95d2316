//! Minimal HTTP/1.1 over `std::net` for polling scenarios: one request, one response, with
//! the body framed by `Content-Length`.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use crate::ws::read_head;

/// A response: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Body as text (lossy).
    pub body: String,
}

/// Sends a request with `body` (and `Content-Length` when non-empty).
pub fn send(stream: &mut TcpStream, method: &str, target: &str, body: &[u8]) -> io::Result<()> {
    let length = match body.len() {
        0 => String::new(),
        n => format!("Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {n}\r\n"),
    };
    let head = format!("{method} {target} HTTP/1.1\r\nHost: test\r\n{length}\r\n");
    stream.write_all(&[head.as_bytes(), body].concat())
}

/// Reads one response.
pub fn read_reply(stream: &mut TcpStream) -> io::Result<Reply> {
    let head = read_head(stream)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(io::ErrorKind::InvalidData)?;
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body)?;
    Ok(Reply {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Sends a request and reads its response.
pub fn request(
    stream: &mut TcpStream,
    method: &str,
    target: &str,
    body: &[u8],
) -> io::Result<Reply> {
    send(stream, method, target, body)?;
    read_reply(stream)
}

/// The `sid` of an Engine.IO open packet (`0{"sid":"…",…}`).
pub fn sid_of(open: &str) -> String {
    let start = open.find(r#""sid":""#).expect("open packet has a sid") + 7;
    let end = open[start..].find('"').expect("sid is quoted");
    open[start..start + end].to_owned()
}
