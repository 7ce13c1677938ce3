// The member list of a big room, end to end: presence arrives a page at a time ("and N more"), and the
// client asks for the next page with who and the cursor once the list is scrolled to its end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ServerProcess, User, WAIT_MS, equal, eventually, launchBrowser } from './support.js';

const PAGE = 3;
const OTHERS = 4;

let browser;
let server;

before(async () => {
  browser = await launchBrowser();
  server = await ServerProcess.start(['--presence-page', String(PAGE)]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a room bigger than a presence page shows "and N more", then pages in the rest on scroll', async () => {
  // Four plain connections fill the lobby first, opened from a page of the server's own origin.
  const crowd = await (await browser.newContext()).newPage();
  await crowd.goto(`${server.httpUrl}/health`);
  await crowd.evaluate(({ url, n, timeout }) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the crowd did not connect')), timeout);
    let ready = 0;
    window.crowd = [];
    for (let i = 0; i < n; i++) {
      const ws = new WebSocket(`${url}/ws`, 'wschat.v2');
      ws.onmessage = (e) => {
        if (JSON.parse(e.data).type === 'presence' && ++ready === n) { clearTimeout(timer); resolve(); }
      };
      window.crowd.push(ws);
    }
  }), { url: server.wsUrl, n: OTHERS, timeout: WAIT_MS });

  const ada = await User.open(browser, server, null);
  try {
    const more = ada.page.locator('#member-list .member-more');
    await eventually(async () => equal(await more.textContent(), `and ${OTHERS + 1 - PAGE} more`));
    assert.equal((await ada.members()).length, PAGE);
    await eventually(async () => equal(await ada.page.locator('#members-heading').textContent(),
      `Members — ${OTHERS + 1}`));

    // Reaching the end of the list asks for the next page.
    await ada.page.locator('#members').evaluate((box) => {
      box.scrollTop = box.scrollHeight;
      box.dispatchEvent(new Event('scroll'));
    });
    await eventually(async () => equal((await ada.members()).length, OTHERS + 1));
    assert.equal(await more.count(), 0, 'no "more" once every member is listed');
    assert.deepEqual(ada.errors, []);
  } finally {
    await ada.close();
    await crowd.context().close();
  }
});

test('after close 4001 Unauthorized the client stops, says why, and retries only when asked', async () => {
  const secured = await ServerProcess.start(['--jwt-secret', 'e2e-secret-that-is-long-enough-for-hs256-0123456789']);
  const context = await browser.newContext();
  const page = await context.newPage();
  let sockets = 0;
  page.on('websocket', () => { sockets += 1; });
  try {
    await page.goto(`${secured.httpUrl}/`);
    const status = page.locator('#status[data-state="unauthorized"]');
    await status.waitFor({ state: 'attached', timeout: WAIT_MS });
    await eventually(async () => equal(await page.locator('#status-text').textContent(), 'Signed out'));
    assert.match(await page.locator('#status-detail').textContent(), /refused your sign-in/);
    assert.equal(await page.locator('#retry').isVisible(), true, 'a Retry button is offered');
    assert.equal(sockets, 1);
    await page.locator('#retry').click();
    await eventually(async () => equal(sockets, 2));
    await status.waitFor({ state: 'attached', timeout: WAIT_MS });
  } finally {
    await context.close();
    await secured.stop();
  }
});
