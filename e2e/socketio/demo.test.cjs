// The seed_demo example (chat, rooms, namespaces) with the official socket.io-client 4.x.
'use strict';

const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { MODE, DEMO, T, client, connected, next, closeAll } = require('./helpers.cjs');

afterEach(closeAll);

let probes = 0;

/** Joins `room`; resolves once the server has handled the join (a probe message to a private
 * room, sent after the join on the same connection, has come back). */
async function joinRoom(socket, room) {
  const probe = `probe-${MODE}-${process.pid}-${probes++}`;
  socket.emit('join room', room);
  socket.emit('join room', probe);
  const back = next(socket, 'new message', 60_000);
  socket.emit('send to room', { room: probe, msg: probe });
  await back;
}

/** Records a client's events, leaving out join probes. */
function record(socket) {
  const events = [];
  socket.onAny((event, ...args) => {
    if (!(event === 'new message' && String(args[0]).startsWith('probe-'))) events.push([event, ...args]);
  });
  return events;
}

test(`[${MODE}] chat message reaches every client, sender included`, { timeout: T }, async () => {
  const clients = await Promise.all([1, 2, 3].map(() => connected(DEMO)));
  const received = clients.map((c) => next(c, 'chat message'));
  const msg = { user: 'Yoon', text: '안녕하세요!' };
  clients[0].emit('chat message', msg);
  for (const [got] of await Promise.all(received)) assert.deepEqual(got, msg);
});

test(`[${MODE}] unicode survives both ways`, { timeout: T }, async () => {
  const socket = await connected(DEMO);
  const msg = { user: '윤 🦀', text: 'ünïcødé ✓ 🚀 \u0000 \u2028 "quotes" \\ 𝄞 한국어 日本語' };
  const got = next(socket, 'chat message');
  socket.emit('chat message', msg);
  assert.deepEqual((await got)[0], msg);
});

test(`[${MODE}] namespaces are isolated; admin needs its token`, { timeout: T }, async () => {
  const customer = await connected(`${DEMO}/customer-chat`);
  const admin = await connected(`${DEMO}/admin-alert`, { auth: { token: 'admin-secret' } });
  const customerEvents = [];
  customer.onAny((event) => customerEvents.push(event));

  const order = next(admin, 'new_order');
  admin.emit('order', { item: 'coffee' });
  assert.deepEqual(await order, ['새로운 주문이 들어왔습니다!']);

  const adminEvents = [];
  admin.onAny((event) => adminEvents.push(event));
  const reply = next(customer, 'msg');
  customer.emit('msg', '배송은 언제 되나요?');
  assert.deepEqual(await reply, ['고객 문의: 배송은 언제 되나요?']);
  // The customer's own reply came after the order was broadcast: it saw only its namespace.
  assert.deepEqual(customerEvents, ['msg']);
  assert.deepEqual(adminEvents, []);
});

test(`[${MODE}] namespaces share one connection (multiplexing)`, { timeout: T }, async () => {
  const main = client(DEMO, { forceNew: false });
  const customer = client(`${DEMO}/customer-chat`, { forceNew: false });
  assert.equal(main.io, customer.io); // one Manager, one Engine.IO session
  await Promise.all([next(main, 'connect'), next(customer, 'connect')]);
  const reply = next(customer, 'msg');
  const chat = next(main, 'chat message');
  customer.emit('msg', 'multiplexed');
  main.emit('chat message', { user: 'm', text: 'x' });
  assert.deepEqual(await reply, ['고객 문의: multiplexed']);
  assert.deepEqual(await chat, [{ user: 'm', text: 'x' }]);
});

test(`[${MODE}] middleware refusal arrives as connect_error with message and data`, { timeout: T }, async () => {
  const socket = client(`${DEMO}/admin-alert`, { auth: { token: 'wrong' } });
  const [err] = await next(socket, 'connect_error');
  assert.equal(err.message, 'not authorized');
  assert.deepEqual(err.data, { hint: 'connect with auth: { token }' });
  assert.equal(socket.connected, false);
});

test(`[${MODE}] room notice reaches the others, not the sender`, { timeout: T }, async () => {
  const room = `r-${MODE}-${process.pid}`;
  const [a, b] = await Promise.all([connected(DEMO), connected(DEMO)]);
  const aEvents = record(a);
  const bEvents = record(b);
  await joinRoom(a, room);
  const notice = next(a, 'notice');
  await joinRoom(b, room);
  assert.deepEqual(await notice, ['새로운 유저가 입장했습니다.']);
  // A room message after the join marks the end: b never got its own join's notice.
  const marks = [next(a, 'new message'), next(b, 'new message')];
  b.emit('send to room', { room, msg: 'end' });
  await Promise.all(marks);
  assert.deepEqual(aEvents, [['notice', '새로운 유저가 입장했습니다.'], ['new message', 'end']]);
  assert.deepEqual(bEvents, [['new message', 'end']]);
});

test(`[${MODE}] room message reaches exactly the room, sender included`, { timeout: T }, async () => {
  const room = `only-${MODE}-${process.pid}`;
  const other = `other-${MODE}-${process.pid}`;
  const [a, b, c] = await Promise.all([connected(DEMO), connected(DEMO), connected(DEMO)]);
  const cEvents = record(c);
  await joinRoom(a, room);
  await joinRoom(b, room);
  await joinRoom(c, other);
  const got = [next(a, 'new message'), next(b, 'new message')];
  a.emit('send to room', { room, msg: { text: '방 메시지', n: 1 } });
  for (const [msg] of await Promise.all(got)) assert.deepEqual(msg, { text: '방 메시지', n: 1 });
  // c's own room message is routed after the first one: by then c has seen only its own.
  const own = next(c, 'new message');
  c.emit('send to room', { room: other, msg: 'c only' });
  await own;
  assert.deepEqual(cEvents, [['new message', 'c only']]);
});

test(`[${MODE}] 500 clients in one room each get one message exactly once`, { timeout: 120_000 }, async () => {
  const room = `crowd-${MODE}-${Date.now()}`;
  const N = 500;
  const clients = [];
  for (let i = 0; i < N; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => connected(DEMO, {}, 20_000)));
    clients.push(...batch);
  }
  const counts = new Map();
  for (const c of clients) {
    counts.set(c, []);
    c.on('new message', (msg) => String(msg).startsWith('probe-') || counts.get(c).push(msg));
  }
  await Promise.all(clients.map((c) => joinRoom(c, room)));

  const all = clients.map((c) => next(c, 'new message', 60_000));
  clients[0].emit('send to room', { room, msg: 'once' });
  await Promise.all(all);
  // A second message is routed after the first: when it has arrived everywhere, any
  // duplicate of the first would have arrived too.
  const again = clients.map((c) => next(c, 'new message', 60_000));
  clients[0].emit('send to room', { room, msg: 'twice' });
  await Promise.all(again);
  for (const c of clients) assert.deepEqual(counts.get(c), ['once', 'twice']);
});

test(`[${MODE}] client reconnects after its transport is dropped`, { timeout: T }, async () => {
  const socket = client(DEMO, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 });
  await next(socket, 'connect');
  const firstId = socket.id;
  const disconnected = next(socket, 'disconnect');
  const reconnected = disconnected.then(() => next(socket, 'connect'));
  socket.io.engine.close(); // as if the transport died: the Manager reconnects
  const [reason] = await disconnected;
  assert.equal(reason, 'forced close'); // socket.io-client's reason for engine.close()
  await reconnected;
  assert.notEqual(socket.id, firstId);
  const got = next(socket, 'chat message');
  socket.emit('chat message', { user: 'back', text: 'again' });
  assert.deepEqual((await got)[0], { user: 'back', text: 'again' });
});
