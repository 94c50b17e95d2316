#!/usr/bin/env python3
"""Regenerates the committed seed corpora: fuzz/seeds/<target>/<name>.

Each target reads its input as a small script (see the header comment of its
fuzz_targets/<target>.rs); these seeds are valid and near-valid protocol bytes wrapped in
that script. Run from anywhere: python3 fuzz/seeds/generate.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "crates", "loopio-handshake", "tests", "fixtures")


def write(target, name, data):
    directory = os.path.join(HERE, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def frame(opcode, payload, key=None, fin=True, length=None, rsv=0):
    """One RFC 6455 frame; `length` forces the 7/16/64-bit length form (126, 127)."""
    out = bytearray([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    mask_bit = 0x80 if key else 0
    form = length or (n if n < 126 else 126 if n < 0x10000 else 127)
    if form == 126:
        out += bytes([mask_bit | 126]) + struct.pack(">H", n)
    elif form == 127:
        out += bytes([mask_bit | 127]) + struct.pack(">Q", n)
    else:
        out += bytes([mask_bit | n])
    if key:
        out += key
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes(out + payload)


KEY = bytes([0x37, 0xFA, 0x21, 0x3D])  # RFC 6455 §5.7


def frame_seeds():
    # config bit 0: 0 = Server (expects masked), 1 = Client (expects unmasked).
    # Script: [config] [split count] [split seeds...] [wire].
    def both(name, build, splits=b"", limits=0):
        header = bytes([len(splits)]) + splits
        write("frame_decoder", name + "-server", bytes([limits << 1]) + header + build(KEY))
        write("frame_decoder", name + "-client", bytes([limits << 1 | 1]) + header + build(None))

    both("hello", lambda k: frame(0x1, b"Hello", k))
    both("hello-bytewise", lambda k: frame(0x1, b"Hello", k), splits=b"\x00")
    both("fragmented", lambda k: frame(0x1, b"Hel", k, fin=False) + frame(0x0, b"lo", k),
         splits=b"\x02\x04")
    both("ping-pong", lambda k: frame(0x9, b"Hello", k) + frame(0xA, b"Hello", k))
    both("ping-inside-fragments", lambda k: frame(0x2, b"ab", k, fin=False)
         + frame(0x9, b"", k) + frame(0x0, b"cd", k), splits=b"\x03\x01")
    both("binary-126", lambda k: frame(0x2, bytes(range(256)), k), splits=b"\x05\x40")
    both("binary-127-short", lambda k: frame(0x2, b"non-minimal", k, length=127))
    both("binary-127-huge-claim",
         lambda k: bytes([0x82, (0x80 if k else 0) | 127]) + struct.pack(">Q", 1 << 62)
         + (k or b"") + b"only a few bytes", limits=3)
    both("close-1000", lambda k: frame(0x8, b"\x03\xe8bye", k))
    both("close-empty", lambda k: frame(0x8, b"", k))
    both("close-bad-code", lambda k: frame(0x8, b"\x03\xed", k))
    both("text-then-close", lambda k: frame(0x1, "κόσμε".encode(), k)
         + frame(0x8, b"\x0f\xa0", k), splits=b"\x01\x00\x06")
    both("bad-utf8", lambda k: frame(0x1, b"\xce\xba\xed\xa0\x80", k))
    both("split-utf8", lambda k: frame(0x1, b"\xce", k, fin=False) + frame(0x0, b"\xba", k))
    both("too-big-for-small-limits", lambda k: frame(0x2, b"x" * 20, k), limits=1)
    both("rsv-set", lambda k: frame(0x1, b"x", k, rsv=0x40))
    both("reserved-opcode", lambda k: frame(0x3, b"", k))
    both("continuation-without-start", lambda k: frame(0x0, b"x", k))
    both("fragmented-ping", lambda k: frame(0x9, b"x", k, fin=False))
    # The wrong masking for each role.
    write("frame_decoder", "unmasked-to-server", b"\x00\x00" + frame(0x1, b"Hello"))
    write("frame_decoder", "masked-to-client", b"\x01\x00" + frame(0x1, b"Hello", KEY))


def utf8_seeds():
    # Script: [config] [fragment count - 1 in low nibble] [fragment lengths...] [text].
    cases = {
        "ascii": (0, [], b"Hello"),
        "greek-split-in-char": (0, [1], "κόσμε".encode()),
        "greek-bytewise": (2, [1, 1, 1, 1], "κόσμε".encode()),
        "ping-between": (1, [3, 2], "héllo wörld".encode()),
        "surrogate": (0, [1, 1], b"\xed\xa0\x80"),
        "above-max": (0, [2], b"\xf4\x90\x80\x80"),
        "overlong": (0, [1], b"\xc0\xaf"),
        "truncated-end": (0, [3], b"abc\xe2\x82"),
        "four-byte": (3, [1, 2], "\U0001F600!".encode()),
        "empty-fragments": (0, [0, 0, 0], b"ok"),
        "autobahn-6-4-1": (0, [12, 4], "κόσμε".encode() + b"\xf4\x90\x80\x80" + b"edited"),
    }
    for name, (config, lengths, text) in cases.items():
        write("utf8_message", name, bytes([config, len(lengths)]) + bytes(lengths) + text)


def close_seeds():
    cases = {
        "empty": b"",
        "one-byte": b"\x03",
        "normal": b"\x03\xe8",
        "normal-reason": b"\x03\xe8Goodbye",
        "app-code-4999": b"\x13\x87app",
        "code-1005": b"\x03\xed",
        "code-1015": b"\x03\xf7",
        "code-2999": b"\x0b\xb7",
        "utf8-reason": b"\x03\xe9" + "κόσμε".encode(),
        "bad-reason": b"\x03\xe9\xce\xba\xff",
        "max-len": b"\x03\xe8" + b"r" * 123,
    }
    for name, payload in cases.items():
        for config in (0, 1, 6):
            write("close_payload", f"{name}-{config}", bytes([config]) + payload)


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def request_seeds():
    # Script: [config] [split count] [split seeds...] [bytes]; config 0x20 = body max 1000.
    splits = b"\x03\x10\x00\x40"
    for name in ["chrome.http", "firefox.http", "node-ws.http", "polling-get.http",
                 "polling-post.http", "python-websockets.http", "safari.http"]:
        write("http_request", name[:-5], b"\x20" + splits + fixture(name))
    chunked = (b"POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: a\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n"
               b"5;ext=1\r\n4hell\r\n3\r\no\x1e2\r\n0\r\nExpires: never\r\n\r\nGET / HTTP/1.1\r\n")
    write("http_request", "chunked", b"\x20" + splits + chunked)
    write("http_request", "chunked-too-big", b"\x10\x00" + chunked)
    write("http_request", "content-length-pipelined", b"\x20\x01\x07"
          + b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n4helloGET / HTTP/1.1\r\n")
    write("http_request", "smuggle-cl-te", b"\x20\x00"
          + b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
          + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    write("http_request", "http10-bare-lf", b"\x20\x00" + b"GET /x?a=%41+b HTTP/1.0\n\n")
    write("http_request", "absolute-form", b"\x20\x00"
          + b"GET http://example.com/chat?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
    write("http_request", "rfc6455-upgrade", b"\x20\x00"
          + b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
          + b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + b"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
          + b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
          + b"Sec-WebSocket-Version: 13\r\n\r\n\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")
    write("http_request", "many-headers-small-limits", b"\x05\x00"
          + b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: y\r\n" * 10 + b"\r\n")


def response_seeds():
    ok = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")
    write("client_response", "accept", b"\x00\x02\x05\x01" + ok + b"\r\n\x81\x00")
    write("client_response", "accept-protocol", b"\x01\x00" + ok
          + b"Sec-WebSocket-Protocol: chat\r\n\r\n")
    write("client_response", "unoffered-protocol", b"\x00\x00" + ok
          + b"Sec-WebSocket-Protocol: chat\r\n\r\n")
    write("client_response", "two-accepts", b"\x00\x00" + ok
          + b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    write("client_response", "wrong-accept", b"\x00\x00"
          + ok.replace(b"xOo=", b"xOp=") + b"\r\n")
    write("client_response", "426", b"\x00\x00"
          + b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n")
    write("client_response", "http10", b"\x00\x00" + ok.replace(b"1.1", b"1.0") + b"\r\n")
    write("client_response", "small-limits", b"\x04\x00" + ok + b"\r\n")


def engine_seeds():
    # Script: [config] [split count] [split seeds...] [payload]; config 0 = max 1 MB.
    cases = {
        "hello-ping-binary": b"4hello\x1e2\x1ebAQID",
        "probe": b"2probe",
        "upgrade-noop": b"5\x1e6",
        "open": b'0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,'
                b'"pingTimeout":20000,"maxPayload":1000000}',
        "close": b"1",
        "utf8": "4κόσμε\x1e4€".encode(),
        "base64-padding": b"bAQI=\x1ebAQ==\x1eb",
        "bad-base64": b"bAQ\x1e4x",
        "unknown-type": b"7\x1e4x",
        "trailing-separator": b"4a\x1e",
        "empty": b"",
        "bad-utf8": b"4\xce\x1e4a",
        "long-text": b"4" + "é".encode() * 100,
        "socketio-in-engineio": b'42["chat",{"a":1}]\x1e451-["bin",{"_placeholder":true,"num":0}]'
                                b"\x1ebAQID",
    }
    for name, payload in cases.items():
        write("engine_payload", name, b"\x00\x02\x03\x00" + payload)
    write("engine_payload", "over-max", b"\x02\x00" + b"4hello world\x1e4x")


def socket_seeds():
    # Even mode byte: one packet text. Odd: an operation script (see socket_packet.rs).
    packets = {
        "connect": "0",
        "connect-admin-auth": '0/admin,{"token":"123"}',
        "event": '2["chat",{"a":1}]',
        "event-ack": '2/admin,456["project:delete",123]',
        "ack": "3/admin,456[]",
        "connect-error": '4{"message":"Not authorized"}',
        "binary-event": '51-["bin",{"_placeholder":true,"num":0}]',
        "binary-ack": '61-/admin,456[{"_placeholder":true,"num":0}]',
        "reserved": '2["connect"]',
        "numeric-name": "2[42,true]",
        "nested": '2["e",[[[{"a":[null,1.5e3,"\\u00e9"]}]]]]',
        "too-many-attachments": '511-["a"]',
        "ack-id-overflow": "2123456789012345678901[]",
        "nsp-no-comma": "1/admin",
    }
    for name, text in packets.items():
        write("socket_packet", name, b"\x00" + text.encode())

    def text(t):
        t = t.encode()
        return b"\x00" + bytes([len(t)]) + t

    def binary(b):
        return b"\x01" + bytes([len(b)]) + b

    def template(i):
        return b"\x02" + bytes([i])

    scripts = {
        "chat": template(0) + template(3) + template(4),
        "binary-event": template(0) + template(5) + binary(b"\x01\x02\x03"),
        "binary-admin": template(0) + template(1) + template(6) + binary(b"a") + binary(b"b"),
        "bad-placeholder": template(0) + template(7) + binary(b"1") + binary(b"2") + binary(b"3"),
        "binary-without-packet": template(0) + binary(b"x"),
        "text-while-reassembling": template(0) + template(5) + template(3),
        "connect-timeout": b"\x03\xff\xff" + template(0),
        "reopen": template(0) + b"\x04" + template(0) + template(8) + binary(b"z"),
        "raw-text": text('0') + text('2["e",{"_placeholder":true,"num":0}]'),
        "unknown-namespace": template(2) + template(3),
    }
    for name, script in scripts.items():
        write("socket_packet", "drive-" + name, b"\x01" + script)


def engine_connection_seeds():
    # [config] then ops: 0 GET, 1 POST raw (len, bytes), 2 POST template, 3 WS open,
    # 4/5 WS template, 6 WS raw (len, bytes, text?), 7 transport closed (id, end),
    # 8/9 time step (u16 * 16 ms), 10 send (len, bytes), 11 close.
    # Templates: 0 "2probe" 1 "3probe" 2 "5" 3 "3" 4 "2" 5 "4hello" 6 "1" 7 "6" 8 "bAQID" 9 "40"
    def post(t):
        return b"\x02" + bytes([t])

    def ws(t):
        return b"\x04" + bytes([t])

    def wait(ms):
        return b"\x08" + (ms // 16).to_bytes(2, "big")

    scripts = {
        "polling-chat": b"\x00" + b"\x00" + post(5) + b"\x0a\x05hello" + b"\x00",
        "polling-raw-post": b"\x00" + b"\x00" + b"\x01\x0d4a\x1e4b\x1ebAQID\x1e3",
        "upgrade": b"\x00" + b"\x00" + b"\x03" + ws(0) + b"\x00" + ws(2) + ws(5),
        "upgrade-timeout": b"\x00" + b"\x03" + ws(0) + wait(11000),
        "heartbeat": b"\x00" + b"\x00" + wait(25000) + b"\x00" + post(3) + wait(25000),
        "ping-timeout": b"\x00" + wait(25000) + wait(21000),
        "websocket-open": b"\x01" + ws(5) + b"\x06\x03\x01\x02\x03\x00" + ws(6),
        "close-drain": b"\x00" + b"\x0a\x02hi" + b"\x0b" + b"\x00" + wait(31000),
        "small-limits": b"\x02" + b"\x01\x50" + b"4" * 80 + b"\x0a\xff" + b"x" * 255,
        "transport-lost": b"\x00" + b"\x00" + b"\x07\x02\x01",
    }
    for name, script in scripts.items():
        write("engine_connection", name, script)


if __name__ == "__main__":
    engine_connection_seeds()
    engine_seeds()
    socket_seeds()
    frame_seeds()
    utf8_seeds()
    close_seeds()
    request_seeds()
    response_seeds()
