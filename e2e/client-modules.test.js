// The browser client's pure modules (no DOM), run directly in Node: backoff, commands, error wording.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE_DELAY_MS, MAX_DELAY_MS, backoffDelay, endpointFor, withResume } from '../client-web/src/main/resources/webroot/js/connection.js';
import { parseInput, resolveRecipient } from '../client-web/src/main/resources/webroot/js/commands.js';
import { explain } from '../client-web/src/main/resources/webroot/js/errors.js';

test('backoff doubles from 1 s, jitters within the upper half of each step, and never passes 30 s', () => {
  const low = () => 0;
  const high = () => 1;
  assert.deepEqual([0, 1, 2, 3, 4].map((a) => backoffDelay(a, high)), [1000, 2000, 4000, 8000, 16000]);
  assert.deepEqual([0, 1, 2].map((a) => backoffDelay(a, low)), [500, 1000, 2000]);
  for (const attempt of [5, 6, 10, 100, 10_000]) {
    assert.equal(backoffDelay(attempt, high), MAX_DELAY_MS);
    assert.equal(backoffDelay(attempt, low), MAX_DELAY_MS / 2);
  }
  assert.equal(BASE_DELAY_MS, 1000);
});

test('the endpoint is the page origin with ws: or wss: and path /ws', () => {
  assert.equal(endpointFor({ protocol: 'http:', host: 'chat.example:8080' }), 'ws://chat.example:8080/ws');
  assert.equal(endpointFor({ protocol: 'https:', host: 'chat.example' }), 'wss://chat.example/ws');
});

test('a reconnect carries the resume token as the resume query parameter, URL-encoded', () => {
  assert.equal(withResume('ws://h/ws', null), 'ws://h/ws');
  assert.equal(withResume('ws://h/ws', ''), 'ws://h/ws');
  assert.equal(withResume('ws://h/ws', 'ab.c_d-e'), 'ws://h/ws?resume=ab.c_d-e');
  assert.equal(withResume('ws://h/ws?token=t', 'a+b/c'), 'ws://h/ws?token=t&resume=a%2Bb%2Fc');
});

test('input lines become chat messages or commands', () => {
  assert.deepEqual(parseInput('hello  '), { kind: 'chat', text: 'hello' });
  assert.deepEqual(parseInput('line one\nline two'), { kind: 'chat', text: 'line one\nline two' });
  assert.deepEqual(parseInput('//shrug'), { kind: 'chat', text: '/shrug' });
  assert.deepEqual(parseInput('/name  Ada Lovelace '), { kind: 'name', name: 'Ada Lovelace' });
  assert.deepEqual(parseInput('/join #random'), { kind: 'join', room: 'random' });
  assert.deepEqual(parseInput('/leave'), { kind: 'leave', room: null });
  assert.deepEqual(parseInput('/leave ops'), { kind: 'leave', room: 'ops' });
  assert.deepEqual(parseInput('/msg Ada hi there'), { kind: 'msg', rest: 'Ada hi there' });
  assert.deepEqual(parseInput('/HELP'), { kind: 'help' });
  assert.equal(parseInput('/join bad room').kind, 'invalid');
  assert.equal(parseInput('/join -dash').kind, 'invalid');
  assert.equal(parseInput('/name').kind, 'invalid');
  assert.match(parseInput('/nope').message, /no command \/nope/);
});

test('/msg finds its recipient by id, by name (spaces included), ignoring case only when it must', () => {
  const users = new Map([['id-1', 'Ada'], ['id-2', 'Ada Lovelace'], ['id-3', 'bob'], ['id-4', 'Twin'], ['id-5', 'Twin']]);
  assert.deepEqual(resolveRecipient('id-3 hello', users), { user: { id: 'id-3', username: 'bob' }, text: 'hello' });
  assert.deepEqual(resolveRecipient('Ada hi', users), { user: { id: 'id-1', username: 'Ada' }, text: 'hi' });
  assert.deepEqual(resolveRecipient('Ada Lovelace hi', users), { user: { id: 'id-2', username: 'Ada Lovelace' }, text: 'hi' });
  assert.deepEqual(resolveRecipient('BOB yo', users), { user: { id: 'id-3', username: 'bob' }, text: 'yo' });
  assert.match(resolveRecipient('Twin hi', users).error, /2 people are called "Twin".*id-4, id-5/);
  assert.match(resolveRecipient('Carol hi', users).error, /Nobody called "Carol"/);
  assert.match(resolveRecipient('Ada', users).error, /Type a message after the name/);
  assert.match(resolveRecipient('Adamant hi', users).error, /Nobody called "Adamant"/);
});

test('server errors read as sentences', () => {
  assert.match(explain({ code: 'too_long', message: 'Message is 5000 characters long; the limit is 4000' }),
    /too long to send\. Message is 5000 characters long; the limit is 4000/);
  assert.equal(explain({ code: 'rate_limited', message: 'x', retryAfterMs: 1200 }),
    'You are sending messages too fast. Try again in 2 s.');
  assert.match(explain({ code: 'rate_limited', message: 'x' }), /Wait a moment/);
  assert.match(explain({ code: 'invalid_name', message: 'x' }), /visible character/);
  assert.equal(explain({ code: 'forbidden', message: 'Direct messages are off on this server' }),
    'That is not allowed here. Direct messages are off on this server');
  assert.equal(explain({ code: 'some_new_code', message: 'Server words.' }), 'Server words.');
});
