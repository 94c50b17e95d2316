// Real-client WebSocket tests against loopio's echo_server, with the `ws` package and raw TCP.
// Run by scripts/e2e-ws: `node --test e2e/ws/` with NODE_PATH=.deps/node/node_modules and
// LOOPIO_WS_URL=ws://127.0.0.1:PORT. Every test has its own timeout; nothing sleeps.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const { once } = require('node:events');
const WebSocket = require('ws');

const URL_ = process.env.LOOPIO_WS_URL || 'ws://127.0.0.1:9101';
const { hostname: HOST, port: PORT } = new URL(URL_);
const T = 10_000; // default per-test timeout, ms
const MAX = 64 * 1024 * 1024;

function connect(opts = {}) {
  const ws = new WebSocket(URL_, { perMessageDeflate: false, maxPayload: MAX, ...opts });
  return once(ws, 'open').then(() => ws);
}

function nextMessage(ws) {
  return new Promise((resolve, reject) => {
    const onMessage = (data, isBinary) => { cleanup(); resolve({ data, isBinary }); };
    const onClose = (code) => { cleanup(); reject(new Error(`closed with ${code} before a message`)); };
    const onError = (err) => { cleanup(); reject(err); };
    const cleanup = () => {
      ws.off('message', onMessage); ws.off('close', onClose); ws.off('error', onError);
    };
    ws.on('message', onMessage); ws.on('close', onClose); ws.on('error', onError);
  });
}

async function closeWith(ws, code, reason) {
  const closed = once(ws, 'close');
  ws.close(code, reason);
  const [gotCode, gotReason] = await closed;
  return { code: gotCode, reason: gotReason.toString() };
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

test('text message echoes', { timeout: T }, async () => {
  const ws = await connect();
  const text = 'hello, ünïcødé ✓ 🚀';
  ws.send(text);
  const { data, isBinary } = await nextMessage(ws);
  assert.equal(isBinary, false);
  assert.equal(data.toString('utf8'), text);
  await closeWith(ws, 1000);
});

test('binary message echoes', { timeout: T }, async () => {
  const ws = await connect();
  const payload = crypto.randomBytes(4099);
  ws.send(payload);
  const { data, isBinary } = await nextMessage(ws);
  assert.equal(isBinary, true);
  assert.ok(payload.equals(data));
  await closeWith(ws, 1000);
});

test('empty text and empty binary messages echo', { timeout: T }, async () => {
  const ws = await connect();
  ws.send('');
  let m = await nextMessage(ws);
  assert.equal(m.isBinary, false);
  assert.equal(m.data.length, 0);
  ws.send(Buffer.alloc(0));
  m = await nextMessage(ws);
  assert.equal(m.isBinary, true);
  assert.equal(m.data.length, 0);
  await closeWith(ws, 1000);
});

test('payload lengths around the 7/16/64-bit length encodings echo', { timeout: T }, async () => {
  const ws = await connect();
  for (const n of [125, 126, 127, 65535, 65536, 65537]) {
    const payload = crypto.randomBytes(n);
    ws.send(payload);
    const { data } = await nextMessage(ws);
    assert.equal(data.length, n);
    assert.ok(payload.equals(data), `length ${n}`);
  }
  await closeWith(ws, 1000);
});

test('fragmented text message is reassembled', { timeout: T }, async () => {
  const ws = await connect();
  // A multi-byte character split across fragments: UTF-8 is validated per message, not frame.
  const whole = Buffer.from('frag-one|frag-two €|frag-three', 'utf8');
  const cut = whole.indexOf(0xe2) + 1; // inside the 3-byte '€'
  ws.send(whole.subarray(0, 8), { binary: false, fin: false });
  ws.send(whole.subarray(8, cut), { binary: false, fin: false });
  ws.send(whole.subarray(cut), { binary: false, fin: true });
  const { data, isBinary } = await nextMessage(ws);
  assert.equal(isBinary, false);
  assert.equal(data.toString('utf8'), whole.toString('utf8'));
  await closeWith(ws, 1000);
});

test('fragmented binary message with a ping between fragments', { timeout: T }, async () => {
  const ws = await connect();
  const parts = [crypto.randomBytes(10), crypto.randomBytes(70000), crypto.randomBytes(1)];
  const pong = once(ws, 'pong');
  ws.send(parts[0], { binary: true, fin: false });
  ws.ping(Buffer.from('mid-message'));
  ws.send(parts[1], { binary: true, fin: false });
  ws.send(parts[2], { binary: true, fin: true });
  const { data, isBinary } = await nextMessage(ws);
  const [pongData] = await pong;
  assert.equal(pongData.toString(), 'mid-message');
  assert.equal(isBinary, true);
  assert.ok(Buffer.concat(parts).equals(data));
  await closeWith(ws, 1000);
});

test('ping is answered with a pong carrying the same payload', { timeout: T }, async () => {
  const ws = await connect();
  for (const payload of [Buffer.alloc(0), Buffer.from('ping-1'), crypto.randomBytes(125)]) {
    const pong = once(ws, 'pong');
    ws.ping(payload);
    const [data] = await pong;
    assert.ok(payload.equals(data));
  }
  await closeWith(ws, 1000);
});

for (const code of [1000, 3000, 4999]) {
  test(`client close ${code} is answered with ${code}`, { timeout: T }, async () => {
    const ws = await connect();
    ws.send('before close');
    await nextMessage(ws);
    const { code: got } = await closeWith(ws, code, `bye ${code}`);
    assert.equal(got, code);
  });
}

// RFC 6455 5.5.1 only says an endpoint "typically echoes the status code it received"; with none
// received, an empty close (1005 locally) or 1000 are both fine (Autobahn 7.3.1: "1000 or empty").
test('client close without a code is answered with an empty close or 1000', { timeout: T }, async () => {
  const ws = await connect();
  const { code } = await closeWith(ws);
  assert.ok(code === 1005 || code === 1000, `server answered ${code}`);
});

test('invalid UTF-8 in a text message: server closes with 1007', { timeout: T }, async () => {
  const ws = await connect();
  const closed = once(ws, 'close');
  ws.send(Buffer.from([0x68, 0x69, 0xc0, 0xaf]), { binary: false }); // overlong '/'
  const [code] = await closed;
  assert.equal(code, 1007);
});

test('16 MiB binary message echoes intact', { timeout: 60_000 }, async () => {
  const ws = await connect();
  const payload = crypto.randomBytes(16 * 1024 * 1024);
  ws.send(payload);
  const { data, isBinary } = await nextMessage(ws);
  assert.equal(isBinary, true);
  assert.equal(data.length, payload.length);
  assert.equal(sha256(data), sha256(payload));
  await closeWith(ws, 1000);
});

test('1000 concurrent connections each echo a message', { timeout: 60_000 }, async () => {
  const N = Number(process.env.LOOPIO_WS_CONNECTIONS || 1000);
  const sockets = await Promise.all(Array.from({ length: N }, () => connect()));
  const echoes = sockets.map((ws, i) => {
    const got = nextMessage(ws);
    ws.send(`connection ${i}`);
    return got.then(({ data }) => assert.equal(data.toString(), `connection ${i}`));
  });
  await Promise.all(echoes);
  const codes = await Promise.all(sockets.map((ws) => closeWith(ws, 1000)));
  assert.ok(codes.every(({ code }) => code === 1000));
});

// --- raw TCP: what the `ws` client does not check, and what kosoku cannot (scripts/AUTOBAHN.md) --

/** Reads from a socket into one buffer; `need(n)` resolves once n bytes are buffered. */
function reader(sock) {
  let buf = Buffer.alloc(0);
  let waiter = null;
  let ended = false;
  const wake = () => { if (waiter) { const w = waiter; waiter = null; w(); } };
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); wake(); });
  sock.on('end', () => { ended = true; wake(); });
  sock.on('close', () => { ended = true; wake(); });
  const api = {
    get buffered() { return buf; },
    get ended() { return ended; },
    async need(pred) {
      for (;;) {
        const r = pred(buf);
        if (r !== undefined) return r;
        if (ended) throw new Error(`connection ended; have ${buf.length} bytes: ${buf.toString('latin1').slice(0, 200)}`);
        await new Promise((resolve) => { waiter = resolve; });
      }
    },
    take(n) { const out = buf.subarray(0, n); buf = buf.subarray(n); return out; },
  };
  return api;
}

async function rawConnect() {
  const sock = net.connect({ host: HOST, port: Number(PORT) });
  await once(sock, 'connect');
  return { sock, rd: reader(sock) };
}

async function readHead(rd) {
  const end = await rd.need((b) => { const i = b.indexOf('\r\n\r\n'); return i < 0 ? undefined : i; });
  const head = rd.take(end + 4).toString('latin1');
  const [status, ...lines] = head.trimEnd().split('\r\n');
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status, code: Number(status.split(' ')[1]), headers };
}

async function rawHandshake(extraHeaders = '') {
  const { sock, rd } = await rawConnect();
  const key = crypto.randomBytes(16).toString('base64');
  sock.write(`GET /raw HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`);
  const res = await readHead(rd);
  return { sock, rd, key, res };
}

function frame(opcode, payload, { fin = true, rsv = 0 } = {}) {
  const mask = crypto.randomBytes(4);
  const n = payload.length;
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode)];
  if (n < 126) head.push(0x80 | n);
  else if (n < 65536) head.push(0x80 | 126, n >> 8, n & 0xff);
  else throw new Error('test frames stay small');
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

/** Parses one server frame; fails the test if the server masked it. */
async function readFrame(rd) {
  const f = await rd.need((b) => {
    if (b.length < 2) return undefined;
    let len = b[1] & 0x7f;
    let off = 2;
    if (len === 126) { if (b.length < 4) return undefined; len = b.readUInt16BE(2); off = 4; }
    else if (len === 127) { if (b.length < 10) return undefined; len = Number(b.readBigUInt64BE(2)); off = 10; }
    if (b.length < off + len) return undefined;
    return { fin: !!(b[0] & 0x80), rsv: (b[0] >> 4) & 7, opcode: b[0] & 0x0f, masked: !!(b[1] & 0x80), off, len };
  });
  const bytes = rd.take(f.off + f.len);
  return { ...f, payload: bytes.subarray(f.off) };
}

test('101 response: Upgrade, Connection and a correct Sec-WebSocket-Accept for a random key', { timeout: T }, async () => {
  const { sock, key, res } = await rawHandshake();
  try {
    assert.equal(res.code, 101, res.status);
    assert.match(res.headers.upgrade || '', /^websocket$/i);
    assert.ok((res.headers.connection || '').split(',').some((t) => t.trim().toLowerCase() === 'upgrade'),
      `Connection: ${res.headers.connection}`);
    const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    assert.equal(res.headers['sec-websocket-accept'], accept);
    assert.equal(res.headers['sec-websocket-extensions'], undefined, 'no extension was offered');
  } finally { sock.destroy(); }
});

test('server frames are unmasked; close is answered with the same code', { timeout: T }, async () => {
  const { sock, rd, res } = await rawHandshake();
  try {
    assert.equal(res.code, 101);
    sock.write(frame(0x1, Buffer.from('raw hello')));
    const echo = await readFrame(rd);
    assert.deepEqual([echo.opcode, echo.fin, echo.rsv, echo.masked], [0x1, true, 0, false]);
    assert.equal(echo.payload.toString(), 'raw hello');
    sock.write(frame(0x8, Buffer.from([0x0b, 0xb8, ...Buffer.from('done')]))); // 3000
    const close = await readFrame(rd);
    assert.equal(close.opcode, 0x8);
    assert.equal(close.masked, false);
    assert.equal(close.payload.readUInt16BE(0), 3000);
    await rd.need((b) => (rd.ended ? true : undefined)); // the server then closes TCP
  } finally { sock.destroy(); }
});

for (const [name, bytes, want] of [
  ['reserved opcode 0x3', frame(0x3, Buffer.from('x')), 1002],
  ['reserved control opcode 0xB', frame(0xb, Buffer.from('x')), 1002],
  ['RSV1 without a negotiated extension', frame(0x1, Buffer.from('x'), { rsv: 4 }), 1002],
  ['an unmasked client frame', Buffer.from([0x81, 0x01, 0x78]), 1002],
  ['a fragmented ping', frame(0x9, Buffer.from('x'), { fin: false }), 1002],
  ['a close code 1005 on the wire', frame(0x8, Buffer.from([0x03, 0xed])), 1002],
]) {
  test(`${name}: server fails the connection with ${want}, echoing nothing`, { timeout: T }, async () => {
    const { sock, rd, res } = await rawHandshake();
    try {
      assert.equal(res.code, 101);
      sock.write(bytes);
      const f = await readFrame(rd);
      assert.equal(f.opcode, 0x8, `expected a close frame, got opcode ${f.opcode}`);
      assert.equal(f.payload.readUInt16BE(0), want);
    } finally { sock.destroy(); }
  });
}

test('a plain HTTP GET is not upgraded', { timeout: T }, async () => {
  const { sock, rd } = await rawConnect();
  try {
    sock.write(`GET / HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nConnection: close\r\n\r\n`);
    const res = await readHead(rd);
    assert.notEqual(res.code, 101);
    assert.ok(res.code >= 400 && res.code < 500, res.status);
  } finally { sock.destroy(); }
});

// RFC 6455 4.2.2: "send an appropriate HTTP error code (such as 426 Upgrade Required) and a
// |Sec-WebSocket-Version| header field indicating the version(s) the server is capable of".
test('unsupported Sec-WebSocket-Version: 4xx with Sec-WebSocket-Version: 13', { timeout: T }, async () => {
  const { sock, rd } = await rawConnect();
  try {
    const key = crypto.randomBytes(16).toString('base64');
    sock.write(`GET / HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 8\r\n\r\n`);
    const res = await readHead(rd);
    assert.ok(res.code >= 400 && res.code < 500, res.status);
    assert.match(res.headers['sec-websocket-version'] || '', /\b13\b/);
  } finally { sock.destroy(); }
});
