// Shared parts of the end-to-end tests: the real server JAR as a child process, headless Chromium
// through playwright-core, and small waiting helpers (every wait is bounded; none is a bare sleep).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const JAR = path.join(REPO, 'server', 'target', 'wschat-server.jar');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** The flags that let Chromium run headless as root on this machine's closed network. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
/** How long any single wait in a test may take. */
export const WAIT_MS = 15_000;

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** The server JAR, started as its own process on a port, ready once /health answers. */
export class ServerProcess {
  constructor(port, extraArgs = []) {
    this.port = port;
    this.extraArgs = extraArgs;
    this.output = [];
    this.child = null;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}`;
  }

  static async start(extraArgs = []) {
    const server = new ServerProcess(await freePort(), extraArgs);
    await server.start();
    return server;
  }

  async start() {
    if (!existsSync(JAR)) throw new Error(`${JAR} is missing: build it first with mvn verify (scripts/test.sh does)`);
    // One data directory per server, kept across its restarts: what it stored survives them, as in production.
    this.dataDir ??= mkdtempSync(path.join(os.tmpdir(), 'wschat-e2e-'));
    const child = spawn('java', ['-jar', JAR, '--host', '127.0.0.1', '--port', String(this.port),
      '--data-dir', this.dataDir, ...this.extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk) => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited = exited;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const early = await Promise.race([exited, delay(100).then(() => null)]);
      if (early) throw new Error(`server exited (${early.code ?? early.signal}) on start:\n${this.output.join('\n')}`);
      if (await healthy(this.httpUrl)) return;
    }
    this.child.kill('SIGKILL');
    throw new Error(`server did not answer /health within 30 s:\n${this.output.join('\n')}`);
  }

  /** Ends the process: SIGKILL models a crash, SIGTERM a graceful stop. */
  async stop(signal = 'SIGTERM') {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const done = await Promise.race([this.exited, delay(10_000).then(() => null)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

async function healthy(base) {
  try {
    const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch (e) {
    return false;
  }
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Retries an assertion until it holds or WAIT_MS passes; then throws its last failure. */
export async function eventually(assertion, timeout = WAIT_MS) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await assertion();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await delay(50);
    }
  }
}

/**
 * One person using the client: a fresh browser context (own storage) with the page open at the
 * server's /, connected, optionally renamed. Page errors are collected so tests can assert none.
 */
export class User {
  constructor(page) {
    this.page = page;
    this.errors = [];
    this.expectConnectionErrors = false;
    page.on('pageerror', (e) => this.errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      if (this.expectConnectionErrors && /^WebSocket connection to .* failed/.test(m.text())) return;
      this.errors.push(m.text());
    });
  }

  static async open(browser, server, name, contextOptions = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, ...contextOptions });
    const user = new User(await context.newPage());
    await user.page.goto(`${server.httpUrl}/`);
    await user.waitConnected();
    await user.waitActive('lobby');
    if (name) {
      await user.type(`/name ${name}`);
      await eventually(async () => equal(await user.page.locator('#me-name').textContent(), name));
    }
    return user;
  }

  async waitConnected(timeout = WAIT_MS) {
    await this.page.locator('#status[data-state="connected"]').waitFor({ state: 'attached', timeout });
  }

  /** Waits until the conversation in view is the given room. */
  async waitActive(room) {
    await this.page.locator('#room-list .conv-item.active', { hasText: room }).waitFor({ state: 'attached', timeout: WAIT_MS });
  }

  /** Types a line into the message box and presses Enter, as a person would. */
  async type(text) {
    const input = this.page.locator('#input');
    await input.fill(text);
    await input.press('Enter');
  }

  /** The messages of the conversation in view, as {author, text, pending}. */
  async messages() {
    return this.page.locator('.log:not([hidden]) .msg').evaluateAll((items) => items.map((li) => ({
      author: li.querySelector('.msg-author').textContent,
      text: li.querySelector('.msg-text').textContent,
      pending: li.classList.contains('pending'),
      direct: li.classList.contains('direct'),
    })));
  }

  /** Waits for a message with exactly this text in the conversation in view; answers it. */
  async waitMessage(text) {
    return eventually(async () => {
      const found = (await this.messages()).filter((m) => m.text === text && !m.pending);
      if (found.length === 0) throw new Error(`no message "${text}" in view; saw ${JSON.stringify(await this.messages())}`);
      return found[0];
    });
  }

  /** The names in the member list. */
  async members() {
    return this.page.locator('#member-list .member-name').allTextContents();
  }

  async switchTo(room) {
    await this.page.locator('#room-list .conv-button', { hasText: room }).click();
    await this.waitActive(room);
  }

  async unread(room) {
    const badge = this.page.locator('#room-list .conv-item', { hasText: room }).locator('.badge');
    return (await badge.isVisible()) ? (await badge.textContent()) : '';
  }

  async close() {
    await this.page.context().close();
  }
}

export function equal(actual, expected) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`expected ${JSON.stringify(expected)} but saw ${JSON.stringify(actual)}`);
  }
}
