// The chat example's page in a real browser: Debian's Chromium, headless, driven by
// playwright-core. Two isolated browser contexts (two users) open the page that the example
// serves at `/`, which loads the official browser bundle from `/socket.io/socket.io.js`
// and connects with the client's defaults (polling, then upgrade to WebSocket).
//
//   LOOPIO_CHAT_URL=http://127.0.0.1:3000/ node --test e2e/browser/chat.test.cjs
//
// LOOPIO_CHROMIUM (default /usr/bin/chromium) picks the browser. On a failing test both pages are
// saved as PNGs in LOOPIO_BROWSER_SHOTS (default e2e/browser/screenshots/, git-ignored).
// Every wait has a deadline; nothing sleeps to synchronize.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const URL_ = process.env.LOOPIO_CHAT_URL || 'http://127.0.0.1:3000/';
const EXECUTABLE = process.env.LOOPIO_CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.LOOPIO_BROWSER_SHOTS || path.join(__dirname, 'screenshots');
const WAIT = 15_000; // ms for any one expected state; the machine may be busy

let browser;
const users = {}; // name -> { context, page, errors, polled, websockets }

/** Opens the chat page in a fresh context and records what the page does on the network. */
async function openUser(name) {
  const context = await browser.newContext();
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  const user = { name, context, page, errors: [], polled: false, websockets: [], bundle: null };
  page.on('pageerror', (error) => user.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium asks for /favicon.ico on its own; the example answers 404, which is fine.
    if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) {
      user.errors.push(`console: ${message.text()}`);
    }
  });
  page.on('request', (request) => {
    if (request.url().includes('/socket.io/?') && request.url().includes('transport=polling')) {
      user.polled = true;
    }
  });
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/socket.io/socket.io.js') user.bundle = response;
  });
  page.on('websocket', (ws) => user.websockets.push(ws.url()));
  const response = await page.goto(URL_, { waitUntil: 'load', timeout: WAIT });
  user.pageStatus = response && response.status();
  users[name] = user;
  return user;
}

/** Resolves once the page's `socket` is connected over WebSocket (after its upgrade). */
function upgraded(user) {
  return user.page.waitForFunction(
    () => typeof socket !== 'undefined' && socket.connected
      && socket.io.engine.transport.name === 'websocket',
    null,
    { timeout: WAIT },
  );
}

/** Types `text` as `who` and submits the form with Enter, like a user. */
async function send(user, who, text) {
  await user.page.fill('#user', who);
  await user.page.fill('#text', text);
  await user.page.press('#text', 'Enter');
}

/** Resolves once `user`'s list shows an item with `who` in bold and then `text`. */
function shows(user, who, text) {
  return user.page.waitForFunction(
    ([who, text]) => [...document.querySelectorAll('#messages li')].some(
      (li) => li.querySelector('b')?.textContent === who
        && li.textContent === who + text,
    ),
    [who, text],
    { timeout: WAIT },
  );
}

/** Runs `body`; on failure saves a screenshot of every open page, then rethrows. */
async function shotsOnFailure(name, body) {
  try {
    await body();
  } catch (error) {
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const user of Object.values(users)) {
      const file = path.join(SHOTS, `${name.replace(/\W+/g, '_')}-${user.name}.png`);
      await user.page.screenshot({ path: file, fullPage: true, timeout: 5_000 }).then(
        () => console.error(`# screenshot: ${file}`),
        (shotError) => console.error(`# screenshot of ${user.name} failed: ${shotError.message}`),
      );
    }
    throw error;
  }
}

function unique(tag) {
  return `${tag} ${process.hrtime.bigint().toString(36)}`;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    timeout: 60_000,
    // Playwright gives every launch a fresh temporary user-data dir and removes it on close.
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
  await Promise.all([openUser('alice'), openUser('bob')]);
}, { timeout: 90_000 });

after(async () => {
  if (browser) await browser.close();
});

test('the example serves the page and the official client bundle', { timeout: 30_000 }, () =>
  shotsOnFailure('serves page and bundle', async () => {
    for (const user of Object.values(users)) {
      assert.equal(user.pageStatus, 200, `${user.name}: GET / status`);
      assert.ok(user.bundle, `${user.name}: the page did not load /socket.io/socket.io.js`);
      assert.equal(user.bundle.status(), 200, `${user.name}: bundle status`);
      assert.match(user.bundle.headers()['content-type'] || '', /javascript/);
      assert.equal(await user.page.evaluate(() => typeof io), 'function');
      assert.equal(await user.page.title(), 'loopio chat');
    }
  }));

test('both pages connect by polling and then upgrade to WebSocket', { timeout: 30_000 }, () =>
  shotsOnFailure('upgrade to websocket', async () => {
    for (const user of Object.values(users)) {
      await upgraded(user);
      assert.equal(await user.page.evaluate(() => socket.io.engine.transport.name), 'websocket');
      assert.ok(user.polled, `${user.name}: no polling request before the upgrade`);
      const sid = await user.page.evaluate(() => socket.io.engine.id);
      assert.ok(
        user.websockets.some((url) => url.includes('transport=websocket') && url.includes(sid)),
        `${user.name}: no WebSocket for session ${sid}: ${user.websockets.join(', ')}`,
      );
      // The page's own status line, updated on the engine's `upgrade` event.
      await user.page.waitForFunction(
        () => document.getElementById('status').textContent === 'connected over websocket',
        null,
        { timeout: WAIT },
      );
    }
  }));

test('a message typed by one user appears for both', { timeout: 30_000 }, () =>
  shotsOnFailure('message reaches both', async () => {
    const { alice, bob } = users;
    await Promise.all([upgraded(alice), upgraded(bob)]);
    const text = unique('안녕하세요, Bob!');
    await send(alice, 'Alice', text);
    await Promise.all([shows(bob, 'Alice', text), shows(alice, 'Alice', text)]);
    assert.equal(await alice.page.inputValue('#text'), '', 'the form clears the input');
  }));

test('and the other way, in order', { timeout: 30_000 }, () =>
  shotsOnFailure('messages back in order', async () => {
    const { alice, bob } = users;
    const first = unique('first <b>not bold</b>');
    const second = unique('second 🎉');
    await send(bob, 'Bob', first);
    await send(bob, 'Bob', second);
    await Promise.all([shows(alice, 'Bob', second), shows(bob, 'Bob', second)]);
    for (const user of [alice, bob]) {
      const texts = await user.page.$$eval('#messages li', (items) =>
        items.map((li) => li.textContent));
      const at = (text) => texts.indexOf(`Bob${text}`);
      assert.ok(at(first) >= 0 && at(first) < at(second), `${user.name}: ${texts.join(' | ')}`);
      // Text stays text: the page inserts it as a text node.
      assert.equal(await user.page.locator('#messages li b').filter({ hasText: 'not bold' })
        .count(), 0);
    }
  }));

test('no page errors and both sockets still on WebSocket', { timeout: 30_000 }, () =>
  shotsOnFailure('no page errors', async () => {
    for (const user of Object.values(users)) {
      assert.deepEqual(user.errors, [], `${user.name}: errors in the page`);
      assert.equal(await user.page.evaluate(() => socket.connected), true);
      assert.equal(await user.page.evaluate(() => socket.io.engine.transport.name), 'websocket');
    }
  }));

test('when one user closes the tab, the other keeps chatting', { timeout: 30_000 }, () =>
  shotsOnFailure('other keeps chatting', async () => {
    const { alice, bob } = users;
    await bob.context.close(); // the browser closes Bob's WebSocket
    delete users.bob;
    const text = unique('still here');
    await send(alice, 'Alice', text);
    await shows(alice, 'Alice', text);
    assert.equal(await alice.page.evaluate(() => socket.connected), true);
    assert.deepEqual(alice.errors, []);
  }));
