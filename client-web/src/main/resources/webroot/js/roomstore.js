// What the client knows of each room's stored history: the epoch, the last seq seen, the messages by seq,
// and the user's own messages still waiting for their ack. No DOM here: app.js renders what these
// methods answer, so the rules (resume, gaps, paging, dedup, confirmation by clientMsgId) run in Node tests.

/** The most messages one history request asks for (the server's cap). */
export const PAGE_LIMIT = 200;
/** Pages fetched to close a gap the server could not recover in one answer before a marker is shown instead. */
export const MAX_FILL_PAGES = 5;
/** Messages a room keeps in memory; the oldest are dropped (the page drops them from view too). */
export const MAX_MESSAGES = 1000;

let counter = 0;

/** A clientMsgId (1..64 characters) unique to this page load: a time part, a random part and a counter. */
export function newClientMsgId(random = Math.random, now = Date.now) {
  counter += 1;
  return `c-${now().toString(36)}-${Math.floor(random() * 0x100000000).toString(36)}-${counter}`;
}

function isChat(c) {
  return c && typeof c.message === 'string' && Number.isInteger(c.seq) && c.seq > 0;
}

/** One room's state. */
export class RoomState {
  constructor(room) {
    this.room = room;
    this.epoch = null;
    /** The highest seq seen live or in history: what a resume asks to continue after. */
    this.lastSeq = 0;
    /** seq -> chat message, every message shown. */
    this.bySeq = new Map();
    /** ids of messages shown (a stored message has both id and seq). */
    this.ids = new Set();
    /** clientMsgId -> {clientMsgId, text}: own messages not yet acknowledged, in the order typed. */
    this.pending = new Map();
    /** id -> chat: own live echoes waiting for the ack that names their clientMsgId. */
    this.echoes = new Map();
    /** Whether older messages exist before the oldest shown. */
    this.hasMore = false;
    /** A page request in flight: {ref, kind: 'older'|'fill', target?, pages?}. */
    this.paging = null;
  }

  get oldestSeq() {
    let oldest = null;
    for (const seq of this.bySeq.keys()) if (oldest === null || seq < oldest) oldest = seq;
    return oldest;
  }

  /** The fields a join adds to resume this room: since and epoch once a history answer was seen, else none. */
  resumeFields() {
    return this.epoch !== null ? { since: this.lastSeq, epoch: this.epoch } : {};
  }

  /** Records a stored message; true when it is new (to be shown), false for one already shown. */
  add(c) {
    if (!isChat(c) || this.bySeq.has(c.seq) || (c.id && this.ids.has(c.id))) return false;
    this.bySeq.set(c.seq, c);
    if (c.id) this.ids.add(c.id);
    if (c.seq > this.lastSeq) this.lastSeq = c.seq;
    while (this.bySeq.size > MAX_MESSAGES) {
      const oldest = this.oldestSeq;
      this.ids.delete(this.bySeq.get(oldest).id);
      this.bySeq.delete(oldest);
      this.hasMore = true;
    }
    return true;
  }

  /**
   * A live chat message of this room. Own messages are held until their ack says which pending line they
   * confirm (so the line is replaced, never shown twice); answers {show: chat|null}.
   */
  chat(c, ownId) {
    if (!isChat(c) || this.bySeq.has(c.seq) || (c.id && this.ids.has(c.id))) return { show: null };
    if (ownId && c.userId === ownId && this.pending.size > 0 && c.id) {
      this.echoes.set(c.id, c);
      return { show: null };
    }
    return { show: this.add(c) ? c : null };
  }

  /** Starts an own message: the pending entry and the wire message that sends it. */
  send(text, clientMsgId = newClientMsgId()) {
    this.pending.set(clientMsgId, { clientMsgId, text });
    return { clientMsgId, message: this.wire(clientMsgId) };
  }

  /** The chat frame of a pending message; the clientMsgId doubles as ref so an error names it. */
  wire(clientMsgId) {
    const p = this.pending.get(clientMsgId);
    return { type: 'chat', room: this.room, content: p.text, clientMsgId, ref: clientMsgId };
  }

  /** The frames that (re)send every unacknowledged message, oldest first. */
  unacked() {
    return [...this.pending.keys()].map((id) => this.wire(id));
  }

  /**
   * An ack: the pending entry it settles and the stored message to show in its place, or message null when that
   * message is already shown (a duplicate ack after a resume that brought it), and released: held echoes that
   * turned out not to be this connection's. Unknown clientMsgId: null.
   */
  ack(a, me) {
    const p = this.pending.get(a.clientMsgId);
    if (!p) return null;
    this.pending.delete(a.clientMsgId);
    const echo = this.echoes.get(a.id);
    this.echoes.delete(a.id);
    const stored = echo || {
      type: 'chat', room: this.room, id: a.id, seq: a.seq, userId: me.id, username: me.username, message: p.text,
      timestamp: new Date().toISOString(),
    };
    // This connection's acks come in seq order, each after its echo: a held echo older than this ack is not
    // ours (the same user in another tab) and is shown now.
    const released = [];
    for (const [id, c] of this.echoes) {
      if (c.seq < a.seq) {
        this.echoes.delete(id);
        if (this.add(c)) released.push(c);
      }
    }
    return { pending: p, message: this.add(stored) ? stored : null, released };
  }

  /** An error whose ref is a pending clientMsgId: that entry, removed (it will not be resent), else null. */
  refuse(ref) {
    const p = this.pending.get(ref);
    if (!p) return null;
    this.pending.delete(ref);
    return p;
  }

  /** After a reconnect: a page asked of the old connection will not be answered. */
  reconnected() {
    this.paging = null;
  }

  /** A page request for the messages before the oldest shown, or null when none is due. */
  older(ref) {
    if (this.paging || !this.hasMore) return null;
    const before = this.oldestSeq;
    if (before === null || before <= 1) return null;
    this.paging = { ref, kind: 'older' };
    return { type: 'history', room: this.room, before, limit: 50, ref };
  }

  /**
   * A history answer (on join, on resume or for a page). Answers what to render:
   * {reset, added (oldest first), gap: seq before which messages may be missing | null, request: next frame | null}.
   */
  history(h, nextRef) {
    const messages = Array.isArray(h.messages) ? h.messages.filter(isChat) : [];
    const page = this.paging && h.ref === this.paging.ref ? this.paging : null;
    if (page) this.paging = null;
    let reset = false;
    if (typeof h.epoch === 'string' && this.epoch !== null && h.epoch !== this.epoch) {
      // the server lost or reset this room's history: what we show is not part of it any more
      reset = this.bySeq.size > 0;
      this.bySeq.clear();
      this.ids.clear();
      this.lastSeq = 0;
    }
    // resuming: this room's history was seen before (an empty room has seen seq 0)
    const resuming = this.epoch !== null && !reset;
    const had = this.lastSeq;
    if (typeof h.epoch === 'string') this.epoch = h.epoch;
    const added = messages.filter((c) => this.add(c)).sort((a, b) => a.seq - b.seq);
    const first = messages.length ? Math.min(...messages.map((c) => c.seq)) : null;
    let gap = null;
    let request = null;
    if (page) {
      if (page.kind === 'older') {
        this.hasMore = Boolean(h.hasMore);
      } else if (first !== null && first > page.target + 1) {
        // still short of the gap's start: page on, unless nothing older is kept or enough pages were read
        if (!h.hasMore || page.pages >= MAX_FILL_PAGES) gap = first;
        else request = this.fill(first, page.target, page.pages + 1, nextRef);
      }
      return { reset, added, gap, request };
    }
    if (resuming) {
      if (h.recovered === false || (first !== null && first > had + 1 && h.recovered !== true)) {
        // Not recovered in one answer: the missing stretch is had+1 .. first-1. An answer that says so
        // (recovered:false) gets the marker; a plain join answer (the lobby, joined by the server at
        // connect) is filled by paging back, as long as the gap is small.
        if (h.recovered === false) gap = first !== null && first > had + 1 ? first : null;
        else request = this.fill(first, had, 1, nextRef);
      }
    } else {
      this.hasMore = Boolean(h.hasMore);
    }
    if (reset) gap = first;
    return { reset, added, gap, request };
  }

  fill(before, target, pages, nextRef) {
    const ref = nextRef();
    this.paging = { ref, kind: 'fill', target, pages };
    return { type: 'history', room: this.room, before, limit: Math.min(PAGE_LIMIT, before - target - 1), ref };
  }

  /** Loading older messages from a gap marker: pages back from the gap's first seq. */
  loadGap(before, ref) {
    if (this.paging || before <= 1) return null;
    this.paging = { ref, kind: 'older' };
    return { type: 'history', room: this.room, before, limit: 50, ref };
  }
}

/** Every room's state, by name. */
export class RoomStore {
  constructor() {
    this.rooms = new Map();
    this.nextRef = 1;
  }

  room(name) {
    let r = this.rooms.get(name);
    if (!r) {
      r = new RoomState(name);
      this.rooms.set(name, r);
    }
    return r;
  }

  has(name) {
    return this.rooms.has(name);
  }

  forget(name) {
    this.rooms.delete(name);
  }

  ref() {
    return `h${this.nextRef++}`;
  }

  /** The room a pending clientMsgId belongs to, or null. */
  roomOfPending(clientMsgId) {
    for (const r of this.rooms.values()) if (r.pending.has(clientMsgId)) return r;
    return null;
  }
}
