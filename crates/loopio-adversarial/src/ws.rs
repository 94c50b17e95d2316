//! A raw WebSocket client over `std::net`, written independently of `loopio-frame` so a bug
//! shared by encoder and decoder cannot hide itself.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

use crate::WAIT;

/// The RFC 6455 §1.3 sample key and its accept value.
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// `Sec-WebSocket-Accept` for [`KEY`].
pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// Masking key used by every client frame here.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame as received from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// FIN bit.
    pub fin: bool,
    /// Opcode (low 4 bits of byte 0).
    pub opcode: u8,
    /// Payload.
    pub payload: Vec<u8>,
}

impl Frame {
    /// The status code of a close frame (1005 when it has none).
    pub fn close_code(&self) -> u16 {
        assert_eq!(self.opcode, 0x8, "expected a close frame, got {self:?}");
        match self.payload.get(..2) {
            Some(code) => u16::from_be_bytes([code[0], code[1]]),
            None => 1005,
        }
    }
}

/// The upgrade request for `path`.
pub fn upgrade_request(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

/// TCP connection with read and write timeouts of [`WAIT`] and no Nagle.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the test server");
    stream.set_read_timeout(Some(WAIT)).expect("set timeout");
    stream.set_write_timeout(Some(WAIT)).expect("set timeout");
    stream.set_nodelay(true).expect("set nodelay");
    stream
}

/// Reads an HTTP head through CRLF CRLF, byte by byte so no frame bytes are swallowed.
pub fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).map_err(|_| io::ErrorKind::InvalidData.into())
}

/// Connects and completes the upgrade; panics unless the answer is a valid `101`.
pub fn open(addr: SocketAddr) -> TcpStream {
    let mut stream = connect(addr);
    stream
        .write_all(&upgrade_request("/"))
        .expect("send upgrade");
    let head = read_head(&mut stream).expect("101 in time");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains(ACCEPT), "{head}");
    stream
}

/// A masked client frame with the shortest length encoding.
pub fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(fin, opcode, payload.len() as u64);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

/// The header (with mask key) of a masked client frame announcing `len` payload bytes.
pub fn header(fin: bool, opcode: u8, len: u64) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
    match len {
        0..=125 => out.push(0x80 | len as u8),
        126..=0xffff => {
            out.push(0x80 | 126);
            out.extend((len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend(len.to_be_bytes());
        }
    }
    out.extend(MASK);
    out
}

/// Masks `payload` as the continuation of a frame whose first `offset` bytes were sent.
pub fn mask_at(payload: &[u8], offset: usize) -> Vec<u8> {
    payload
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ MASK[(offset + i) % 4])
        .collect()
}

/// Reads one server frame (unmasked); errors on EOF or timeout.
pub fn read_frame(stream: &mut TcpStream) -> io::Result<Frame> {
    let mut head = [0; 2];
    stream.read_exact(&mut head)?;
    if head[1] & 0x80 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "server frame is masked",
        ));
    }
    let len = match head[1] & 0x7f {
        126 => {
            let mut ext = [0; 2];
            stream.read_exact(&mut ext)?;
            u64::from(u16::from_be_bytes(ext))
        }
        127 => {
            let mut ext = [0; 8];
            stream.read_exact(&mut ext)?;
            u64::from_be_bytes(ext)
        }
        n => u64::from(n),
    };
    if len > 64 << 20 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "absurd server frame",
        ));
    }
    let mut payload = vec![0; len as usize];
    stream.read_exact(&mut payload)?;
    Ok(Frame {
        fin: head[0] & 0x80 != 0,
        opcode: head[0] & 0x0f,
        payload,
    })
}

/// Reads frames until a close frame and returns its code (data frames before it are skipped).
pub fn read_close(stream: &mut TcpStream) -> io::Result<u16> {
    loop {
        let frame = read_frame(stream)?;
        if frame.opcode == 0x8 {
            return Ok(frame.close_code());
        }
    }
}

/// Whether the server ended TCP: EOF or reset within the read timeout, discarding input.
pub fn ends(stream: &mut TcpStream) -> bool {
    let mut sink = [0; 4096];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                return matches!(
                    err.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                )
            }
        }
    }
}

/// Sends `text` and reads its echo; returns whether the echo matched.
pub fn echo(stream: &mut TcpStream, text: &str) -> bool {
    if stream
        .write_all(&frame(true, 0x1, text.as_bytes()))
        .is_err()
    {
        return false;
    }
    match read_frame(stream) {
        Ok(frame) => frame.opcode == 0x1 && frame.payload == text.as_bytes(),
        Err(_) => false,
    }
}

/// Sends a close with `code`, expects the echoed close and the server's EOF.
pub fn close(stream: &mut TcpStream, code: u16) -> io::Result<()> {
    stream.write_all(&frame(true, 0x8, &code.to_be_bytes()))?;
    let echoed = read_close(stream)?;
    if echoed != code {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "close not echoed",
        ));
    }
    if !ends(stream) {
        return Err(io::ErrorKind::TimedOut.into());
    }
    Ok(())
}
