// The browser client with durable history, end to end: history on join, resume after a reconnect and after a
// server restart, a gap marker with "load older", paging back at the top, own messages confirmed by their ack.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { ServerProcess, User, WAIT_MS, equal, eventually, launchBrowser } from './support.js';

/** Sends n chat messages to a room from a plain WebSocket (a third user), waiting for every ack. */
async function burst(browser, server, room, n, prefix) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${server.httpUrl}/favicon.svg`); // same origin as the client
    await page.evaluate(({ url, room, n, prefix, timeout }) => new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'wschat.v2');
      const timer = setTimeout(() => reject(new Error(`acks missing after ${timeout} ms`)), timeout);
      let acks = 0;
      ws.onmessage = (event) => {
        const m = JSON.parse(event.data);
        if (m.type === 'system' && m.event === 'welcome') {
          if (room !== 'lobby') ws.send(JSON.stringify({ type: 'join', room }));
          for (let i = 1; i <= n; i += 1) {
            ws.send(JSON.stringify({ type: 'chat', room, content: `${prefix}${i}`, clientMsgId: `${prefix}${i}` }));
          }
        } else if (m.type === 'ack' && ++acks === n) {
          clearTimeout(timer);
          ws.close();
          resolve();
        } else if (m.type === 'error') {
          reject(new Error(JSON.stringify(m)));
        }
      };
      ws.onerror = () => reject(new Error('socket error'));
    }), { url: `${server.wsUrl}/ws`, room, n, prefix, timeout: WAIT_MS });
  } finally {
    await context.close();
  }
}

/** The texts of the confirmed (not pending) messages in view, in page order. */
async function texts(user) {
  return (await user.messages()).filter((m) => !m.pending).map((m) => m.text);
}

function numbered(prefix, from, to) {
  return Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
}

describe('browser client with history', () => {
  let browser;
  let server;
  const users = [];

  async function user(name) {
    const u = await User.open(browser, server, name);
    users.push(u);
    return u;
  }

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    const errors = [];
    for (const u of users.splice(0)) {
      errors.push(...u.errors);
      await u.close();
    }
    await server?.stop();
    server = null;
    assert.deepEqual(errors, [], 'the pages logged no errors');
  });

  test('a joiner is shown the room history, the lobby history at connect too', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada');
    await ada.type('lobby one');
    await ada.type('lobby two');
    await ada.waitMessage('lobby two');
    await ada.type('/join dev');
    await ada.waitActive('dev');
    await ada.type('dev one');
    await ada.type('dev two');
    await ada.waitMessage('dev two');

    const bob = await user('Bob');
    await eventually(async () => equal(await texts(bob), ['lobby one', 'lobby two']));
    await bob.type('/join dev');
    await bob.waitActive('dev');
    await eventually(async () => equal(await texts(bob), ['dev one', 'dev two']));
    const shown = await bob.messages();
    assert.deepEqual(shown.map((m) => m.author), ['Ada', 'Ada']);
  });

  test('the server restarts while two people chat: both then see every message once, in order', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada');
    const bob = await user('Bob');
    for (const u of [ada, bob]) {
      await u.type('/join ops');
      await u.waitActive('ops');
    }
    const said = [];
    for (let i = 1; i <= 3; i += 1) {
      const [who, text] = i % 2 ? [ada, `ada ${i}`] : [bob, `bob ${i}`];
      await who.type(text);
      said.push(text);
      for (const u of [ada, bob]) await u.waitMessage(text);
    }

    for (const u of [ada, bob]) u.expectConnectionErrors = true; // Chromium logs each refused attempt
    await server.stop('SIGKILL');
    for (const u of [ada, bob]) await u.page.locator('#status[data-state="reconnecting"]').waitFor({ timeout: WAIT_MS });
    // typed while disconnected: shown as pending at once, delivered when the connection returns
    await ada.type('typed while disconnected');
    await eventually(async () => equal((await ada.messages()).filter((m) => m.pending).map((m) => m.text),
      ['typed while disconnected']));
    said.push('typed while disconnected');

    await server.start(); // same port, same data directory
    for (const u of [ada, bob]) await u.waitConnected(45_000);
    for (const u of [ada, bob]) {
      await eventually(async () => equal(await texts(u), said));
      await eventually(async () => equal((await u.messages()).filter((m) => m.pending), []));
    }
    await bob.type('after the restart');
    said.push('after the restart');
    for (const u of [ada, bob]) await eventually(async () => equal(await texts(u), said));
    await ada.switchTo('lobby');
    assert.deepEqual(await texts(ada), []);
  });

  test('a reader offline while others send gets every missed message once, in the lobby and in a room', async () => {
    server = await ServerProcess.start(['--message-rate', '0']); // the bursts below come from one socket
    const ada = await user('Ada');
    await ada.type('/join ops');
    await ada.waitActive('ops');
    await burst(browser, server, 'ops', 2, 'ops before ');
    await eventually(async () => equal(await texts(ada), numbered('ops before ', 1, 2)));

    ada.expectConnectionErrors = true;
    await ada.page.context().setOffline(true);
    await ada.page.locator('#status[data-state="offline"]').waitFor({ timeout: WAIT_MS });
    await burst(browser, server, 'ops', 30, 'ops missed ');
    // more than the 50 a lobby join shows: the client pages back to its last seq
    await burst(browser, server, 'lobby', 120, 'lobby missed ');
    await ada.page.context().setOffline(false);
    await ada.waitConnected();

    await eventually(async () => equal(await texts(ada), [...numbered('ops before ', 1, 2), ...numbered('ops missed ', 1, 30)]));
    await ada.switchTo('lobby');
    await eventually(async () => equal(await texts(ada), numbered('lobby missed ', 1, 120)));
    assert.equal(await ada.page.locator('.log:not([hidden]) .history-gap').count(), 0, 'no gap: nothing is missing');
  });

  test('a resume that cannot recover shows a marker with "load older"; scrolling to the top pages back', async () => {
    server = await ServerProcess.start(['--recovery-limit', '5', '--history-on-join', '30', '--message-rate', '0']);
    const ada = await user('Ada');
    await ada.type('/join ops');
    await ada.waitActive('ops');
    await burst(browser, server, 'ops', 1, 'seen ');
    await ada.waitMessage('seen 1');

    ada.expectConnectionErrors = true;
    await ada.page.context().setOffline(true);
    await ada.page.locator('#status[data-state="offline"]').waitFor({ timeout: WAIT_MS });
    await burst(browser, server, 'ops', 100, 'missed ');
    await ada.page.context().setOffline(false);
    await ada.waitConnected();

    const marker = ada.page.locator('.log:not([hidden]) .history-gap');
    await marker.waitFor({ timeout: WAIT_MS });
    assert.match(await marker.textContent(), /messages may be missing/);
    await eventually(async () => equal(await texts(ada), ['seen 1', ...numbered('missed ', 71, 100)]));
    await marker.locator('button', { hasText: 'Load older messages' }).click();
    await eventually(async () => equal(await texts(ada), ['seen 1', ...numbered('missed ', 21, 100)]));

    // a joiner who scrolls to the top is given the older messages, page by page, to the first
    const bob = await user('Bob');
    await bob.type('/join ops');
    await bob.waitActive('ops');
    await eventually(async () => equal(await texts(bob), numbered('missed ', 71, 100)));
    const all = ['seen 1', ...numbered('missed ', 1, 100)];
    await eventually(async () => {
      await bob.page.locator('.log:not([hidden])').evaluate((log) => { log.scrollTop = 0; });
      equal(await texts(bob), all);
    }, 30_000);
  });
});
