// Puts a room's stored history on the page: history answers in seq order, own messages pending until their
// ack, a marker where messages may be missing (with a button to load them), paging back at the top of the log.
// The rules live in roomstore.js; this module only renders what the store answers.
import { h, markFailed, messageItem } from './view.js';

/** Within this many pixels of the top counts as "at the top": older messages are asked for. */
const TOP_PX = 40;

/**
 * Wires a RoomStore to the page. deps: {store, send(frame) -> bool, me() -> {id, username},
 * append(conv, item, opts)} where append is app.js's own (scrolling, unread counts).
 */
export function createHistoryView({ store, send, me, append }) {
  /** clientMsgId -> the pending <li> */
  const pendingItems = new Map();

  function item(c) {
    return messageItem(c, { own: c.userId === me().id });
  }

  /** Inserts a stored message before the first shown message with a higher seq (or at the end). */
  function insertBySeq(conv, li, seq) {
    const later = [...conv.log.children].find((x) => x.dataset.seq && Number(x.dataset.seq) > seq);
    conv.log.insertBefore(li, later || null);
  }

  function gapMarker(conv, before) {
    const old = conv.log.querySelector(`.history-gap[data-before="${before}"]`);
    if (old) return;
    const button = h('button', {
      type: 'button', class: 'history-gap-load', text: 'Load older messages',
      onclick: () => {
        const frame = store.room(conv.name).loadGap(before, store.ref());
        if (frame && send(frame)) marker.remove();
      },
    });
    const marker = h('li', { class: 'notice notice-info history-gap', role: 'note', dataset: { before: String(before) } },
      h('span', { class: 'notice-text', text: 'Some messages may be missing here.' }), ' ', button);
    const at = [...conv.log.children].find((x) => x.dataset.seq && Number(x.dataset.seq) >= before);
    conv.log.insertBefore(marker, at || null);
  }

  /** Keeps the reader's place when older messages are put above what they are reading. */
  function keepPlace(conv, change) {
    const log = conv.log;
    const fromBottom = log.scrollHeight - log.scrollTop;
    change();
    if (conv.stick) log.scrollTop = log.scrollHeight;
    else log.scrollTop = log.scrollHeight - fromBottom;
  }

  return {
    /** Pages back when the reader scrolls to the top of a room's log. */
    attach(conv) {
      conv.log.addEventListener('scroll', () => {
        if (conv.log.scrollTop > TOP_PX || !store.has(conv.name)) return;
        const frame = store.room(conv.name).older(store.ref());
        if (frame) send(frame);
      });
    },

    /** The fields a join adds to resume a room. */
    resumeFields(room) {
      return store.has(room) ? store.room(room).resumeFields() : {};
    },

    /** After the welcome of a new connection: pages in flight are gone; every unacked message is sent again. */
    reconnected() {
      for (const r of store.rooms.values()) r.reconnected();
    },

    resendAll() {
      for (const r of store.rooms.values()) for (const frame of r.unacked()) send(frame);
    },

    history(conv, m) {
      const r = store.room(conv.name);
      const answer = r.history(m, () => store.ref());
      keepPlace(conv, () => {
        if (answer.reset) {
          for (const li of [...conv.log.querySelectorAll('.msg[data-seq]:not([data-seq=""]), .history-gap')]) li.remove();
        }
        for (const c of answer.added) insertBySeq(conv, item(c), c.seq);
        if (answer.gap !== null) gapMarker(conv, answer.gap);
      });
      if (answer.request) send(answer.request);
    },

    chat(conv, m) {
      const { show } = store.room(conv.name).chat(m, me().id);
      if (!show) return;
      const own = show.userId === me().id;
      if (show.seq < store.room(conv.name).lastSeq) insertBySeq(conv, item(show), show.seq);
      else append(conv, item(show), { countUnread: !own, force: own });
    },

    /** Sends an own chat message (now, or after the reconnect when offline); it shows as pending either way. */
    sendText(conv, text) {
      const { clientMsgId, message } = store.room(conv.name).send(text);
      const li = messageItem({ userId: me().id, username: me().username, message: text }, { own: true, pending: true });
      li.dataset.clientMsgId = clientMsgId;
      pendingItems.set(clientMsgId, li);
      append(conv, li, { force: true });
      send(message);
      return true;
    },

    ack(conv, m) {
      const settled = store.room(conv.name).ack(m, me());
      if (!settled) return;
      const li = pendingItems.get(m.clientMsgId);
      pendingItems.delete(m.clientMsgId);
      for (const c of settled.released) insertBySeq(conv, item(c), c.seq);
      if (settled.message) {
        // in seq order: others' messages stored before it may have arrived after the pending line
        if (li) li.remove();
        insertBySeq(conv, item(settled.message), settled.message.seq);
        if (conv.stick) conv.log.scrollTop = conv.log.scrollHeight;
      } else if (li) {
        li.remove(); // already shown (a resume brought it before the duplicate ack)
      }
    },

    /** An error naming a pending message: it is marked not sent and not resent. True when it was one. */
    refused(ref, reason) {
      const r = typeof ref === 'string' ? store.roomOfPending(ref) : null;
      if (!r) return false;
      r.refuse(ref);
      const li = pendingItems.get(ref);
      pendingItems.delete(ref);
      if (li) markFailed(li, reason);
      return true;
    },

    forget(room) {
      const r = store.rooms.get(room);
      if (r) for (const id of r.pending.keys()) pendingItems.delete(id);
      store.forget(room);
    },
  };
}
