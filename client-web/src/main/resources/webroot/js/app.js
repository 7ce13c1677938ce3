// The chat page: wires the connection, the conversations (rooms and direct messages) and the DOM.
import { Connection, endpointFor, withResume } from './connection.js';
import { HELP, ROOM_PATTERN, parseInput, resolveRecipient } from './commands.js';
import { closeReason, explain } from './errors.js';
import { avatar, errorItem, h, helpItem, markFailed, messageItem, noticeItem } from './view.js';
import { RoomStore } from './roomstore.js';
import { createHistoryView } from './historyview.js';

const SUBPROTOCOL = 'wschat.v2';
const LOBBY = 'lobby';
/** Messages kept per conversation; older ones are dropped from the page. */
const MAX_ITEMS = 1000;
/** Within this many pixels of the bottom counts as "at the bottom": the view keeps following. */
const STICK_PX = 48;
const STORE_KEY = 'wschat.client';
/** The latest resume token of this tab's session (sessionStorage: per tab, gone with it). */
const TOKEN_KEY = 'wschat.resumeToken';
/** The close code telling that this session was resumed by another connection (another tab with a copied token). */
const SESSION_RESUMED = 4009;

const $ = (id) => document.getElementById(id);
const ui = {
  app: $('app'), sidebar: $('sidebar'), status: $('status'), statusText: $('status-text'),
  statusDetail: $('status-detail'), retry: $('retry'), roomList: $('room-list'), dmList: $('dm-list'),
  dmEmpty: $('dm-empty'), joinForm: $('join-form'), joinInput: $('join-input'), meName: $('me-name'),
  meAvatar: $('me-avatar'), renameButton: $('rename-button'), title: $('conv-title'),
  subtitle: $('conv-subtitle'), logs: $('logs'), jump: $('jump'), composer: $('composer'),
  input: $('input'), inputLabel: $('input-label'), send: $('send'), members: $('members'),
  membersHeading: $('members-heading'), memberList: $('member-list'), announcer: $('announcer'),
  toggleSidebar: $('toggle-sidebar'), toggleMembers: $('toggle-members'),
};

/** What survives a reload of the tab or a reconnect: the chosen name and the rooms the user is in. */
const saved = loadSaved();

const state = {
  me: { id: null, username: saved.name || '' },
  /** key ("room:NAME" or "dm:ID") -> conversation */
  convs: new Map(),
  active: null,
  /** every user seen: id -> name */
  users: new Map(),
  /** rooms the user asked to join and has not got an answer for yet */
  joining: new Set(),
  /** on a resumed session, the lobby join the server does by itself is undone when the user had left it */
  dropLobby: false,
  nextRef: 1,
};

const connection = new Connection(() => withResume(endpointFor(location), loadToken()), SUBPROTOCOL, {
  onMessage: handleServerMessage,
  onState: (s) => {
    // Another tab took this session over with the same token: start a session of our own instead of fighting it.
    if (s.closeCode === SESSION_RESUMED) saveToken(null);
    renderStatus(s);
  },
});
/** Rooms' stored history, resume and own messages until acked (roomstore.js / historyview.js). */
const history = createHistoryView({
  store: new RoomStore(), send: (frame) => connection.send(frame), me: () => state.me, append: (...a) => append(...a),
});

// ------------------------------------------------------------------ persistence

function loadSaved() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORE_KEY) || '{}');
    return {
      name: typeof value.name === 'string' ? value.name : '',
      rooms: Array.isArray(value.rooms) ? value.rooms.filter((r) => typeof r === 'string' && ROOM_PATTERN.test(r)) : null,
    };
  } catch (e) {
    return { name: '', rooms: null };
  }
}

function save() {
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify({ name: saved.name, rooms: roomNames() }));
  } catch (e) {
    // storage can be full or disabled; the session just won't survive a reload
  }
}

function loadToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch (e) {
    return null;
  }
}

function saveToken(token) {
  try {
    if (typeof token === 'string' && token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    // without storage a reconnect starts a new session, as before resume existed
  }
}

function roomNames() {
  return [...state.convs.values()].filter((c) => c.kind === 'room').map((c) => c.name);
}

// ------------------------------------------------------------------ conversations

function roomKey(room) {
  return `room:${room}`;
}

function dmKey(id) {
  return `dm:${id}`;
}

function createConv(kind, name, title) {
  const key = kind === 'room' ? roomKey(name) : dmKey(name);
  const label = kind === 'room' ? `Messages in ${name}` : `Direct messages with ${title}`;
  const log = h('ol', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': label, tabindex: '0', hidden: true });
  const conv = {
    key, kind, name, title, log, unread: 0, stick: true, ids: new Set(), pending: [],
    members: new Map(), total: 0, next: null, paging: false, navItem: null, badge: null, navButton: null,
  };
  log.addEventListener('scroll', () => {
    conv.stick = log.scrollHeight - log.scrollTop - log.clientHeight < STICK_PX;
    if (conv.stick && conv === activeConv()) ui.jump.hidden = true;
  });
  if (kind === 'room') history.attach(conv);
  ui.logs.append(log);
  state.convs.set(key, conv);
  buildNavItem(conv);
  return conv;
}

function buildNavItem(conv) {
  conv.badge = h('span', { class: 'badge', hidden: true });
  conv.navButton = h('button', {
    type: 'button', class: 'conv-button',
    onclick: () => { switchTo(conv.key); ui.input.focus(); closeSidebarOnNarrow(); },
  },
  conv.kind === 'room' ? h('span', { class: 'conv-sigil', 'aria-hidden': 'true', text: '#' }) : avatar(conv.name, conv.title),
  h('span', { class: 'conv-name', text: conv.title }),
  conv.badge);
  const close = h('button', {
    type: 'button', class: 'conv-close',
    'aria-label': conv.kind === 'room' ? `Leave ${conv.name}` : `Close conversation with ${conv.title}`,
    title: conv.kind === 'room' ? 'Leave room' : 'Close',
    text: '×',
    onclick: () => (conv.kind === 'room' ? leaveRoom(conv.name) : closeDm(conv)),
  });
  conv.navItem = h('li', { class: 'conv-item', dataset: { key: conv.key } }, conv.navButton, close);
  if (conv.kind === 'room') {
    insertSorted(ui.roomList, conv.navItem, conv.name);
  } else {
    ui.dmList.append(conv.navItem);
    ui.dmEmpty.hidden = true;
  }
  updateBadge(conv);
}

function insertSorted(list, item, name) {
  const before = [...list.children].find((li) => li.dataset.key.slice(5).localeCompare(name) > 0);
  list.insertBefore(item, before || null);
}

function removeConv(conv) {
  if (conv.kind === 'room') history.forget(conv.name);
  conv.log.remove();
  conv.navItem.remove();
  state.convs.delete(conv.key);
  ui.dmEmpty.hidden = ui.dmList.children.length > 0;
  if (state.active === conv.key) {
    const next = state.convs.get(roomKey(LOBBY)) || state.convs.values().next().value;
    state.active = null;
    if (next) switchTo(next.key);
    else renderHeader();
  }
}

function activeConv() {
  return state.convs.get(state.active) || null;
}

function switchTo(key) {
  const conv = state.convs.get(key);
  if (!conv) return;
  const previous = activeConv();
  if (previous && previous !== conv) {
    previous.log.hidden = true;
    previous.navButton.removeAttribute('aria-current');
    previous.navItem.classList.remove('active');
  }
  state.active = key;
  conv.log.hidden = false;
  conv.navButton.setAttribute('aria-current', 'page');
  conv.navItem.classList.add('active');
  conv.unread = 0;
  updateBadge(conv);
  if (conv.stick) conv.log.scrollTop = conv.log.scrollHeight;
  ui.jump.hidden = true;
  renderHeader();
  renderMembers();
}

function updateBadge(conv) {
  conv.badge.hidden = conv.unread === 0;
  conv.badge.textContent = conv.unread > 99 ? '99+' : String(conv.unread);
  conv.navButton.setAttribute('aria-label',
    (conv.kind === 'room' ? `Room ${conv.name}` : `Direct messages with ${conv.title}`)
    + (conv.unread ? `, ${conv.unread} unread` : ''));
  conv.navItem.classList.toggle('has-unread', conv.unread > 0);
  const total = [...state.convs.values()].reduce((n, c) => n + c.unread, 0);
  document.title = total ? `(${total}) wschat` : 'wschat';
}

/** Adds an item to a conversation's log, following new items unless the user scrolled up. */
function append(conv, item, { countUnread = false, force = false } = {}) {
  const log = conv.log;
  const follow = conv.stick || force;
  log.append(item);
  while (log.children.length > MAX_ITEMS) log.firstElementChild.remove();
  if (follow) {
    log.scrollTop = log.scrollHeight;
    conv.stick = true;
  } else if (conv === activeConv()) {
    ui.jump.hidden = false;
  }
  if (countUnread && conv !== activeConv()) {
    conv.unread += 1;
    updateBadge(conv);
  }
}

function notice(conv, text, timestamp, kind) {
  if (conv) append(conv, noticeItem(text, timestamp, kind));
}

/** An error line in the conversation in view (its log region reads it out), or just read out. */
function showError(text) {
  const conv = activeConv();
  if (conv) append(conv, errorItem(text), { force: true });
  else announce(text);
}

function announce(text) {
  ui.announcer.textContent = text;
}

// ------------------------------------------------------------------ rendering of chrome

function renderStatus(s) {
  clearInterval(renderStatus.ticker);
  ui.status.dataset.state = s.name;
  document.body.classList.toggle('is-disconnected', s.name !== 'connected');
  const reason = closeReason(s.closeCode);
  const tick = () => {
    if (s.name === 'reconnecting' && s.retryAt) {
      const seconds = Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000));
      ui.statusDetail.textContent = seconds > 0 ? `in ${seconds} s` : 'now…';
    }
  };
  switch (s.name) {
    case 'connected':
      ui.statusText.textContent = 'Connected';
      ui.statusDetail.textContent = '';
      break;
    case 'connecting':
      ui.statusText.textContent = 'Connecting';
      ui.statusDetail.textContent = '…';
      break;
    case 'reconnecting':
      ui.statusText.textContent = 'Reconnecting';
      ui.statusDetail.textContent = s.retryAt ? '' : 'now…';
      tick();
      if (s.retryAt) renderStatus.ticker = setInterval(tick, 250);
      break;
    case 'unauthorized':
      ui.statusText.textContent = 'Signed out';
      ui.statusDetail.textContent = 'the server refused your sign-in (it may have expired); not retrying until you press Retry';
      break;
    default:
      ui.statusText.textContent = 'Offline';
      ui.statusDetail.textContent = 'waiting for the network';
  }
  ui.status.title = reason;
  ui.retry.hidden = !(s.name === 'reconnecting' && s.retryAt) && s.name !== 'offline' && s.name !== 'unauthorized';
  if (s.name !== 'connected') failPending('Not sent: the connection was lost.');
  renderComposer();
}

function renderComposer() {
  const conv = activeConv();
  const where = !conv ? '' : conv.kind === 'room' ? `#${conv.name}` : conv.title;
  ui.inputLabel.textContent = conv ? `Message ${where}` : 'Message';
  if (!connection.connected) {
    ui.input.placeholder = connection.state.name === 'offline'
      ? 'Offline: messages can be sent once the network is back'
      : conv && conv.kind === 'room' ? 'Not connected: messages wait and go once the connection is back'
        : 'Not connected: messages can be sent once the connection is back';
  } else {
    ui.input.placeholder = conv ? `Message ${where}` : 'Join a room to chat';
  }
  // a room message typed while disconnected waits as pending and goes once the connection is back
  ui.send.disabled = !(connection.connected || (conv && conv.kind === 'room')) || !conv || ui.input.value.trim() === '';
}

function renderHeader() {
  const conv = activeConv();
  ui.title.replaceChildren();
  if (!conv) {
    ui.title.textContent = 'No conversation';
    ui.subtitle.textContent = 'Join a room to start chatting';
  } else if (conv.kind === 'room') {
    ui.title.append(h('span', { class: 'conv-sigil', 'aria-hidden': 'true', text: '#' }), conv.name);
    const n = Math.max(conv.total, conv.members.size);
    ui.subtitle.textContent = `${n} ${n === 1 ? 'member' : 'members'}`;
    conv.log.setAttribute('aria-label', `Messages in ${conv.name}`);
  } else {
    ui.title.append(h('span', { class: 'conv-sigil', 'aria-hidden': 'true', text: '@' }), conv.title);
    ui.subtitle.textContent = 'Direct messages';
    conv.log.setAttribute('aria-label', `Direct messages with ${conv.title}`);
  }
  renderComposer();
}

function renderMembers() {
  const conv = activeConv();
  ui.memberList.replaceChildren();
  if (!conv) {
    ui.membersHeading.textContent = 'Members';
    return;
  }
  const people = conv.kind === 'room'
    ? [...conv.members]
    : [[conv.name, conv.title], [state.me.id, state.me.username]];
  people.sort((a, b) => a[1].localeCompare(b[1], undefined, { sensitivity: 'base' }) || a[0].localeCompare(b[0]));
  const total = conv.kind === 'room' ? Math.max(conv.total, people.length) : people.length;
  ui.membersHeading.textContent = conv.kind === 'room' ? `Members — ${total}` : 'In this conversation';
  for (const [id, username] of people) {
    const me = id === state.me.id;
    const label = h('span', { class: 'member-name', text: username });
    const item = h('li', { class: me ? 'member me' : 'member', dataset: { id } }, avatar(id, username), label);
    if (me) {
      item.append(h('span', { class: 'member-you', text: '(you)' }));
    } else {
      item.append(h('button', {
        type: 'button', class: 'member-dm', title: `Send ${username} a direct message`,
        'aria-label': `Message ${username}`, text: '✉',
        onclick: () => { openDm(id, username); ui.input.focus(); },
      }));
    }
    ui.memberList.append(item);
  }
  // presence comes a page at a time: say how many are not listed yet; scrolling to the end asks for more
  if (total > people.length) {
    ui.memberList.append(h('li', { class: 'member member-more', text: `and ${total - people.length} more` }));
  }
  if (conv.kind === 'room') renderHeader();
}

function renderMe() {
  ui.meName.textContent = state.me.username || '…';
  const badge = avatar(state.me.id || 'me', state.me.username);
  badge.id = 'me-avatar';
  ui.meAvatar.replaceWith(badge);
  ui.meAvatar = badge;
}

// ------------------------------------------------------------------ server messages

function handleServerMessage(m) {
  switch (m.type) {
    case 'system': return onSystem(m);
    case 'presence': return onPresence(m);
    case 'chat': return onChat(m);
    case 'dm': return onDirect(m);
    case 'error': return onError(m);
    case 'rooms': return onRooms(m);
    case 'history': return onHistory(m);
    case 'token': return saveToken(m.resumeToken);
    case 'ack': return state.convs.has(roomKey(m.room)) ? history.ack(state.convs.get(roomKey(m.room)), m) : undefined;
    default: return undefined; // newer servers may send more; ignore what we don't know
  }
}

function onSystem(m) {
  const user = m.user && typeof m.user === 'object' ? m.user : null;
  if (user) state.users.set(user.id, user.username);
  switch (m.event) {
    case 'welcome': return onWelcome(m);
    case 'join': {
      const conv = state.convs.get(roomKey(m.room));
      if (!conv || !user) return;
      if (!conv.members.has(user.id)) conv.total += 1;
      conv.members.set(user.id, user.username);
      notice(conv, `${user.username} joined #${m.room}`, m.timestamp, 'join');
      if (conv === activeConv()) renderMembers();
      return;
    }
    case 'leave': {
      const conv = state.convs.get(roomKey(m.room));
      if (!conv || !user) return;
      if (user.id === state.me.id) {
        removeConv(conv);
        save();
        announce(`You left #${m.room}`);
        return;
      }
      conv.members.delete(user.id);
      conv.total = Math.max(conv.members.size, conv.total - 1);
      notice(conv, `${user.username} left #${m.room}`, m.timestamp, 'leave');
      if (conv === activeConv()) renderMembers();
      return;
    }
    case 'rename': {
      if (!user) return;
      if (user.id === state.me.id) {
        state.me.username = user.username;
        saved.name = user.username; // the name as the server accepted (and cleaned) it
        save();
        renderMe();
      }
      const conv = m.room ? state.convs.get(roomKey(m.room)) : null;
      if (conv) {
        if (conv.members.has(user.id)) conv.members.set(user.id, user.username);
        const who = user.id === state.me.id ? 'You are' : `${m.oldUsername} is`;
        notice(conv, `${who} now known as ${user.username}`, m.timestamp, 'rename');
      } else if (user.id === state.me.id) {
        notice(activeConv(), `You are now known as ${user.username}`, m.timestamp, 'rename');
      }
      renameDm(user);
      if (activeConv() && (activeConv() === conv || activeConv().kind === 'dm')) renderMembers();
      return;
    }
    default:
      if (typeof m.message === 'string') notice(activeConv(), m.message, m.timestamp);
      return undefined;
  }
}

function onWelcome(m) {
  const reconnected = state.convs.size > 0;
  state.me.id = m.clientId;
  state.me.username = m.username;
  if (typeof m.resumeToken === 'string') saveToken(m.resumeToken);
  renderMe();
  if (m.resumed === true) {
    // The same session: its id, name, presence (and, within the window, its rooms) were kept. One message catches
    // every room up, each from its last seq; rooms the server did not keep are joined so.
    const rooms = reconnected ? roomNames() : saved.rooms || [LOBBY];
    connection.send({ type: 'resume', rooms: rooms.map((room) => ({ room, ...history.resumeFields(room) })) });
    history.reconnected();
    history.resendAll();
    if (reconnected) notice(activeConv(), 'Reconnected.', new Date().toISOString(), 'info');
    return;
  }
  // Put the session back as the user left it: their name, then their rooms (the server puts
  // every new connection in the lobby, so a user who had left it leaves it again).
  if (saved.name && saved.name !== m.username) {
    connection.send({ type: 'setUsername', username: saved.name });
  }
  const rooms = reconnected ? roomNames() : saved.rooms || [];
  if ((reconnected || saved.rooms) && !rooms.includes(LOBBY)) {
    state.dropLobby = true;
    connection.send({ type: 'leave', room: LOBBY });
  }
  for (const room of rooms) {
    if (room !== LOBBY) connection.send({ type: 'join', room, ref: `join:${room}`, ...history.resumeFields(room) });
  }
  // The lobby needs no resume: the server joined it at connect and its history answer is filled by paging.
  history.reconnected();
  history.resendAll();
  if (reconnected) notice(activeConv(), 'Reconnected.', new Date().toISOString(), 'info');
}

function onPresence(m) {
  if (typeof m.room !== 'string' || !Array.isArray(m.users)) return;
  if (m.room === LOBBY && state.dropLobby) {
    state.dropLobby = false;
    return;
  }
  let conv = state.convs.get(roomKey(m.room));
  const fresh = !conv;
  if (fresh) conv = createConv('room', m.room, m.room);
  const more = typeof m.ref === 'string' && m.ref.startsWith('who:') && conv.paging;
  if (!more) conv.members = new Map();
  for (const u of m.users) conv.members.set(u.id, u.username);
  conv.total = Number.isInteger(m.total) ? m.total : conv.members.size;
  conv.next = typeof m.next === 'string' ? m.next : null;
  conv.paging = false;
  for (const u of m.users) state.users.set(u.id, u.username);
  if (more) {
    if (conv === activeConv()) renderMembers();
    return;
  }
  const asked = state.joining.delete(m.room);
  if (fresh) save();
  if (!state.active || asked) switchTo(conv.key);
  else if (conv === activeConv()) renderMembers();
}

/** Asks for the next page of the active room's members once the member list is scrolled to its end. */
function maybeNextPage() {
  const conv = activeConv();
  if (!conv || conv.kind !== 'room' || !conv.next || conv.paging) return;
  const box = ui.members;
  if (box.scrollTop + box.clientHeight < box.scrollHeight - 8) return;
  if (connection.send({ type: 'who', room: conv.name, cursor: conv.next, ref: `who:${conv.name}` })) {
    conv.paging = true;
  }
}

/**
 * Remembers a message id so a repeat (a replayed history, a second echo) is not shown twice; bounded like the
 * DOM: ids older than twice the messages kept are forgotten, oldest first (a Set iterates in insertion order).
 */
function rememberId(conv, id) {
  conv.ids.add(id);
  while (conv.ids.size > MAX_ITEMS * 2) conv.ids.delete(conv.ids.values().next().value);
}

function onChat(m) {
  const conv = state.convs.get(roomKey(m.room));
  if (!conv || typeof m.message !== 'string') return;
  state.users.set(m.userId, m.username);
  if (conv.members.has(m.userId)) conv.members.set(m.userId, m.username);
  history.chat(conv, m);
}

function onDirect(m) {
  if (!m.from || typeof m.message !== 'string') return;
  const own = m.from.id === state.me.id;
  const peerId = own ? m.to : m.from.id;
  const peerName = own ? state.users.get(m.to) || m.to : m.from.username;
  state.users.set(m.from.id, m.from.username);
  const conv = state.convs.get(dmKey(peerId)) || createConv('dm', peerId, peerName);
  if (m.id && conv.ids.has(m.id)) return;
  if (m.id) rememberId(conv, m.id);
  const item = messageItem({ id: m.id, userId: m.from.id, username: m.from.username, message: m.message,
    timestamp: m.timestamp }, { own, direct: true });
  if (own && confirmPending(conv, m.message, item)) return;
  append(conv, item, { countUnread: !own, force: own });
  if (!own && conv !== activeConv()) announce(`Direct message from ${m.from.username}`);
}

function onError(m) {
  if (typeof m.ref === 'string' && m.ref.startsWith('who:')) {
    const conv = state.convs.get(roomKey(m.ref.slice(4)));
    if (conv) { conv.paging = false; conv.next = null; }
  }
  const text = explain(m);
  if (typeof m.ref === 'string' && m.ref.startsWith('join:')) state.joining.delete(m.ref.slice(5));
  if (history.refused(m.ref, text)) {
    announce(text);
    return;
  }
  for (const conv of state.convs.values()) {
    const index = conv.pending.findIndex((p) => p.ref === m.ref);
    if (index >= 0) {
      const [pending] = conv.pending.splice(index, 1);
      markFailed(pending.item, text);
      if (conv === activeConv()) announce(text);
      else showError(text);
      return;
    }
  }
  showError(text);
}

function onRooms(m) {
  if (!Array.isArray(m.rooms)) return;
  const list = m.rooms.map((r) => `#${r.name} (${r.members})`).join(', ');
  notice(activeConv(), m.rooms.length ? `Rooms with people in them: ${list}` : 'No rooms have people in them.');
}

/** Stored messages of a room, placed in seq order, each shown once (historyview.js). */
function onHistory(m) {
  const conv = state.convs.get(roomKey(m.room));
  if (conv) history.history(conv, m);
}

// ------------------------------------------------------------------ pending own messages

function confirmPending(conv, text, item) {
  const index = conv.pending.findIndex((p) => p.text === text);
  if (index < 0) return false;
  const [pending] = conv.pending.splice(index, 1);
  pending.item.replaceWith(item);
  return true;
}

function failPending(reason) {
  for (const conv of state.convs.values()) {
    for (const p of conv.pending.splice(0)) markFailed(p.item, reason);
  }
}

function sendText(conv, text) {
  if (conv.kind === 'room') return history.sendText(conv, text);
  const ref = `m${state.nextRef++}`;
  const message = conv.kind === 'room'
    ? { type: 'chat', room: conv.name, content: text, ref }
    : { type: 'dm', to: conv.name, content: text, ref };
  if (!connection.send(message)) return false;
  const item = messageItem({ userId: state.me.id, username: state.me.username, message: text },
    { own: true, pending: true, direct: conv.kind === 'dm' });
  conv.pending.push({ ref, text, item });
  append(conv, item, { force: true });
  return true;
}

// ------------------------------------------------------------------ user actions

function submitInput() {
  const raw = ui.input.value;
  if (raw.trim() === '') return;
  const command = parseInput(raw);
  if (command.kind === 'help') {
    if (activeConv()) append(activeConv(), helpItem(HELP), { force: true });
    clearInput();
    return;
  }
  if (command.kind === 'invalid') {
    showError(command.message);
    return;
  }
  const conv = activeConv();
  if (!connection.connected && !(command.kind === 'chat' && conv && conv.kind === 'room')) {
    announce('Not connected. Your message is kept in the box until the connection is back.');
    return;
  }
  switch (command.kind) {
    case 'chat':
      if (!conv || !sendText(conv, command.text)) return;
      break;
    case 'name':
      connection.send({ type: 'setUsername', username: command.name, ref: 'name' });
      break;
    case 'join':
      joinRoom(command.room);
      break;
    case 'leave': {
      const room = command.room || (conv && conv.kind === 'room' ? conv.name : null);
      if (!room) {
        showError('Type a room after /leave, for example: /leave random');
        return;
      }
      leaveRoom(room);
      break;
    }
    case 'msg': {
      const found = resolveRecipient(command.rest, knownUsers());
      if (found.error) {
        showError(found.error);
        return;
      }
      const dm = openDm(found.user.id, found.user.username);
      sendText(dm, found.text);
      break;
    }
    case 'rooms':
      connection.send({ type: 'rooms' });
      break;
    default:
      return;
  }
  clearInput();
}

function knownUsers() {
  const users = new Map();
  for (const conv of state.convs.values()) {
    if (conv.kind === 'room') for (const [id, name] of conv.members) users.set(id, name);
    else users.set(conv.name, conv.title);
  }
  users.delete(state.me.id);
  return users;
}

function clearInput() {
  ui.input.value = '';
  renderComposer();
}

function joinRoom(room) {
  const existing = state.convs.get(roomKey(room));
  if (existing) {
    switchTo(existing.key);
    return;
  }
  state.joining.add(room);
  connection.send({ type: 'join', room, ref: `join:${room}` });
}

function leaveRoom(room) {
  if (!state.convs.has(roomKey(room))) {
    showError(`You are not in #${room}.`);
    return;
  }
  if (!connection.send({ type: 'leave', room, ref: `leave:${room}` })) {
    showError('Not connected: you can leave the room once the connection is back.');
  }
}

function openDm(id, username) {
  const conv = state.convs.get(dmKey(id)) || createConv('dm', id, username);
  switchTo(conv.key);
  return conv;
}

function closeDm(conv) {
  removeConv(conv);
}

function renameDm(user) {
  const conv = state.convs.get(dmKey(user.id));
  if (!conv || conv.title === user.username) return;
  conv.title = user.username;
  conv.navButton.querySelector('.conv-name').textContent = user.username;
  updateBadge(conv);
  if (conv === activeConv()) renderHeader();
}

function closeSidebarOnNarrow() {
  ui.app.classList.remove('show-sidebar');
  ui.toggleSidebar.setAttribute('aria-expanded', 'false');
}

// ------------------------------------------------------------------ wiring

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  submitInput();
});
ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitInput();
  }
});
ui.input.addEventListener('input', renderComposer);
ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const command = parseInput(`/join ${ui.joinInput.value}`);
  if (command.kind === 'invalid') {
    showError(command.message);
    return;
  }
  if (!connection.connected) {
    showError('Not connected: you can join rooms once the connection is back.');
    return;
  }
  joinRoom(command.room);
  ui.joinInput.value = '';
  ui.input.focus();
});
ui.retry.addEventListener('click', () => connection.retryNow());
ui.members.addEventListener('scroll', maybeNextPage, { passive: true });
ui.jump.addEventListener('click', () => {
  const conv = activeConv();
  if (!conv) return;
  conv.log.scrollTop = conv.log.scrollHeight;
  conv.stick = true;
  ui.jump.hidden = true;
  ui.input.focus();
});
ui.renameButton.addEventListener('click', () => {
  ui.input.value = '/name ';
  ui.input.focus();
  renderComposer();
});
ui.toggleSidebar.addEventListener('click', () => {
  const open = ui.app.classList.toggle('show-sidebar');
  ui.toggleSidebar.setAttribute('aria-expanded', String(open));
});
const narrow = window.matchMedia('(max-width: 900px)');
function renderMembersToggle() {
  const shown = narrow.matches ? ui.app.classList.contains('show-members') : !ui.app.classList.contains('hide-members');
  ui.toggleMembers.setAttribute('aria-expanded', String(shown));
  ui.toggleMembers.setAttribute('aria-label', shown ? 'Hide member list' : 'Show member list');
}
ui.toggleMembers.addEventListener('click', () => {
  ui.app.classList.toggle(narrow.matches ? 'show-members' : 'hide-members');
  renderMembersToggle();
});
narrow.addEventListener('change', renderMembersToggle);
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  if (ui.app.classList.contains('show-sidebar')) closeSidebarOnNarrow();
  if (ui.app.classList.contains('show-members')) {
    ui.app.classList.remove('show-members');
    renderMembersToggle();
  }
});

renderMe();
renderHeader();
renderMembersToggle();
connection.start();
ui.input.focus();
