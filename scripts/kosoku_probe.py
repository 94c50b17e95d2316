#!/usr/bin/env python3
"""Probe what kosoku (the Autobahn runner in scripts/autobahn) does not catch.

Runs a deliberately broken raw WebSocket echo server in one mode, drives it with
`kosoku -m fuzzingclient`, and prints how many cases kosoku rejects. If kosoku reports all-OK for a
broken mode, that class of bug is invisible to the Autobahn step and needs its own test (see
scripts/AUTOBAHN.md). Not part of scripts/test; run by hand after a kosoku upgrade:

    .venv/bin/python scripts/kosoku_probe.py [MODE ...]        # default: every mode
    KOSOKU_PROBE_CASES='7.*' .venv/bin/python scripts/kosoku_probe.py no-close-reply

Takes about 20 s per mode, except no-close-reply (kosoku waits out each close timeout).

Modes (each on top of a plain, mostly-correct echo server):
    baseline            no deliberate fault
    mask                server masks its frames (RFC 6455 5.1: a server MUST NOT mask)
    bad-accept          wrong Sec-WebSocket-Accept
    fixed-accept        Sec-WebSocket-Accept hard-coded for the RFC's sample key
    no-upgrade-headers  101 without Upgrade and Connection
    echo-reserved       echoes reserved-opcode and RSV frames instead of failing with 1002
    no-close-reply      never answers a close frame (and never closes TCP)
    reject-non-latin1   fails with 1007 on any valid UTF-8 above U+00FF (lead byte >= 0xC4)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MODES = [
    "baseline",
    "mask",
    "bad-accept",
    "fixed-accept",
    "no-upgrade-headers",
    "echo-reserved",
    "no-close-reply",
    "reject-non-latin1",
]
VALID_CLOSE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011}


def accept_for(key: bytes) -> str:
    return base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()


class Fault(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


async def serve_conn(mode: str, reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        key = b""
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        accept = accept_for(key)
        if mode == "bad-accept":
            accept = accept_for(b"not-the-key")
        elif mode == "fixed-accept":
            accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        upgrade = "" if mode == "no-upgrade-headers" else "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        w.write(
            f"HTTP/1.1 101 Switching Protocols\r\n{upgrade}Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
        )
        await echo_frames(mode, reader, w)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        w.close()


def frame(mode: str, first: int, payload: bytes) -> bytes:
    mask = mode == "mask"
    n = len(payload)
    if n < 126:
        head = bytes([first, (0x80 if mask else 0) | n])
    elif n < 65536:
        head = bytes([first, (0x80 if mask else 0) | 126]) + struct.pack("!H", n)
    else:
        head = bytes([first, (0x80 if mask else 0) | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


async def echo_frames(mode: str, reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    message_opcode = None
    text = bytearray()
    decoder = None
    while True:
        b0, b1 = await reader.readexactly(2)
        fin, rsv, opcode = b0 & 0x80, b0 & 0x70, b0 & 0x0F
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await reader.readexactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", await reader.readexactly(8))
        key = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
        data = await reader.readexactly(n)
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(data)) if n < 1 << 20 else unmask(data, key)
        try:
            reserved = rsv or opcode in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)
            if reserved:
                if mode != "echo-reserved":
                    raise Fault(1002)
                w.write(frame(mode, b0, payload))
                continue
            if opcode >= 8:
                if not fin or n > 125:
                    raise Fault(1002)
                if opcode == 9:
                    w.write(frame(mode, 0x8A, payload))
                elif opcode == 8:
                    if mode == "no-close-reply":
                        continue
                    if len(payload) == 1:
                        raise Fault(1002)
                    if len(payload) >= 2:
                        (code,) = struct.unpack("!H", payload[:2])
                        if not (code in VALID_CLOSE or 3000 <= code <= 4999):
                            raise Fault(1002)
                        try:
                            payload[2:].decode()
                        except UnicodeDecodeError:
                            raise Fault(1007) from None
                    w.write(frame(mode, 0x88, payload[:2]))
                    await w.drain()
                    return
                continue
            if opcode == 0 and message_opcode is None:
                raise Fault(1002)
            if opcode != 0 and message_opcode is not None:
                raise Fault(1002)
            if opcode != 0:
                message_opcode = opcode
                import codecs

                decoder = codecs.getincrementaldecoder("utf-8")() if opcode == 1 else None
                text = bytearray()
            if decoder is not None:
                try:
                    decoder.decode(payload, final=bool(fin))
                except UnicodeDecodeError:
                    raise Fault(1007) from None
                if mode == "reject-non-latin1" and any(b >= 0xC4 for b in payload):
                    raise Fault(1007)
            text += payload
            if fin:
                w.write(frame(mode, 0x80 | message_opcode, bytes(text)))
                message_opcode = None
                text = bytearray()
            await w.drain()
        except Fault as fault:
            w.write(frame(mode, 0x88, struct.pack("!H", fault.code)))
            await w.drain()
            return


def unmask(data: bytes, key: bytes) -> bytes:
    n = len(data)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


async def run_mode(mode: str, kosoku: Path) -> tuple[dict[str, Counter], list[str]]:
    server = await asyncio.start_server(lambda r, w: serve_conn(mode, r, w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with tempfile.TemporaryDirectory() as out:
        proc = await asyncio.create_subprocess_exec(
            str(kosoku), "-m", "fuzzingclient", f"127.0.0.1:{port}", "-p", "4",
            "-i", os.environ.get("KOSOKU_PROBE_CASES", "*"), "-x", "12.*", "-x", "13.*",
            "-o", out,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        await asyncio.wait_for(proc.wait(), 600)
        server.close()
        index = json.loads((Path(out) / "index.json").read_text())
    verdicts: dict[str, Counter] = {}
    rejected: list[str] = []
    for cases in index.values():
        for case_id, entry in cases.items():
            group = case_id.split(".")[0]
            ok = entry["behavior"] in ("OK", "INFORMATIONAL") and entry["behaviorClose"] in (
                "OK",
                "INFORMATIONAL",
            )
            verdicts.setdefault(group, Counter())["ok" if ok else "rejected"] += 1
            if not ok:
                rejected.append(f"{case_id}({entry['behavior']}/{entry['behaviorClose']})")
    return verdicts, rejected


def main() -> int:
    modes = sys.argv[1:] or MODES
    kosoku = Path(sys.executable).parent / "kosoku"
    for mode in modes:
        if mode not in MODES:
            sys.exit(f"unknown mode {mode}; modes: {', '.join(MODES)}")
        verdicts, rejected = asyncio.run(run_mode(mode, kosoku))
        total = sum(v["rejected"] for v in verdicts.values())
        per_group = " ".join(
            f"{g}:{v['rejected']}" for g, v in sorted(verdicts.items(), key=lambda kv: int(kv[0]))
        )
        print(f"{mode:<20} rejected {total:>4} cases   (rejected per group: {per_group})")
        if 0 < total <= 12:
            print(f"{'':<20} {' '.join(rejected)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
