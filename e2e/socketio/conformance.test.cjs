// The conformance example (the protocol test suite's reference server) with the official
// socket.io-client 4.x: auth, echoes, acks both ways, binary, large messages.
'use strict';

const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { MODE, CONFORMANCE, T, client, connected, next, closeAll } = require('./helpers.cjs');

afterEach(closeAll);

test(`[${MODE}] auth payload comes back on / and /custom`, { timeout: T }, async () => {
  for (const nsp of ['', '/custom']) {
    const socket = client(`${CONFORMANCE}${nsp}`, { auth: { token: 'abc', n: 1 } });
    // Listen before connecting: `auth` follows the CONNECT reply, maybe in the same payload.
    const [auth] = await next(socket, 'auth');
    assert.ok(socket.connected);
    assert.deepEqual(auth, { token: 'abc', n: 1 });
  }
});

test(`[${MODE}] message-back echoes several arguments`, { timeout: T }, async () => {
  const socket = await connected(CONFORMANCE);
  const got = next(socket, 'message-back');
  socket.emit('message', 1, '2', { three: [3] }, null, true);
  assert.deepEqual(await got, [1, '2', { three: [3] }, null, true]);
});

test(`[${MODE}] client→server ack answers with the same arguments`, { timeout: T }, async () => {
  const socket = await connected(CONFORMANCE);
  const answer = await socket.timeout(5000).emitWithAck('message-with-ack', 'a', { b: 2 });
  assert.deepEqual(answer, 'a'); // emitWithAck resolves with the first argument
  const both = await new Promise((resolve, reject) => {
    socket.timeout(5000).emit('message-with-ack', 1, [2], (err, ...args) => (err ? reject(err) : resolve(args)));
  });
  assert.deepEqual(both, [1, [2]]);
});

test(`[${MODE}] client→server ack times out when the server does not ack`, { timeout: T }, async () => {
  const socket = await connected(CONFORMANCE);
  await assert.rejects(socket.timeout(300).emitWithAck('message', 'no ack for this'), /timed out/);
});

test(`[${MODE}] server→client ack carries the client's answer`, { timeout: T }, async () => {
  const socket = await connected(CONFORMANCE);
  socket.on('ack-me', (...args) => {
    const ack = args.pop();
    ack({ answered: args });
  });
  const result = next(socket, 'ack-result');
  socket.emit('server-ack', 'x', 2);
  assert.deepEqual(await result, [{ answered: ['x', 2] }]);
});

test(`[${MODE}] server→client ack times out when the client does not answer`, { timeout: T }, async () => {
  const socket = await connected(CONFORMANCE);
  const asked = next(socket, 'ack-me');
  const timedOut = next(socket, 'ack-timeout');
  socket.emit('server-ack', 'ignored');
  await asked; // received, never acked
  const [reason] = await timedOut;
  assert.match(reason, /time/i);
});

test(`[${MODE}] binary nested in objects, both ways`, { timeout: T }, async () => {
  const socket = await connected(CONFORMANCE);
  const a = crypto.randomBytes(1000);
  const b = Buffer.from([0, 1, 2, 255]);
  const got = next(socket, 'message-back');
  socket.emit('message', { file: { name: 'x.bin', data: a }, list: [1, b] }, 'tail', b);
  const [obj, tail, last] = await got;
  assert.equal(obj.file.name, 'x.bin');
  assert.ok(Buffer.from(obj.file.data).equals(a));
  assert.equal(obj.list[0], 1);
  assert.ok(Buffer.from(obj.list[1]).equals(b));
  assert.equal(tail, 'tail');
  assert.ok(Buffer.from(last).equals(b));
});

test(`[${MODE}] binary in an ack, both ways`, { timeout: T }, async () => {
  const socket = await connected(CONFORMANCE);
  const data = crypto.randomBytes(300);
  const answer = await socket.timeout(5000).emitWithAck('message-with-ack', { data });
  assert.ok(Buffer.from(answer.data).equals(data));
  socket.on('ack-me', (payload, ack) => ack({ back: Buffer.from(payload.data).reverse() }));
  const result = next(socket, 'ack-result');
  socket.emit('server-ack', { data });
  const [got] = await result;
  assert.ok(Buffer.from(got.back).equals(Buffer.from(data).reverse()));
});

test(`[${MODE}] a 500 KB message, text and binary`, { timeout: 30_000 }, async () => {
  const socket = await connected(CONFORMANCE);
  const text = 'ab한🚀'.repeat(50_000).slice(0, 500_000);
  let got = next(socket, 'message-back', 20_000);
  socket.emit('message', text);
  assert.equal((await got)[0], text);
  const bytes = crypto.randomBytes(500 * 1024);
  got = next(socket, 'message-back', 20_000);
  socket.emit('message', bytes);
  assert.ok(Buffer.from((await got)[0]).equals(bytes));
});
