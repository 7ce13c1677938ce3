// The WebSocket to the page's own server: connects, reports its state truthfully, and reconnects
// forever with capped exponential backoff and jitter.

/** The first reconnect delay before jitter, in milliseconds. */
export const BASE_DELAY_MS = 1000;
/** No reconnect waits longer than this, in milliseconds. */
export const MAX_DELAY_MS = 30000;
/** A connection that lasted this long resets the backoff; one the server keeps cutting short does not. */
export const STABLE_MS = 10000;

/**
 * The wait before reconnect attempt number `attempt` (0 for the first): the exponential step
 * min(cap, base * 2^attempt), then "equal jitter" — a random point in its upper half — so that
 * many clients dropped at once do not all come back in the same instant.
 * A server shedding handshakes answers 503 with Retry-After (--max-pending-handshakes), but a
 * browser's WebSocket cannot read a failed handshake's status or headers: it sees only a close
 * (1006). So this backoff is what spreads the retries; Retry-After: 1 is below every step past
 * the first, which the bench (which can read it) honours with its own jitter.
 */
export function backoffDelay(attempt, random = Math.random) {
  const step = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** The endpoint on the origin that served the page: ws: or wss: to match http: or https:, path /ws. */
export function endpointFor(location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** The close code of a refused or expired token (see docs/protocol.md). */
const UNAUTHORIZED = 4001;
/** The close code the client sends when the browser went offline: the server keeps the session for a resume. */
const BROWSER_OFFLINE = 4000;

/** The endpoint with the session's resume token, when there is one: `?resume=<token>` (see docs/protocol.md). */
export function withResume(url, token) {
  return token ? `${url}${url.includes('?') ? '&' : '?'}resume=${encodeURIComponent(token)}` : url;
}

/**
 * One logical connection that survives drops. Handlers: onMessage(object), onState(state),
 * where state is {name: 'connecting'|'connected'|'reconnecting'|'offline', retryAt?, closeCode?}.
 * `url` is a string or a function giving the URL of each attempt (so a reconnect carries the latest resume token).
 */
export class Connection {
  constructor(url, subprotocol, handlers) {
    this.url = url;
    this.subprotocol = subprotocol;
    this.handlers = handlers;
    this.socket = null;
    this.attempt = 0;
    this.timer = null;
    this.state = { name: 'connecting' };
    this.openedAt = 0;
    this.everConnected = false;
    window.addEventListener('online', () => { if (this.state.name !== 'unauthorized') this.retryNow(); });
    window.addEventListener('offline', () => this.goOffline());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.state.name !== 'unauthorized') this.retryNow();
    });
  }

  get connected() {
    return this.state.name === 'connected';
  }

  start() {
    this.open();
  }

  /** Sends one message; false (and nothing sent) when not connected. */
  send(message) {
    if (!this.connected || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Tries at once, unless connected or already trying. */
  retryNow() {
    if (this.connected || (this.socket && this.socket.readyState === WebSocket.CONNECTING)) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.open();
  }

  /**
   * The browser lost its network: a socket would only die later, silently, so it is closed now and
   * the status says offline until the 'online' event brings a try at once.
   */
  goOffline() {
    clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    this.openedAt = 0;
    // Not 1000: a normal close ends the session at once, while this one should be resumed when the network returns.
    if (socket) socket.close(BROWSER_OFFLINE, 'browser offline');
    this.setState({ name: 'offline' });
  }

  open() {
    this.setState({ name: this.attempt === 0 && !this.everConnected ? 'connecting' : 'reconnecting' });
    let socket;
    try {
      socket = new WebSocket(typeof this.url === 'function' ? this.url() : this.url, this.subprotocol);
    } catch (e) {
      this.scheduleRetry(undefined);
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (socket !== this.socket) return;
      if (socket.protocol !== this.subprotocol) {
        // An older server that does not speak our dialect: say so rather than misbehave.
        socket.close(1000, 'subprotocol not supported');
        return;
      }
      this.openedAt = Date.now();
      this.everConnected = true;
      this.setState({ name: 'connected' });
    });
    socket.addEventListener('message', (event) => {
      if (socket !== this.socket || typeof event.data !== 'string') return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (message && typeof message === 'object') this.handlers.onMessage(message);
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      if (this.openedAt && Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
      this.openedAt = 0;
      this.scheduleRetry(event.code);
    });
  }

  scheduleRetry(closeCode) {
    clearTimeout(this.timer);
    if (closeCode === UNAUTHORIZED) {
      // a refused or expired token does not heal by retrying: stop until the person asks (retryNow)
      this.attempt = 0;
      this.setState({ name: 'unauthorized', closeCode });
      return;
    }
    if (!navigator.onLine) {
      this.setState({ name: 'offline', closeCode });
      return; // the 'online' event brings us back
    }
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.setState({ name: 'reconnecting', retryAt: Date.now() + delay, closeCode });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, delay);
  }

  setState(state) {
    this.state = state;
    this.handlers.onState(state);
  }
}
