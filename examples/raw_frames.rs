//! WebSocket by hand, next to the same steps done by `loopio-frame` and `loopio-handshake`.
//!
//! A newcomer's first WebSocket server usually looks like `by_hand` below: read the HTTP head,
//! answer `101` with the SHA-1 accept key, then pull frames apart bit by bit. This example does
//! exactly that, correctly (all three length forms, the mask, FIN and opcodes), over a real
//! socket, and prints the real bytes. `with_loopio` then decodes the same bytes with the codec.
//!
//! ```text
//! cargo run --example raw_frames
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use base64::Engine as _;
use loopio::frame::{Decoder, Limits, Message, OpCode, Role};
use sha1::{Digest, Sha1};

/// RFC 6455 §1.3: the accept key is base64(SHA-1(key + this GUID)).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Prints bytes as grouped hex, at most `max` of them.
fn hex(bytes: &[u8], max: usize) -> String {
    let shown: Vec<String> = bytes.iter().take(max).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > max {
        format!(" … ({} bytes)", bytes.len())
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(" "))
}

/// The server half, as a newcomer writes it with nothing but `std::net`.
fn by_hand(stream: TcpStream) -> std::io::Result<Vec<Vec<u8>>> {
    let mut reader = BufReader::new(stream.try_clone()?);
    // 1. The head: lines until an empty one. A real server bounds this (8 KiB) and times out.
    let mut key = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        println!("  head  | {line}");
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("sec-websocket-key") {
                key = Some(value.trim().to_owned());
            }
        }
    }
    let key = key.ok_or_else(|| std::io::Error::other("no Sec-WebSocket-Key"))?;
    // 2. The answer: SHA-1 over key + GUID, base64. "dGhlIHNhbXBsZSBub25jZQ==" gives
    //    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" (the RFC's own example).
    let accept =
        base64::engine::general_purpose::STANDARD.encode(Sha1::digest(format!("{key}{GUID}")));
    println!("  101   | Sec-WebSocket-Accept: {accept}");
    let mut writer = stream;
    write!(
        writer,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    )?;
    write!(writer, "Sec-WebSocket-Accept: {accept}\r\n\r\n")?;

    // 3. Frames. Bytes still in `reader`'s buffer belong to them: reading through it keeps them.
    let mut payloads = Vec::new();
    loop {
        let mut head = [0u8; 2];
        reader.read_exact(&mut head)?;
        // First byte: FIN (0x80), three RSV bits (0x70, must be 0 without extensions), opcode.
        let fin = head[0] & 0x80 != 0;
        let rsv = head[0] & 0x70;
        let opcode = head[0] & 0x0f;
        // Second byte: MASK (0x80, must be 1 from a client), then a 7-bit length.
        let masked = head[1] & 0x80 != 0;
        let mut len = u64::from(head[1] & 0x7f);
        // 126: a 16-bit length follows; 127: a 64-bit one (high bit 0). Both big-endian.
        if len == 126 {
            let mut ext = [0u8; 2];
            reader.read_exact(&mut ext)?;
            len = u64::from(u16::from_be_bytes(ext));
        } else if len == 127 {
            let mut ext = [0u8; 8];
            reader.read_exact(&mut ext)?;
            len = u64::from_be_bytes(ext);
        }
        if rsv != 0 || !masked || len > 16 << 20 {
            return Err(std::io::Error::other(
                "protocol error: answer close 1002/1009",
            ));
        }
        // The 4-byte masking key, then the payload XORed with key[i % 4].
        let mut key = [0u8; 4];
        reader.read_exact(&mut key)?;
        let mut payload = vec![0u8; len as usize];
        reader.read_exact(&mut payload)?;
        println!(
            "  frame | FIN={} RSV={rsv} opcode={opcode:#x} mask={} len={len}",
            u8::from(fin),
            hex(&key, 4)
        );
        println!("        | masked   {}", hex(&payload, 12));
        payload
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b ^= key[i % 4]);
        println!("        | unmasked {}", hex(&payload, 12));
        // Opcode 0x8 is close. (Not shown: 0x0 continuation, ping/pong, UTF-8 checks.)
        if opcode == 0x8 {
            return Ok(payloads);
        }
        payloads.push(payload);
    }
}

/// A client frame, masked as RFC 6455 §5.3 requires.
fn client_frame(opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loopio::frame::encode_frame(
        &mut out,
        opcode,
        true,
        payload,
        Some([0x37, 0xfa, 0x21, 0x3d]),
    );
    out
}

/// The same frames through the codec: one call per message, unmasked in place.
fn with_loopio(mut wire: Vec<u8>) {
    let mut decoder = Decoder::new(Role::Server, Limits::default());
    let mut pos = 0;
    while pos < wire.len() {
        let decoded = match decoder.decode(&mut wire[pos..]) {
            Ok(decoded) => decoded,
            Err(err) => return println!("  error | close with {}", err.close_code().0),
        };
        pos += decoded.consumed;
        match decoded.message {
            Some(Message::Text(text)) => println!("  text   | {text:?}"),
            Some(Message::Binary(bytes)) => println!("  binary | {}", hex(bytes, 12)),
            Some(Message::Close(frame)) => println!("  close  | {:?}", frame.map(|f| f.code.0)),
            Some(other) => println!("  other  | {other:?}"),
            None => {}
        }
    }
    // And the server's reply: unmasked, the header chosen by length.
    let mut reply = Vec::new();
    loopio::frame::encode_frame(&mut reply, OpCode::Text, true, b"Hello", None);
    println!(
        "  reply  | {}   (0x81 = FIN|text, 0x05 = unmasked, length 5)",
        hex(&reply, 8)
    );
}

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = std::thread::spawn(move || by_hand(listener.accept()?.0));

    // Three data frames, one per length form (7-bit, 16-bit, 64-bit), then a close.
    let mut wire = client_frame(OpCode::Text, b"Hello");
    wire.extend(client_frame(OpCode::Binary, &[0xab; 300]));
    wire.extend(client_frame(OpCode::Binary, &[0xcd; 70_000]));
    let mut close = Vec::new();
    loopio::frame::encode_close(
        &mut close,
        loopio::frame::CloseCode::NORMAL,
        "bye",
        Some([1, 2, 3, 4]),
    );
    wire.extend(&close);

    let mut client = TcpStream::connect(addr)?;
    let request = "GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    println!("by hand, over a real socket:");
    client.write_all(request.as_bytes())?;
    client.write_all(&wire)?;
    let payloads = server
        .join()
        .map_err(|_| std::io::Error::other("server thread panicked"))??;
    println!(
        "  got {} data frames of {:?} bytes",
        payloads.len(),
        payloads.iter().map(Vec::len).collect::<Vec<_>>()
    );
    println!(
        "  expected accept key: {}",
        loopio::handshake::accept_key("dGhlIHNhbXBsZSBub25jZQ==")
    );

    println!("with loopio-frame, the same bytes:");
    with_loopio(wire);
    Ok(())
}
