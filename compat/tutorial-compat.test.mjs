// The tutorial's protocol, spoken by independent Node `ws` clients, against the tutorial's own
// server (shared/peers/seed-node/server.js) and against wschat's JAR: every client must receive the
// same messages, in the same order, with the same fields, from both.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const seedServer = path.resolve(root, '..', 'shared', 'peers', 'seed-node', 'server.js');
const serverJar = path.join(root, 'server', 'target', 'wschat-server.jar');
const TIMEOUT_MS = 10_000;
const children = [];

after(() => children.forEach((c) => c.kill('SIGKILL')));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function startProcess(command, args, env, readyPattern) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in time: ${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      if (readyPattern.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
}

/** A client that records every message it receives and can wait for the next one. */
class Client {
  constructor(url) {
    this.received = [];
    this.waiters = [];
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => {
      this.received.push(JSON.parse(data.toString()));
      this.waiters = this.waiters.filter((w) => !w());
    });
  }

  opened() {
    return new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
  }

  /** Waits until `count` messages have arrived in all. */
  waitFor(count) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.received.length >= count) {
          clearTimeout(timer);
          resolve();
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => reject(new Error(`only ${this.received.length} of ${count} messages: ${JSON.stringify(this.received)}`)), TIMEOUT_MS);
      if (!check()) this.waiters.push(check);
    });
  }

  send(data) {
    this.ws.send(typeof data === 'string' ? data : JSON.stringify(data));
  }

  close() {
    return new Promise((resolve) => {
      this.ws.once('close', resolve);
      this.ws.close();
    });
  }
}

/** The same script against any server; returns what each client received, ids and times normalized. */
async function transcript(url) {
  const a = new Client(url);
  await a.opened();
  await a.waitFor(1);
  const b = new Client(url);
  await b.opened();
  await b.waitFor(1);
  await a.waitFor(2); // b joined

  a.send({ type: 'chat', content: 'Hello <b>everyone</b>' });
  await b.waitFor(2);
  a.send('plain text, not JSON');
  await b.waitFor(3);
  a.send({ type: 'somethingElse', content: 'ignored' });
  a.send({ type: 'setUsername', username: 'ABCDEFGHIJKLMNOPQRSTUVWXY' });
  await a.waitFor(3);
  await b.waitFor(4);
  b.send({ type: 'chat', content: 'hi back' });
  await a.waitFor(4);
  await b.close();
  await a.waitFor(5);
  await a.close();

  const names = new Map();
  const ids = new Map();
  const normalize = (m) => JSON.parse(JSON.stringify(m), (key, value) => {
    if (key === 'timestamp') {
      assert.match(value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      return '<timestamp>';
    }
    if (key === 'clientId') {
      if (!ids.has(value)) ids.set(value, `<id${ids.size + 1}>`);
      return ids.get(value);
    }
    if (typeof value === 'string') {
      return value.replace(/User-[0-9a-f]{4}/g, (name) => {
        if (!names.has(name)) names.set(name, `<user${names.size + 1}>`);
        return names.get(name);
      });
    }
    return value;
  });
  // Keys in received order matter too: compare the serialized form.
  return {
    a: a.received.map((m) => JSON.stringify(normalize(m))),
    b: b.received.map((m) => JSON.stringify(normalize(m))),
  };
}

test('a tutorial-protocol client sees the same messages from wschat as from the tutorial server', async () => {
  assert.ok(fs.existsSync(seedServer), `the tutorial's server is missing: ${seedServer}`);
  assert.ok(fs.existsSync(serverJar), `build the server first (mvn package): ${serverJar}`);

  const seedPort = await freePort();
  await startProcess('node', [seedServer], { PORT: String(seedPort), NODE_PATH: path.join(here, 'node_modules') },
    /WebSocket server started/);
  const expected = await transcript(`ws://127.0.0.1:${seedPort}`);

  const ourPort = await freePort();
  // A fresh data directory: the transcript starts from an empty history, as the tutorial's server always does.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wschat-compat-'));
  await startProcess('java', ['-jar', serverJar, '--host', '127.0.0.1', '--port', String(ourPort),
    '--data-dir', dataDir], {},
    /listening on ws:/);
  const actual = await transcript(`ws://127.0.0.1:${ourPort}`);

  assert.equal(expected.a.length, 5);
  assert.equal(expected.b.length, 4);
  assert.deepEqual(actual, expected);
});
