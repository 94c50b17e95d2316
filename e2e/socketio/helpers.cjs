// Shared helpers for the socket.io-client e2e tests. Each test file runs once per transport
// mode, chosen by LOOPIO_SIO_MODE (set by e2e/socketio/run):
//   default    polling, then upgrade to WebSocket (the client's default)
//   websocket  transports: ["websocket"]
//   polling    transports: ["polling"]
// Waits always have a deadline; nothing sleeps to synchronize.
'use strict';

const { io } = require('socket.io-client');

const MODE = process.env.LOOPIO_SIO_MODE || 'default';
const DEMO = process.env.LOOPIO_SIO_DEMO_URL || 'http://127.0.0.1:3000';
const CONFORMANCE = process.env.LOOPIO_SIO_CONFORMANCE_URL || 'http://127.0.0.1:3001';
const T = 15_000; // default per-test timeout, ms

const TRANSPORTS = {
  default: undefined,
  websocket: ['websocket'],
  polling: ['polling'],
};
if (!(MODE in TRANSPORTS)) throw new Error(`unknown LOOPIO_SIO_MODE ${MODE}`);

const opened = new Set();

/** A new client (own Manager unless `multiplex` is set) in this run's transport mode. */
function client(url, opts = {}) {
  const transports = TRANSPORTS[MODE];
  const socket = io(url, {
    forceNew: !opts.multiplex,
    reconnection: false,
    ...(transports ? { transports } : {}),
    ...opts,
  });
  opened.add(socket);
  return socket;
}

/** Resolves with the first `event`'s arguments (as an array), rejects after `ms`. */
function next(socket, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    const on = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    socket.once(event, on);
  });
}

/** A connected client; rejects on connect_error or after `ms`. */
function connected(url, opts = {}, ms = 5000) {
  const socket = client(url, opts);
  return new Promise((resolve, reject) => {
    const done = (err) => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      if (err) reject(err);
      else resolve(socket);
    };
    const timer = setTimeout(() => done(new Error(`not connected within ${ms} ms`)), ms);
    const onConnect = () => done();
    const onError = (err) => done(new Error(`connect_error: ${err.message}`));
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}

/** Closes every client this file opened (call from `after`). */
function closeAll() {
  for (const socket of opened) socket.disconnect();
  opened.clear();
}

module.exports = { MODE, DEMO, CONFORMANCE, T, client, connected, next, closeAll };
