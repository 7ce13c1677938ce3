// Builds the DOM for messages, notices and people. User-supplied text only ever becomes text nodes
// (append/textContent) or plain attribute values; nothing here parses HTML.

/** Creates an element: props set attributes (class, text, dataset, on* listeners); children are nodes or text. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

const HUES = 8;

/** A stable colour class for a user id. */
export function hueClass(id) {
  let hash = 0;
  for (const ch of String(id)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return `hue-${hash % HUES}`;
}

/** A round badge with the first letter of a name. */
export function avatar(id, username) {
  const first = Array.from(String(username || '?').trim())[0] || '?';
  return h('span', { class: `avatar ${hueClass(id)}`, 'aria-hidden': 'true', text: first.toUpperCase() });
}

/** The local time of an ISO timestamp as a <time> element (hours and minutes; the full date on hover). */
export function timeElement(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('time', { class: 'msg-time' });
  return h('time', {
    class: 'msg-time',
    datetime: date.toISOString(),
    title: date.toLocaleString(),
    text: date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
  });
}

/**
 * A chat or direct message. m: {id?, seq?, userId, username, message, timestamp?}; opts: {own, direct,
 * pending}. A pending message has no timestamp yet: it shows "Sending…" until the server's echo replaces it.
 */
export function messageItem(m, opts = {}) {
  const classes = ['msg'];
  if (opts.own) classes.push('own');
  if (opts.direct) classes.push('direct');
  if (opts.pending) classes.push('pending');
  const meta = h('div', { class: 'msg-meta' },
    h('span', { class: 'msg-author', text: m.username }),
    opts.direct ? h('span', { class: 'msg-tag', text: opts.directLabel || 'direct message' }) : null,
    opts.pending ? h('span', { class: 'msg-state', text: 'Sending…' }) : timeElement(m.timestamp));
  return h('li', {
    class: classes.join(' '),
    dataset: { id: m.id || '', seq: m.seq ?? '', user: m.userId || '' },
  },
  avatar(m.userId, m.username),
  h('div', { class: 'msg-body' }, meta, h('p', { class: 'msg-text', text: m.message })));
}

/** Marks a pending message as not sent, with the reason. */
export function markFailed(item, reason) {
  item.classList.remove('pending');
  item.classList.add('failed');
  const state = item.querySelector('.msg-state');
  if (state) state.textContent = 'Not sent';
  item.querySelector('.msg-body').append(h('p', { class: 'msg-error', text: reason }));
}

/** A one-line notice (someone joined, left, renamed), with its time. */
export function noticeItem(text, timestamp, kind = 'info') {
  return h('li', { class: `notice notice-${kind}` },
    h('span', { class: 'notice-text', text }),
    timestamp ? timeElement(timestamp) : null);
}

/** An error shown inline where the user is looking. */
export function errorItem(text) {
  return h('li', { class: 'notice notice-error' }, h('span', { class: 'notice-text', text }));
}

/** The /help list. */
export function helpItem(entries) {
  return h('li', { class: 'notice notice-help' },
    h('span', { class: 'notice-text', text: 'Commands:' }),
    h('dl', { class: 'help-list' }, ...entries.flatMap(([command, what]) => [
      h('dt', {}, h('kbd', { text: command })),
      h('dd', { text: what }),
    ])));
}
