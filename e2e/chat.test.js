// The browser client, end to end: real headless Chromium pages against the real server JAR.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { ServerProcess, User, equal, eventually, launchBrowser } from './support.js';

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
    for (const u of users.splice(0)) {
      assert.deepEqual(u.errors, [], 'the page logged no errors');
      await u.close();
    }
    await server?.stop();
    server = null;
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
});
