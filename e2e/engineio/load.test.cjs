// 500 concurrent engine.io-client sessions against engineio_echo. Run by e2e/engineio/run
// against a second server with a 5 s heartbeat (LOOPIO_EIO_LOAD_URL): this one Node process
// drives 500 sessions, and on a busy machine it can stall past the reference 200 ms
// pingTimeout, which tests the machine rather than the server. No sleeps.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const client = require('./client.cjs');

const URL_ = process.env.LOOPIO_EIO_LOAD_URL || process.env.LOOPIO_EIO_URL || 'http://127.0.0.1:3000';

const open = (transports) => client.open(URL_, transports);
const { upgraded, messages, close } = client;

test('500 concurrent sessions (default transports) each echo their own messages', { timeout: 60_000 }, async () => {
  const N = 500;
  const sockets = [];
  try {
    // Opened in batches of 50 so this one Node process stays responsive while it sets up
    // 1 500 sockets; all 500 are open at once afterwards.
    for (let batch = 0; batch < N; batch += 50) {
      sockets.push(...await Promise.all(Array.from({ length: 50 }, (_, j) => {
        const i = batch + j;
        return open(i % 5 === 0 ? ['websocket'] : ['polling', 'websocket']);
      })));
    }
    await Promise.all(sockets.map(upgraded));
    assert.ok(sockets.every((s) => s.readyState === 'open'), 'all 500 are open together');
    assert.equal(new Set(sockets.map((s) => s.id)).size, N, 'session ids are unique');
    await Promise.all(sockets.map(async (socket, i) => {
      const got = messages(socket, 3);
      socket.send(`hello ${i}`);
      socket.send(Buffer.from([i & 0xff, i >> 8]));
      socket.send(`bye ${i}`);
      const [a, b, c] = await got;
      assert.equal(a, `hello ${i}`);
      assert.deepEqual([...b], [i & 0xff, i >> 8]);
      assert.equal(c, `bye ${i}`);
    }));
    await Promise.all(sockets.map(close));
  } finally {
    for (const socket of sockets) socket.close();
  }
});
