// The browser client, end to end: real headless Chromium pages against the real server JAR.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO, ServerProcess, User, WAIT_MS, equal, eventually, launchBrowser } from './support.js';

const TUTORIAL_CLIENT = path.resolve(REPO, '..', 'shared', 'peers', 'seed-node', 'client.html');
const SCREENSHOT = path.join(REPO, 'docs', 'screenshot.png');

describe('browser client', () => {
  let browser;
  let server;
  const users = [];

  async function user(name, options) {
    const u = await User.open(browser, server, name, options);
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

  test('two people chat in lobby; a rename shows on the next message and in the member list', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada');
    const bob = await user('Bob');

    await ada.type('hello from Ada');
    assert.equal((await bob.waitMessage('hello from Ada')).author, 'Ada');
    await ada.waitMessage('hello from Ada');
    // The sender sees its own message once, as the server echoed it.
    await eventually(async () => equal((await ada.messages()).filter((m) => m.text === 'hello from Ada'),
      [{ author: 'Ada', text: 'hello from Ada', pending: false, direct: false }]));
    await eventually(async () => equal((await bob.members()).sort(), ['Ada', 'Bob']));

    await ada.type('/name Adeline');
    await ada.type('still me');
    assert.equal((await bob.waitMessage('still me')).author, 'Adeline');
    await eventually(async () => equal((await bob.members()).sort(), ['Adeline', 'Bob']));
    await bob.page.locator('.log:not([hidden]) .notice', { hasText: 'Ada is now known as Adeline' }).waitFor();
  });

  test('both join a second room: messages stay in their room, unread counts appear and clear', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada');
    const bob = await user('Bob');

    await ada.type('/join random');
    await ada.waitActive('random');
    await bob.type('/join random');
    await bob.waitActive('random');
    await eventually(async () => equal((await ada.members()).sort(), ['Ada', 'Bob']));

    await ada.type('only in random');
    await bob.waitMessage('only in random');
    await bob.switchTo('lobby');
    assert.deepEqual((await bob.messages()).filter((m) => m.text === 'only in random'), []);

    await ada.type('second in random');
    await ada.type('third in random');
    await eventually(async () => equal(await bob.unread('random'), '2'));
    assert.equal(await bob.unread('lobby'), '');
    await bob.type('back in lobby');
    await ada.switchTo('lobby');
    await ada.waitMessage('back in lobby');
    assert.deepEqual((await ada.messages()).filter((m) => m.text.includes('in random')), []);

    await bob.switchTo('random');
    await bob.waitMessage('third in random');
    assert.equal(await bob.unread('random'), '');
    assert.deepEqual((await bob.messages()).map((m) => m.text),
      ['only in random', 'second in random', 'third in random']);

    await bob.type('/leave');
    await bob.waitActive('lobby');
    await eventually(async () => equal(
      await bob.page.locator('#room-list .conv-name').allTextContents(), ['lobby']));
  });

  test('the view follows new messages, unless the reader scrolled up', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada');
    const bob = await user('Bob');
    const log = ada.page.locator('.log:not([hidden])');
    const atBottom = () => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2);
    const tall = (n) => Array.from({ length: 6 }, (_, i) => `message ${n}, line ${i + 1}`).join('\n');
    for (let n = 1; n <= 8; n += 1) await bob.type(tall(n));
    await ada.waitMessage(tall(8));
    await eventually(async () => assert.ok(await atBottom()));
    assert.ok(await log.evaluate((el) => el.scrollHeight > el.clientHeight * 1.5), 'the log overflows');

    await log.hover();
    await ada.page.mouse.wheel(0, -5000);
    await eventually(async () => equal(await log.evaluate((el) => el.scrollTop), 0));
    await bob.type('while Ada reads older messages');
    await ada.waitMessage('while Ada reads older messages');
    assert.equal(await log.evaluate((el) => el.scrollTop), 0, 'the view stays where the reader is');
    await ada.page.locator('#jump').waitFor({ state: 'visible' });

    await ada.page.locator('#jump').click();
    await eventually(async () => assert.ok(await atBottom()));
    await ada.page.locator('#jump').waitFor({ state: 'hidden' });
    await bob.type('and it follows again');
    await ada.waitMessage('and it follows again');
    await eventually(async () => assert.ok(await atBottom()));
  });

  test('a direct message reaches only its recipient', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada');
    const bob = await user('Bob');
    const cat = await user('Cat');
    await eventually(async () => equal((await ada.members()).sort(), ['Ada', 'Bob', 'Cat']));

    await ada.type('/msg Bob the secret is 42');
    const dmButton = bob.page.locator('#dm-list .conv-button', { hasText: 'Ada' });
    await dmButton.waitFor({ timeout: WAIT_MS });
    await eventually(async () => equal(await dmButton.locator('.badge').textContent(), '1'));
    await dmButton.click();
    const got = await bob.waitMessage('the secret is 42');
    assert.deepEqual(got, { author: 'Ada', text: 'the secret is 42', pending: false, direct: true });
    // The sender sees it too, in its conversation with Bob, once.
    await eventually(async () => equal((await ada.messages()).filter((m) => m.text === 'the secret is 42').length, 1));
    await ada.page.locator('#conv-title', { hasText: 'Bob' }).waitFor();

    // Ada's next lobby message is sent after the DM on the same connection: once Cat has it,
    // Cat would also have had the DM, had the server sent it to her.
    await ada.switchTo('lobby');
    await ada.type('after the secret');
    await cat.waitMessage('after the secret');
    assert.equal(await cat.page.locator('#dm-list li').count(), 0);
    assert.ok(!(await cat.page.locator('body').textContent()).includes('secret is 42'));

    // Bob answers from the conversation itself.
    await bob.type('got it');
    await ada.page.locator('#dm-list .conv-button', { hasText: 'Bob' }).click();
    await ada.waitMessage('got it');
  });

  test('markup in a message is shown as text and never runs', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada');
    const bob = await user('<b>Bob</b>');
    const attack = '<img src=x onerror="window.__pwned=1">';

    await ada.type(attack);
    assert.equal((await bob.waitMessage(attack)).author, 'Ada');
    await ada.waitMessage(attack);
    await bob.type('hi');
    assert.equal((await ada.waitMessage('hi')).author, '<b>Bob</b>');
    for (const u of [ada, bob]) {
      assert.equal(await u.page.evaluate(() => window.__pwned), undefined);
      assert.equal(await u.page.locator('.log img, .log b, #member-list b').count(), 0);
    }
  });

  test('the page is served with a strict Content-Security-Policy', async () => {
    server = await ServerProcess.start();
    const response = await fetch(`${server.httpUrl}/`);
    const csp = response.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(await response.text(), /<script>|<style>| on[a-z]+=|style=/i);
  });

  test('server errors are shown inline in words, and the failed message is marked not sent', async () => {
    server = await ServerProcess.start(['--max-content-length', '40']);
    const ada = await user('Ada');
    const long = 'x'.repeat(60);

    await ada.type(long);
    const failed = ada.page.locator('.log:not([hidden]) .msg.failed', { hasText: long });
    await failed.waitFor({ timeout: WAIT_MS });
    assert.match(await failed.locator('.msg-error').textContent(), /too long.*60 characters.*limit is 40/);

    await ada.type('/join no spaces allowed');
    await ada.page.locator('.log:not([hidden]) .notice-error', { hasText: 'is not a room name' }).waitFor();
    await ada.type('/frobnicate');
    await ada.page.locator('.log:not([hidden]) .notice-error', { hasText: 'There is no command /frobnicate' }).waitFor();
    await ada.type('/msg Nobody hello');
    await ada.page.locator('.log:not([hidden]) .notice-error', { hasText: 'Nobody called "Nobody"' }).waitFor();
    await ada.type('short one');
    await ada.waitMessage('short one');
  });

  test('after the server restarts the page says it is reconnecting, comes back, rejoins and chats', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada');
    const bob = await user('Bob');
    await ada.type('/join ops');
    await ada.waitActive('ops');
    await bob.type('/join ops');
    await bob.waitActive('ops');
    await ada.type('before the crash');
    await bob.waitMessage('before the crash');

    for (const u of [ada, bob]) u.expectConnectionErrors = true; // Chromium logs each refused attempt
    await server.stop('SIGKILL');
    for (const u of [ada, bob]) {
      await u.page.locator('#status[data-state="reconnecting"]').waitFor({ timeout: WAIT_MS });
      await eventually(async () => assert.match(await u.page.locator('#status').textContent(),
        /Reconnecting\s*(in \d+ s|now…)/));
    }
    await ada.page.locator('#input').fill('typed while offline');
    // a room message may be sent now: it waits as pending and goes once the connection is back
    assert.equal(await ada.page.locator('#send').isDisabled(), false);
    assert.match(await ada.page.locator('#input').getAttribute('placeholder'), /Not connected/);

    await server.start(); // same port
    // The pages retry with backoff (1, 2, 4, 8 s steps with jitter) while the JVM starts.
    for (const u of [ada, bob]) await u.waitConnected(45_000);
    await ada.page.locator('#send:not([disabled])').waitFor({ timeout: WAIT_MS });
    assert.deepEqual(await ada.page.locator('#room-list .conv-name').allTextContents(), ['lobby', 'ops']);
    await ada.waitActive('ops');
    await eventually(async () => equal((await ada.members()).sort(), ['Ada', 'Bob']));
    await eventually(async () => equal(await ada.page.locator('#me-name').textContent(), 'Ada'));

    await ada.page.locator('#input').press('Enter');
    assert.equal((await bob.waitMessage('typed while offline')).author, 'Ada');
    await bob.type('welcome back');
    await ada.waitMessage('welcome back');
    await bob.switchTo('lobby');
    await eventually(async () => equal((await bob.members()).sort(), ['Ada', 'Bob']));

    // A reload of the tab keeps the name and the rooms too.
    await ada.page.reload();
    await ada.waitConnected();
    await eventually(async () => equal(await ada.page.locator('#room-list .conv-name').allTextContents(), ['lobby', 'ops']));
    await eventually(async () => equal(await ada.page.locator('#me-name').textContent(), 'Ada'));
    await bob.switchTo('ops');
    await eventually(async () => equal((await bob.members()).sort(), ['Ada', 'Bob']));
  });

  test('offline says so, and back online it reconnects at once', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada');
    const bob = await user('Bob');
    await ada.page.context().setOffline(true);
    await ada.page.locator('#status[data-state="offline"]').waitFor({ timeout: WAIT_MS });
    assert.match(await ada.page.locator('#status').textContent(), /Offline\s*waiting for the network/);
    await ada.page.locator('#input').fill('sent once back online');
    assert.equal(await ada.page.locator('#send').isDisabled(), false, 'a room message can wait as pending');
    // Going offline is a dropped connection, not a leave: the server keeps Ada's session for the resume window.
    assert.deepEqual(await bob.members(), ['Ada', 'Bob'], 'a briefly offline user stays listed');

    // While offline no retry timer runs, so only the browser's 'online' event can bring it back.
    await ada.page.context().setOffline(false);
    await ada.waitConnected();
    await ada.page.locator('#send').click();
    assert.equal((await bob.waitMessage('sent once back online')).author, 'Ada');
    const seen = await bob.page.locator('.log .notice').allTextContents();
    assert.deepEqual(seen.filter((n) => /Ada (left|joined)/.test(n)), [], 'Bob saw no left/joined of Ada');
  });

  test("the tutorial's own client.html and ours chat with each other in lobby", async () => {
    server = await ServerProcess.start();
    const dir = mkdtempSync(path.join(tmpdir(), 'wschat-tutorial-'));
    try {
      const original = readFileSync(TUTORIAL_CLIENT, 'utf8');
      assert.ok(original.includes("'ws://localhost:8080'"), 'the tutorial client connects to ws://localhost:8080');
      const copy = path.join(dir, 'client.html');
      writeFileSync(copy, original.replace("'ws://localhost:8080'", `'${server.wsUrl}'`));

      const ada = await user('Ada');
      const context = await browser.newContext();
      const tutorial = await context.newPage();
      await tutorial.goto(pathToFileURL(copy).href);
      await tutorial.locator('#status', { hasText: 'Connected' }).waitFor({ timeout: WAIT_MS });

      await tutorial.locator('#messageInput').fill('/name Tut');
      await tutorial.locator('#messageInput').press('Enter');
      await eventually(async () => assert.ok((await ada.members()).includes('Tut')));
      await tutorial.locator('#messageInput').fill('hello from the tutorial');
      await tutorial.locator('#sendBtn').click();
      assert.equal((await ada.waitMessage('hello from the tutorial')).author, 'Tut');

      await ada.type('hello, tutorial client');
      await tutorial.locator('#messages .message.chat', { hasText: 'hello, tutorial client' }).waitFor({ timeout: WAIT_MS });
      assert.match(await tutorial.locator('#messages .message.chat', { hasText: 'hello, tutorial client' })
        .locator('.username').textContent(), /^Ada$/);
      await context.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('works at phone width, keyboard only', async () => {
    server = await ServerProcess.start();
    const ada = await user('Ada', { viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true });
    const page = ada.page;
    assert.equal(await page.locator('#sidebar').isVisible(), false);
    assert.equal(await page.locator('#input').isVisible(), true);
    await ada.type('from my phone');
    await ada.waitMessage('from my phone');
    const box = await page.locator('.log:not([hidden]) .msg').last().boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `message fits the screen: ${JSON.stringify(box)}`);

    await page.locator('#toggle-sidebar').focus();
    await page.keyboard.press('Enter');
    await page.locator('#sidebar').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await page.locator('#sidebar').waitFor({ state: 'hidden' });

    // From the message box, Tab reaches the send button (enabled once there is text).
    await page.locator('#input').fill('tabbed');
    await page.locator('#input').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'send');
    await page.keyboard.press('Enter');
    await ada.waitMessage('tabbed');
  });

  test('screenshot: two rooms and a few messages (docs/screenshot.png)', async () => {
    server = await ServerProcess.start();
    const bob = await user('Bob');
    const cat = await user('Cat');
    const ada = await user('Ada');
    for (const u of [ada, bob, cat]) {
      await u.type('/join release');
      await u.waitActive('release');
    }
    await bob.type('Deploy window opens at 14:00. Ping me if anything is still in review.');
    await ada.type('Two PRs left: the reconnect backoff and the member list. Both are green.');
    // Bob's message must be in Ada's view of release before she leaves it, or it would count as unread there.
    await ada.waitMessage('Deploy window opens at 14:00. Ping me if anything is still in review.');
    await ada.switchTo('lobby');
    await cat.switchTo('lobby');
    await bob.switchTo('lobby');
    await bob.type('Morning all! Coffee is on the second floor today.');
    await cat.type('Thanks Bob. Is anyone up for a review of the new browser client before lunch?');
    await ada.type("Sure, I'll take it. It reconnects by itself now, so kill the server and watch.");
    await bob.type('Long messages wrap nicely too: the quick brown fox jumps over the lazy dog, again and again, until the line is far wider than the window would allow without wrapping.');
    await cat.switchTo('release');
    await cat.type('Dashboards look calm. Ready when you are.');
    await cat.type('/msg Ada can you also look at the CSS for phones?');
    await eventually(async () => equal(await ada.unread('release'), '1'));
    await ada.page.locator('#dm-list .conv-button', { hasText: 'Cat' }).waitFor();
    await ada.waitMessage('Long messages wrap nicely too: the quick brown fox jumps over the lazy dog, again and again, until the line is far wider than the window would allow without wrapping.');
    await ada.page.locator('#input').fill('Looks good to me!');
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await ada.page.screenshot({ path: SCREENSHOT });
    assert.ok(readFileSync(SCREENSHOT).length > 10_000);
  });
});
