// The browser client's per-room history store (roomstore.js, no DOM), run directly in Node: resume fields,
// dedup by seq and id, gaps and paging, own messages confirmed by clientMsgId.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_FILL_PAGES, PAGE_LIMIT, RoomState, RoomStore, newClientMsgId }
  from '../client-web/src/main/resources/webroot/js/roomstore.js';

const ME = { id: 'me-1', username: 'Ada' };

function chat(seq, userId = 'u-2', message = `m${seq}`) {
  return { type: 'chat', room: 'dev', id: `id-${seq}`, seq, userId, username: userId, message, timestamp: '2026-12-01T00:00:00Z' };
}

function range(from, to, userId) {
  return Array.from({ length: to - from + 1 }, (_, i) => chat(from + i, userId));
}

function refs() {
  let n = 0;
  return () => `r${++n}`;
}

test('a join shows the history oldest first; the room then resumes after its last seq with its epoch', () => {
  const r = new RoomState('dev');
  assert.deepEqual(r.resumeFields(), {});
  const answer = r.history({ type: 'history', room: 'dev', epoch: 'E1', messages: range(3, 5), hasMore: true }, refs());
  assert.deepEqual(answer.added.map((c) => c.seq), [3, 4, 5]);
  assert.equal(answer.gap, null);
  assert.equal(answer.request, null);
  assert.equal(r.hasMore, true);
  assert.deepEqual(r.chat(chat(6), ME.id).show.seq, 6);
  const empty = new RoomState('quiet');
  empty.history({ type: 'history', room: 'quiet', epoch: 'E1', messages: [], hasMore: false }, refs());
  assert.deepEqual(empty.resumeFields(), { since: 0, epoch: 'E1' }, 'an empty room resumes from its start');
  assert.deepEqual(r.resumeFields(), { since: 6, epoch: 'E1' });
});

test('a message is shown once whether it comes live, in history, or both', () => {
  const r = new RoomState('dev');
  r.history({ epoch: 'E1', messages: range(1, 3), hasMore: false }, refs());
  assert.equal(r.chat(chat(3), ME.id).show, null);
  assert.equal(r.chat(chat(4), ME.id).show.seq, 4);
  assert.equal(r.chat(chat(4), ME.id).show, null);
  const resumed = r.history({ epoch: 'E1', messages: range(3, 6), hasMore: false, recovered: true }, refs());
  assert.deepEqual(resumed.added.map((c) => c.seq), [5, 6]);
  assert.equal(resumed.gap, null);
  assert.deepEqual([...r.bySeq.keys()].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6]);
});

test('recovered:false marks a gap before the first message shown after it', () => {
  const r = new RoomState('dev');
  r.history({ epoch: 'E1', messages: range(1, 10), hasMore: false }, refs());
  const answer = r.history({ epoch: 'E1', messages: range(1051, 1100), hasMore: true, recovered: false }, refs());
  assert.equal(answer.gap, 1051);
  assert.equal(answer.request, null);
  assert.equal(answer.added.length, 50);
  // loading from the marker pages back from the gap
  const frame = r.loadGap(1051, 'p1');
  assert.deepEqual(frame, { type: 'history', room: 'dev', before: 1051, limit: 50, ref: 'p1' });
  const page = r.history({ epoch: 'E1', messages: range(1001, 1050), hasMore: true, ref: 'p1' }, refs());
  assert.equal(page.added.length, 50);
  assert.equal(page.gap, null);
});

test('recovered:false without a real gap (nothing missed) shows no marker', () => {
  const r = new RoomState('dev');
  r.history({ epoch: 'E1', messages: range(1, 10), hasMore: false }, refs());
  const answer = r.history({ epoch: 'E1', messages: range(1, 12), hasMore: false, recovered: false }, refs());
  assert.equal(answer.gap, null);
  assert.deepEqual(answer.added.map((c) => c.seq), [11, 12]);
});

test('a plain join answer past a gap (the lobby after a reconnect) is filled by paging back to the last seq seen', () => {
  const r = new RoomState('lobby');
  const next = refs();
  r.history({ epoch: 'E1', messages: range(1, 10), hasMore: false }, next);
  const answer = r.history({ epoch: 'E1', messages: range(71, 120), hasMore: true }, next);
  const quiet = new RoomState('lobby');
  quiet.history({ epoch: 'E1', messages: [], hasMore: false }, next);
  assert.equal(quiet.history({ epoch: 'E1', messages: range(51, 100), hasMore: true }, next).request.before, 51,
    'an empty room seen before is filled from its start');
  assert.equal(answer.gap, null);
  assert.deepEqual(answer.request, { type: 'history', room: 'lobby', before: 71, limit: 60, ref: 'r1' });
  const page = r.history({ epoch: 'E1', messages: range(11, 70), hasMore: true, ref: 'r1' }, next);
  assert.equal(r.paging, null);
  assert.equal(page.request, null);
  assert.equal(page.gap, null);
  assert.equal(r.bySeq.size, 120);
});

test('a fill pages at most MAX_FILL_PAGES times, then shows a marker; one cut short by retention shows it at once', () => {
  const r = new RoomState('lobby');
  const next = refs();
  r.history({ epoch: 'E1', messages: range(1, 1), hasMore: false }, next);
  let answer = r.history({ epoch: 'E1', messages: range(5001, 5050), hasMore: true }, next);
  let before = 5001;
  for (let pages = 1; pages <= MAX_FILL_PAGES; pages += 1) {
    assert.equal(answer.request.before, before);
    assert.equal(answer.request.limit, PAGE_LIMIT);
    const from = before - PAGE_LIMIT;
    answer = r.history({ epoch: 'E1', messages: range(from, before - 1), hasMore: true, ref: answer.request.ref }, next);
    before = from;
  }
  assert.equal(answer.request, null);
  assert.equal(answer.gap, before);

  const s = new RoomState('lobby');
  s.history({ epoch: 'E1', messages: range(1, 1), hasMore: false }, next);
  const first = s.history({ epoch: 'E1', messages: range(300, 349), hasMore: true }, next);
  const cut = s.history({ epoch: 'E1', messages: range(250, 299), hasMore: false, ref: first.request.ref }, next);
  assert.equal(cut.gap, 250);
});

test('a new epoch starts over: what was shown is dropped and marked', () => {
  const r = new RoomState('dev');
  r.history({ epoch: 'E1', messages: range(1, 5), hasMore: false }, refs());
  const answer = r.history({ epoch: 'E2', messages: range(1, 2), hasMore: false, recovered: false }, refs());
  assert.equal(answer.reset, true);
  assert.deepEqual(answer.added.map((c) => c.seq), [1, 2]);
  assert.equal(answer.gap, 1);
  assert.deepEqual(r.resumeFields(), { since: 2, epoch: 'E2' });
});

test('scrolling to the top pages back before the oldest seq, one request at a time, until nothing is older', () => {
  const r = new RoomState('dev');
  r.history({ epoch: 'E1', messages: range(51, 100), hasMore: true }, refs());
  const frame = r.older('p1');
  assert.deepEqual(frame, { type: 'history', room: 'dev', before: 51, limit: 50, ref: 'p1' });
  assert.equal(r.older('p2'), null, 'one page in flight');
  const page = r.history({ epoch: 'E1', messages: range(1, 50), hasMore: false, ref: 'p1' }, refs());
  assert.deepEqual(page.added.map((c) => c.seq), range(1, 50).map((c) => c.seq));
  assert.equal(r.older('p3'), null, 'nothing older');
  const s = new RoomState('dev');
  s.history({ epoch: 'E1', messages: range(51, 100), hasMore: true }, refs());
  s.older('p4');
  s.reconnected();
  assert.notEqual(s.older('p5'), null, 'a page lost with its connection does not block paging');
});

test('own messages carry a clientMsgId (also as ref), stay pending until the ack, and are confirmed by it', () => {
  const r = new RoomState('dev');
  r.history({ epoch: 'E1', messages: [], hasMore: false }, refs());
  const one = r.send('same text', 'c-1');
  const two = r.send('same text', 'c-2');
  assert.deepEqual(one.message, { type: 'chat', room: 'dev', content: 'same text', clientMsgId: 'c-1', ref: 'c-1' });
  // the echo of the second arrives first: it is held, not shown, until the ack names it
  const echo2 = chat(1, ME.id, 'same text');
  assert.equal(r.chat(echo2, ME.id).show, null);
  const settled2 = r.ack({ type: 'ack', room: 'dev', clientMsgId: 'c-2', id: 'id-1', seq: 1 }, ME);
  assert.equal(settled2.pending.clientMsgId, 'c-2');
  assert.equal(settled2.message, echo2);
  assert.deepEqual(r.unacked(), [one.message], 'c-1 still waits for its ack');
  assert.equal(r.ack({ type: 'ack', room: 'dev', clientMsgId: 'c-2', id: 'id-1', seq: 1 }, ME), null, 'settled once');
  assert.equal(two.clientMsgId, 'c-2');
});

test("the same user's echo from another tab is not held past this connection's next ack", () => {
  const r = new RoomState('dev');
  r.history({ epoch: 'E1', messages: [], hasMore: false }, refs());
  r.send('mine', 'c-1');
  const otherTab = chat(1, ME.id, 'from my other tab');
  assert.equal(r.chat(otherTab, ME.id).show, null, 'held: it could be the echo of c-1');
  const mine = chat(2, ME.id, 'mine');
  assert.equal(r.chat(mine, ME.id).show, null);
  const settled = r.ack({ clientMsgId: 'c-1', id: 'id-2', seq: 2 }, ME);
  assert.equal(settled.message, mine);
  assert.deepEqual(settled.released, [otherTab]);
  assert.deepEqual([...r.bySeq.keys()], [1, 2]);
});

test('unacked messages are resent after a reconnect; a duplicate ack settles without showing it twice', () => {
  const r = new RoomState('dev');
  r.history({ epoch: 'E1', messages: range(1, 2), hasMore: false }, refs());
  r.send('typed offline', 'c-9');
  r.send('sent, echo lost', 'c-10');
  assert.deepEqual(r.unacked().map((f) => f.clientMsgId), ['c-9', 'c-10']);
  // the resume brings c-10's message (stored before the drop); then both acks come
  r.history({ epoch: 'E1', messages: [chat(3, 'old-me', 'sent, echo lost')], hasMore: false, recovered: true }, refs());
  const dup = r.ack({ clientMsgId: 'c-10', id: 'id-3', seq: 3, duplicate: true }, ME);
  assert.equal(dup.message, null, 'already shown: only the pending line goes');
  const fresh = r.ack({ clientMsgId: 'c-9', id: 'id-4', seq: 4 }, ME);
  assert.equal(fresh.message.seq, 4);
  assert.equal(fresh.message.message, 'typed offline');
  assert.equal(fresh.message.userId, ME.id);
  assert.deepEqual(r.unacked(), []);
  assert.equal(r.lastSeq, 4);
});

test('a refused message is dropped from the resend list; the store finds a pending id in any room', () => {
  const store = new RoomStore();
  store.room('dev').send('too long', 'c-1');
  store.room('ops').send('fine', 'c-2');
  assert.equal(store.roomOfPending('c-1').room, 'dev');
  assert.equal(store.roomOfPending('nope'), null);
  assert.equal(store.room('dev').refuse('c-1').text, 'too long');
  assert.deepEqual(store.room('dev').unacked(), []);
  assert.equal(store.room('ops').unacked().length, 1);
  assert.notEqual(store.ref(), store.ref());
});

test('client message ids are 1..64 characters and unique', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newClientMsgId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.ok(id.length >= 1 && id.length <= 64, id);
});
