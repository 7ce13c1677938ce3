// Session resume in the browser, end to end: the connection drops under the page (no reload), the client
// reconnects with its resume token and catches every room up in one message; the others see nothing of it.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { ServerProcess, User, WAIT_MS, equal, eventually, freePort, launchBrowser } from './support.js';

/**
 * A TCP proxy in front of the server: drop() cuts every connection through it (both ends, no Close frame, as a
 * network failure does) and refuses new ones until restore().
 */
class Proxy {
  static async start(target) {
    const proxy = new Proxy(target, await freePort());
    await new Promise((resolve) => proxy.server.listen(proxy.port, '127.0.0.1', resolve));
    return proxy;
  }

  constructor(target, port) {
    this.port = port;
    this.blocked = false;
    this.sockets = new Set();
    this.server = net.createServer((client) => {
      if (this.blocked) {
        client.destroy();
        return;
      }
      const upstream = net.connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  drop() {
    this.blocked = true;
    for (const s of this.sockets) s.destroy();
  }

  restore() {
    this.blocked = false;
  }

  close() {
    this.drop();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

/** Sends n chat messages to a room from a plain WebSocket (a third user), waiting for every ack. */
async function burst(browser, server, room, n, prefix) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${server.httpUrl}/favicon.svg`);
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

async function texts(user) {
  return (await user.messages()).filter((m) => !m.pending).map((m) => m.text);
}

function numbered(prefix, from, to) {
  return Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
}

/** What the page's stored resume token says: {c: clientId, u: username, ...}. */
async function tokenClaims(user) {
  const token = await user.page.evaluate(() => sessionStorage.getItem('wschat.resumeToken'));
  assert.ok(token, 'the page keeps a resume token');
  return { token, ...JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) };
}

/** Every notice text on a page, in every conversation. */
async function notices(user) {
  return user.page.locator('.log .notice').allTextContents();
}

describe('browser client session resume', () => {
  let browser;
  let server;
  let proxy;
  const users = [];

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
    await proxy?.close();
    proxy = null;
    await server?.stop();
    server = null;
    assert.deepEqual(errors, [], 'the pages logged no errors');
  });

  test('a dropped connection resumes: same id and name, no left/joined for the others, every missed message once', async () => {
    server = await ServerProcess.start(['--message-rate', '0']);
    proxy = await Proxy.start(server.port);
    const ada = await User.open(browser, proxy, 'Ada');
    users.push(ada);
    const bob = await User.open(browser, server, 'Bob');
    users.push(bob);
    await ada.type('/join ops');
    await ada.waitActive('ops');
    await bob.type('/join ops');
    await bob.waitActive('ops');
    await burst(browser, server, 'ops', 3, 'ops before ');
    await eventually(async () => equal(await texts(ada), numbered('ops before ', 1, 3)));
    const before = await tokenClaims(ada);
    const bobNotices = await notices(bob);

    ada.expectConnectionErrors = true;
    proxy.drop();
    await ada.page.locator('#status[data-state="reconnecting"]').waitFor({ state: 'attached', timeout: WAIT_MS });
    await burst(browser, server, 'ops', 25, 'ops missed ');
    await burst(browser, server, 'lobby', 5, 'lobby missed ');
    proxy.restore();
    await ada.waitConnected(30_000);

    await eventually(async () => equal(await texts(ada), [...numbered('ops before ', 1, 3), ...numbered('ops missed ', 1, 25)]));
    await bob.type('live after the resume');
    await eventually(async () => equal(await texts(ada),
      [...numbered('ops before ', 1, 3), ...numbered('ops missed ', 1, 25), 'live after the resume']));
    await ada.switchTo('lobby');
    await eventually(async () => equal(await texts(ada), numbered('lobby missed ', 1, 5)));

    const afterResume = await tokenClaims(ada);
    assert.equal(afterResume.c, before.c, 'the same clientId');
    assert.equal(afterResume.u, 'Ada', 'the same username');
    assert.notEqual(afterResume.token, before.token, 'a fresh token came with the welcome');
    assert.equal(await ada.page.locator('#me-name').textContent(), 'Ada');
    const newNotices = (await notices(bob)).slice(bobNotices.length);
    assert.deepEqual(newNotices.filter((n) => /Ada (left|joined)|known as/.test(n)), [],
      `Bob saw no left/joined/rename of Ada: ${JSON.stringify(newNotices)}`);
    assert.ok((await bob.members()).includes('Ada'), 'Ada is still in Bob\'s member list');
  });
});
