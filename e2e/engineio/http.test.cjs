// Raw HTTP (node `http`) and raw WebSocket (`ws`) requests against engineio_echo: the error
// answers, overlapping GETs, oversized POSTs, polling after an upgrade, keep-alive, CORS.
// Run by e2e/engineio/run with LOOPIO_EIO_URL=http://127.0.0.1:PORT. No sleeps.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { once } = require('node:events');
const WebSocket = require('ws');

const URL_ = process.env.LOOPIO_EIO_URL || 'http://127.0.0.1:3000';
const WS_URL = URL_.replace(/^http/, 'ws');
const T = 10_000;
const PATH = '/engine.io/';

/// One request; resolves { status, headers, body, reused } once the response has ended.
function request(method, query, { body, agent, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${URL_}${PATH}?${query}`, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: res.headers,
        body: Buffer.concat(chunks).toString(),
        reused: req.reusedSocket,
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function handshake(agent) {
  const res = await request('GET', 'EIO=4&transport=polling', { agent });
  assert.equal(res.status, 200);
  assert.equal(res.body[0], '0');
  return { sid: JSON.parse(res.body.slice(1)).sid, res };
}

const q = (sid) => `EIO=4&transport=polling&sid=${sid}`;

async function assertError(res, status, code, message) {
  assert.equal(res.status, status);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(res.body), { code, message });
}

test('handshake errors carry the official {"code":N,"message":…} bodies', { timeout: T }, async () => {
  await assertError(await request('GET', 'EIO=4'), 400, 0, 'Transport unknown');
  await assertError(await request('GET', 'EIO=4&transport=flash'), 400, 0, 'Transport unknown');
  await assertError(await request('GET', q('AAAAAAAAAAAAAAAAAAAA')), 400, 1, 'Session ID unknown');
  await assertError(await request('GET', q('not-a-sid')), 400, 1, 'Session ID unknown');
  await assertError(await request('POST', 'EIO=4&transport=polling', { body: '4x' }), 400, 2, 'Bad handshake method');
  await assertError(await request('GET', 'EIO=4&transport=websocket'), 400, 3, 'Bad request');
  await assertError(await request('GET', 'EIO=3&transport=polling'), 400, 5, 'Unsupported protocol version');
  await assertError(await request('GET', 'transport=polling'), 400, 5, 'Unsupported protocol version');
});

test('handshake: open packet, headers and CORS', { timeout: T }, async () => {
  const { sid, res } = await handshake();
  assert.match(sid, /^[A-Za-z0-9_-]{20}$/);
  assert.deepEqual(JSON.parse(res.body.slice(1)), {
    sid, upgrades: ['websocket'], pingInterval: 300, pingTimeout: 200, maxPayload: 1000000,
  });
  assert.equal(res.headers['content-type'], 'text/plain; charset=UTF-8');
  assert.equal(res.headers['access-control-allow-origin'], '*');
  const preflight = await request('OPTIONS', 'EIO=4&transport=polling', {
    headers: { origin: 'https://example.test', 'access-control-request-headers': 'x-custom' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], '*');
  assert.equal(preflight.headers['access-control-allow-headers'], 'x-custom');
});

test('polling uses HTTP/1.1 keep-alive: handshake, POST and GET share one TCP connection', { timeout: T }, async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { sid } = await handshake(agent);
  const post = await request('POST', q(sid), { agent, body: '4one\x1e4two' });
  assert.equal(post.status, 200);
  assert.equal(post.body, 'ok');
  assert.equal(post.reused, true);
  const get = await request('GET', q(sid), { agent });
  assert.equal(get.body, '4one\x1e4two');
  assert.equal(get.reused, true);
  const bye = await request('POST', q(sid), { agent, body: '1' });
  assert.equal(bye.status, 200);
  agent.destroy();
});

test('a second GET while one is held: 400, and the session ends', { timeout: T }, async () => {
  const { sid } = await handshake();
  const first = request('GET', q(sid));
  // The first GET is held until the ping (300 ms); send the second while it waits. Its 400
  // proves the overlap was seen, whatever the order the two requests reached the server.
  const second = await request('GET', q(sid));
  assert.equal(second.status, 400);
  const held = await first;
  assert.equal(held.status, 200);
  assert.ok(held.body === '1' || held.body.endsWith('\x1e1') || held.body === '2', held.body);
  await assertError(await request('GET', q(sid)), 400, 1, 'Session ID unknown');
});

test('a POST over maxPayload is answered 413 and closes the session', { timeout: T }, async () => {
  const { sid } = await handshake();
  const res = await request('POST', q(sid), { body: '4' + 'x'.repeat(1_000_000) });
  assert.equal(res.status, 413);
  await assertError(await request('GET', q(sid)), 400, 1, 'Session ID unknown');
});

test('a POST of exactly maxPayload bytes is accepted', { timeout: T }, async () => {
  const { sid } = await handshake();
  const body = '4' + 'y'.repeat(999_999);
  const res = await request('POST', q(sid), { body });
  assert.equal(res.status, 200);
  const get = await request('GET', q(sid));
  assert.equal(get.body, body);
  await request('POST', q(sid), { body: '1' });
});

test('polling after the upgrade is a 400 Bad request; the session lives on', { timeout: T }, async () => {
  const { sid } = await handshake();
  const ws = new WebSocket(`${WS_URL}${PATH}?EIO=4&transport=websocket&sid=${sid}`);
  await once(ws, 'open');
  const next = async () => (await once(ws, 'message'))[0].toString();
  ws.send('2probe');
  assert.equal(await next(), '3probe');
  ws.send('5');
  ws.send('4after upgrade');
  assert.equal(await next(), '4after upgrade');
  await assertError(await request('GET', q(sid)), 400, 3, 'Bad request');
  await assertError(await request('POST', q(sid), { body: '4x' }), 400, 3, 'Bad request');
  ws.send('4still open');
  assert.equal(await next(), '4still open');
  const closed = once(ws, 'close');
  ws.send('1');
  await closed;
  await assertError(await request('GET', q(sid)), 400, 1, 'Session ID unknown');
});

test('a held GET is answered with the ping, then the close, when the client never pongs', { timeout: T }, async () => {
  const started = Date.now(); // before the server's clock starts
  const { sid } = await handshake();
  const ping = await request('GET', q(sid));
  assert.equal(ping.body, '2');
  const last = await request('GET', q(sid));
  assert.equal(last.body, '1');
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 498 && elapsed < 1000, `closed after ${elapsed} ms`);
  await assertError(await request('GET', q(sid)), 400, 1, 'Session ID unknown');
});

test('paths outside /engine.io/ get the application handler (404)', { timeout: T }, async () => {
  const res = await new Promise((resolve, reject) => {
    http.get(`${URL_}/elsewhere`, resolve).on('error', reject);
  });
  res.resume();
  assert.equal(res.statusCode, 404);
});
