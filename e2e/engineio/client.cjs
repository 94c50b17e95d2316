// Helpers shared by the engine.io-client tests: open a session, wait for its upgrade, collect
// messages, close it. Each waits on client events; none sleeps.
'use strict';

const assert = require('node:assert/strict');
const { once } = require('node:events');
const { Socket } = require('engine.io-client');

/// Opens a session at `url` over `transports`; rejects if it closes or errs before `open`.
function open(url, transports, opts = {}) {
  const socket = new Socket(url, { transports, ...opts });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('close', (reason) => reject(new Error(`closed before open: ${reason}`)));
  });
}

/// Resolves once the default client finished its upgrade (or at once if there is none).
function upgraded(socket) {
  if (socket.transport.name === 'websocket') return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once('upgrade', () => resolve());
    socket.once('upgradeError', reject);
  });
}

/// Collects `count` messages in arrival order.
function messages(socket, count) {
  return new Promise((resolve, reject) => {
    const got = [];
    const onMessage = (data) => {
      got.push(data);
      if (got.length === count) { cleanup(); resolve(got); }
    };
    const onClose = (reason) => { cleanup(); reject(new Error(`closed (${reason}) after ${got.length}/${count}`)); };
    const cleanup = () => { socket.off('message', onMessage); socket.off('close', onClose); };
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}

/// Closes the session from the client side and checks the client's own close reason.
async function close(socket) {
  if (socket.readyState === 'closed') return;
  const closed = once(socket, 'close');
  socket.close();
  const [reason] = await closed;
  assert.equal(reason, 'forced close');
}

module.exports = { open, upgraded, messages, close };
