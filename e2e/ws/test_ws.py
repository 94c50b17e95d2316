"""Real-client WebSocket tests against loopio's echo_server, with Python's `websockets` (asyncio).

Run by scripts/e2e-ws: `.venv/bin/python e2e/ws/test_ws.py [ws://127.0.0.1:PORT]` (or set
LOOPIO_WS_URL). Each test runs under `asyncio.wait_for`; the runner prints `N passed, N failed` and
exits non-zero on any failure. Nothing sleeps.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode

URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("LOOPIO_WS_URL", "ws://127.0.0.1:9101")
MiB = 1024 * 1024
TESTS: list[tuple[str, float, Callable[[], Awaitable[None]]]] = []


def case(timeout: float = 10.0):
    def register(fn: Callable[[], Awaitable[None]]):
        TESTS.append((fn.__name__, timeout, fn))
        return fn

    return register


def client() -> connect:
    # No compression (the server offers none), no size cap, no keepalive pings of its own.
    return connect(URL, compression=None, max_size=None, ping_interval=None, open_timeout=5)


async def close_with(ws: ClientConnection, code: int = 1000, reason: str = "") -> tuple[int, str]:
    await ws.close(code, reason)
    rcvd = ws.protocol.close_rcvd
    assert rcvd is not None, "server sent no close frame"
    return rcvd.code, rcvd.reason


@case()
async def text_echo() -> None:
    async with client() as ws:
        text = "hello, ünïcødé ✓ 🚀"
        await ws.send(text)
        got = await ws.recv()
        assert got == text, got


@case()
async def binary_echo() -> None:
    async with client() as ws:
        payload = os.urandom(70_000)
        await ws.send(payload)
        got = await ws.recv()
        assert isinstance(got, bytes) and got == payload


@case()
async def fragmented_text_from_async_iterator() -> None:
    fragments = ["frag-one ", "frag-two € ", "", "frag-three"]

    async def chunks() -> AsyncIterator[str]:
        for fragment in fragments:
            yield fragment

    async with client() as ws:
        await ws.send(chunks())
        got = await ws.recv()
        assert got == "".join(fragments), got


@case()
async def fragmented_binary_from_async_iterator() -> None:
    parts = [os.urandom(1), os.urandom(126), os.urandom(65_536), os.urandom(3)]

    async def chunks() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    async with client() as ws:
        await ws.send(chunks())
        got = await ws.recv()
        assert got == b"".join(parts)


@case()
async def ping_pong() -> None:
    async with client() as ws:
        for payload in (b"", b"ping-1", os.urandom(125)):
            pong_waiter = await ws.ping(payload)
            latency = await pong_waiter  # resolves when the pong with this payload arrives
            assert latency >= 0


async def _close_code(code: int) -> None:
    async with client() as ws:
        await ws.send("before close")
        await ws.recv()
        got_code, _reason = await close_with(ws, code, f"bye {code}")
        assert got_code == code, f"sent {code}, server answered {got_code}"


@case()
async def close_1000() -> None:
    await _close_code(1000)


@case()
async def close_3000() -> None:
    await _close_code(3000)


@case()
async def close_4999() -> None:
    await _close_code(4999)


@case()
async def server_closes_1007_on_invalid_utf8() -> None:
    async with client() as ws:
        # websockets won't send invalid text; a raw frame through its protocol object will.
        # 0xC0 0xAF is an overlong '/'.
        ws.protocol.send_frame(Frame(Opcode.TEXT, b"hi\xc0\xaf"))
        ws.send_data()
        try:
            await ws.recv()
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1007, closed
        else:
            raise AssertionError("server echoed invalid UTF-8")


@case(timeout=60.0)
async def sixteen_mib_binary() -> None:
    async with client() as ws:
        payload = os.urandom(16 * MiB)
        await ws.send(payload)
        got = await ws.recv()
        assert len(got) == len(payload)
        assert hashlib.sha256(got).digest() == hashlib.sha256(payload).digest()


@case(timeout=60.0)
async def sixteen_mib_text() -> None:
    async with client() as ws:
        unit = "loopio €✓ 🚀 "  # 1-, 3- and 4-byte characters
        text = unit * (16 * MiB // len(unit.encode()))
        text += "x" * (16 * MiB - len(text.encode()))  # exactly 16 MiB of UTF-8
        assert len(text.encode()) == 16 * MiB
        await ws.send(text)
        got = await ws.recv()
        assert isinstance(got, str) and len(got) == len(text)
        assert hashlib.sha256(got.encode()).digest() == hashlib.sha256(text.encode()).digest()


async def run() -> int:
    passed = failed = 0
    for name, timeout, fn in TESTS:
        started = time.monotonic()
        try:
            await asyncio.wait_for(fn(), timeout)
        except Exception as err:  # noqa: BLE001 - report every failure and go on
            failed += 1
            kind = "timed out" if isinstance(err, TimeoutError) else "failed"
            print(f"FAIL {name} ({time.monotonic() - started:.2f}s): {kind}")
            traceback.print_exception(err, limit=3, file=sys.stdout)
        else:
            passed += 1
            print(f"ok   {name} ({time.monotonic() - started:.2f}s)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run()))
