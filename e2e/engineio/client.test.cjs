// The official engine.io-client 6.x against loopio's engineio_echo (pingInterval 300,
// pingTimeout 200, maxPayload 1e6, CORS *). Run by e2e/engineio/run: `node --test` with
// NODE_PATH=.deps/node/node_modules and LOOPIO_EIO_URL=http://127.0.0.1:PORT.
// Every test has its own timeout; nothing sleeps: tests wait on client events.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { once } = require('node:events');
const { Socket } = require('engine.io-client');
const client = require('./client.cjs');
const WebSocket = require('ws');

const URL_ = process.env.LOOPIO_EIO_URL || 'http://127.0.0.1:3000';
const WS_URL = URL_.replace(/^http/, 'ws');
const T = 20_000; // default per-test timeout, ms
const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;

const open = (transports, opts) => client.open(URL_, transports, opts);
const { upgraded, messages, close } = client;

const TRANSPORTS = {
  polling: ['polling'],
  websocket: ['websocket'],
  'polling→websocket': ['polling', 'websocket'],
};

function nextMessage(socket) {
  return new Promise((resolve, reject) => {
    const onMessage = (data) => { cleanup(); resolve(data); };
    const onClose = (reason) => { cleanup(); reject(new Error(`closed (${reason}) before a message`)); };
    const cleanup = () => { socket.off('message', onMessage); socket.off('close', onClose); };
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}

/// Text of exactly `bytes` UTF-8 bytes with some multi-byte characters when it is long enough.
function text(bytes) {
  const unit = 'ünï✓ ';
  const unitBytes = Buffer.byteLength(unit);
  const head = bytes >= 64 ? unit.repeat(Math.floor(bytes / 2 / unitBytes)) : '';
  return head + 'x'.repeat(bytes - Buffer.byteLength(head));
}

// Over polling a binary packet travels as base64 ('b' + 4/3 of the size) and one POST may
// carry at most maxPayload (1e6) bytes, so 749 998 bytes is the largest binary message a
// client can post; the official server answers the same 413 past it.
const SIZES = [1, 125, 126, 65_535, 65_536, 100_000, 900_000];
const MAX_POLLING_BINARY = 700_000;

for (const [name, transports] of Object.entries(TRANSPORTS)) {
  test(`${name}: text and binary echo, 1 B to 900 KB, both ways`, { timeout: 60_000 }, async () => {
    const socket = await open(transports);
    if (transports.length === 2) await upgraded(socket);
    for (const size of SIZES) {
      const message = text(size);
      socket.send(message);
      const echoed = await nextMessage(socket);
      assert.equal(typeof echoed, 'string', `text ${size}`);
      assert.equal(echoed.length, message.length, `text ${size}`);
      assert.ok(echoed === message, `text ${size} differs`);

      const binarySize = name === 'polling' ? Math.min(size, MAX_POLLING_BINARY) : size;
      const bytes = crypto.randomBytes(binarySize);
      socket.send(bytes);
      const back = await nextMessage(socket);
      assert.ok(Buffer.isBuffer(back), `binary ${binarySize} came back as ${typeof back}`);
      assert.ok(bytes.equals(back), `binary ${binarySize} differs`);
    }
    assert.equal(socket.transport.name, transports.length === 1 ? transports[0] : 'websocket');
    await close(socket);
  });

  test(`${name}: many messages in one burst arrive once and in order`, { timeout: T }, async () => {
    const socket = await open(transports);
    const count = 300;
    const received = messages(socket, count);
    for (let i = 0; i < count; i++) {
      socket.send(i % 3 === 2 ? Buffer.from([i & 0xff, i >> 8]) : `m${i}`);
    }
    const got = await received;
    got.forEach((data, i) => {
      if (i % 3 === 2) assert.deepEqual([...data], [i & 0xff, i >> 8]);
      else assert.equal(data, `m${i}`);
    });
    await close(socket);
  });

  test(`${name}: heartbeat keeps an idle session open for 3× pingInterval`, { timeout: T }, async () => {
    const socket = await open(transports);
    const started = Date.now();
    let closed = null;
    socket.on('close', (reason) => { closed = reason; });
    // The server pings every 300 ms; four pings span more than three intervals.
    for (let i = 0; i < 4; i++) await once(socket, 'ping');
    assert.ok(Date.now() - started >= 3 * PING_INTERVAL, 'four pings came too fast');
    assert.equal(closed, null);
    assert.equal(socket.readyState, 'open');
    socket.send('still here');
    assert.equal(await nextMessage(socket), 'still here');
    await close(socket);
  });

  test(`${name}: close, then a fresh session works`, { timeout: T }, async () => {
    const first = await open(transports);
    await close(first);
    const second = await open(transports);
    second.send('again');
    assert.equal(await nextMessage(second), 'again');
    await close(second);
  });
}

test('upgrade: messages sent before, during and after the upgrade arrive once, in order', { timeout: T }, async () => {
  const socket = new Socket(URL_, { transports: ['polling', 'websocket'] });
  let next = 0;
  const sendSome = (n) => {
    for (let i = 0; i < n; i++) {
      const k = next++;
      socket.send(k % 4 === 3 ? Buffer.from(`b${k}`) : `t${k}`);
    }
  };
  const phases = [];
  socket.on('open', () => { phases.push('open'); sendSome(20); });
  socket.on('upgrading', () => { phases.push('upgrading'); sendSome(20); });
  socket.on('upgrade', () => { phases.push('upgrade'); sendSome(20); });
  const got = await messages(socket, 60);
  assert.deepEqual(phases, ['open', 'upgrading', 'upgrade']);
  got.forEach((data, k) => {
    if (k % 4 === 3) assert.ok(Buffer.isBuffer(data) && data.toString() === `b${k}`, `#${k}`);
    else assert.equal(data, `t${k}`);
  });
  assert.equal(socket.transport.name, 'websocket');
  await close(socket);
});

test('a client that closes its WebSocket is noticed and its sid forgotten', { timeout: T }, async () => {
  const socket = await open(['websocket']);
  const sid = socket.id;
  await close(socket);
  // The session is gone: polling with its sid is refused with code 1.
  const res = await fetch(`${URL_}/engine.io/?EIO=4&transport=polling&sid=${sid}`);
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { code: 1, message: 'Session ID unknown' });
});

test('a raw WebSocket client that never pongs is closed after pingInterval + pingTimeout', { timeout: T }, async () => {
  // The server's clock starts between these two client times, so they bound its deadline.
  const requested = Date.now();
  const ws = new WebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
  const first = await once(ws, 'message');
  const opened = Date.now();
  const open = JSON.parse(first[0].toString().slice(1));
  assert.equal(open.pingInterval, PING_INTERVAL);
  assert.equal(open.pingTimeout, PING_TIMEOUT);
  assert.deepEqual(open.upgrades, []);
  const seen = [];
  ws.on('message', (data) => seen.push(data.toString()));
  const [code] = await once(ws, 'close');
  const closed = Date.now();
  assert.deepEqual(seen, ['2'], 'one ping, then the close');
  assert.equal(code, 1005, 'closed without a status, as ws close() does');
  const early = closed - requested;
  const late = closed - opened;
  assert.ok(early >= PING_INTERVAL + PING_TIMEOUT - 2, `closed too early (${early} ms)`);
  assert.ok(late < PING_INTERVAL + PING_TIMEOUT + 400, `closed too late (${late} ms)`);
});

test('a raw WebSocket client that pongs stays open', { timeout: T }, async () => {
  const ws = new WebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
  await once(ws, 'message'); // open
  let pings = 0;
  await new Promise((resolve, reject) => {
    ws.on('close', () => reject(new Error('closed')));
    ws.on('message', (data) => {
      if (data.toString() !== '2') return;
      ws.send('3');
      if (++pings === 4) resolve();
    });
  });
  ws.send('4ping-pong');
  const [echo] = await once(ws, 'message');
  assert.equal(echo.toString(), '4ping-pong');
  const closed = once(ws, 'close');
  ws.close();
  await closed;
});
