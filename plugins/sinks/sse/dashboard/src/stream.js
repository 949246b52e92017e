// @ts-check
/**
 * One live endpoint over EventSource, kept open: fresh `?token=` before every connect (with
 * auth), `lastEventId` in the query so a reconnect resumes without loss (CONTRACT 4
 * "Reconnect"), backoff between attempts, and a readable state for the status bar.
 *
 * The browser's own EventSource retry is not used: it would reuse the first URL, and so a
 * token that may have expired, and it cannot tell a 400 (fix the filter) from a 503 (wait).
 */
import { apiFetch, errorDetails, retryAfterSeconds } from "./auth.js";
import { streamUrl } from "./lib/query.ts";

/** @import { Auth, StreamKind } from "./auth.js" */
/** @typedef {"connecting" | "open" | "retrying" | "signin" | "failed" | "stopped"} Phase */
/** @typedef {{ phase: Phase, detail?: string, attempt: number, retryAtMs?: number }} StreamState */

/**
 * An id older than any the server retains: it answers with a `gap` frame and then its whole
 * replay ring (filtered), which is how the page shows recent history on load and on a filter
 * change. That gap is expected and not reported.
 */
export const BACKFILL_ID = "0-0";

const BACKOFF_MS = [500, 1000, 2000, 5000, 10000, 15000];

export class LiveStream {
  /**
   * @param {{
   *   kind: StreamKind,
   *   path: string,
   *   auth: Auth,
   *   query: () => URLSearchParams,
   *   on: Record<string, (ev: MessageEvent<string>) => void>,
   *   onState: (state: StreamState) => void,
   * }} o
   */
  constructor(o) {
    this.o = o;
    /** Bumped by every restart/stop: callbacks of an older connection do nothing. */
    this.generation = 0;
    /** @type {EventSource | undefined} */
    this.es = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.attempt = 0;
    /** @type {string | undefined} id of the last `trace` frame received */
    this.lastEventId = undefined;
    this.backfill = false;
    this.expectGap = false;
    /** @type {StreamState} */
    this.state = { phase: "connecting", attempt: 0 };
    window.addEventListener("online", () => {
      if (this.state.phase === "retrying") this.reconnectNow();
    });
  }

  /**
   * (Re)connects now with the current query.
   * @param {{ backfill?: boolean, fresh?: boolean }} [opts] backfill: forget the position and ask for the
   *   server's retained events; fresh: forget the position only (a `since=` query says where to start,
   *   and an id would win over it)
   */
  restart(opts = {}) {
    if (opts.backfill || opts.fresh) {
      this.lastEventId = undefined;
      this.backfill = Boolean(opts.backfill);
    }
    this.attempt = 0;
    this.reconnectNow();
  }

  /** Connects again at once, resuming where the stream was. */
  reconnectNow() {
    const gen = this.close();
    void this.connect(gen);
  }

  stop() {
    this.close();
    this.setState({ phase: "stopped", attempt: 0 });
  }

  /** @returns {number} the new generation */
  close() {
    clearTimeout(this.timer);
    this.es?.close();
    this.es = undefined;
    return ++this.generation;
  }

  /** @param {StreamState} state */
  setState(state) {
    this.state = state;
    this.o.onState(state);
  }

  /** @param {number} gen */
  async connect(gen) {
    this.setState({ phase: this.attempt === 0 ? "connecting" : "retrying", attempt: this.attempt });
    const t = await this.o.auth.token(this.o.kind);
    if (gen !== this.generation) return;
    if (!("token" in t)) {
      if (t.status === 403) return this.fail(t.details ?? "not allowed with these credentials");
      if (t.status === 401) return this.signIn(gen);
      return this.retry(gen, t.retryAfterS, t.details ?? `token endpoint answered ${t.status}`);
    }
    const lastEventId = this.lastEventId ?? (this.backfill ? BACKFILL_ID : undefined);
    this.expectGap = lastEventId === BACKFILL_ID;
    const url = streamUrl(this.o.path, this.o.query(), { lastEventId, token: t.token });
    const es = new EventSource(url);
    this.es = es;
    let opened = false;
    es.onopen = () => {
      if (gen !== this.generation) return;
      opened = true;
      this.attempt = 0;
      this.setState({ phase: "open", attempt: 0 });
    };
    es.onerror = () => {
      if (gen !== this.generation) return;
      es.close();
      if (opened) this.retry(gen, undefined, "connection lost");
      else void this.diagnose(gen, url);
    };
    es.addEventListener("trace", (ev) => {
      if (gen !== this.generation) return;
      this.expectGap = false;
      this.backfill = false;
      if (ev.lastEventId) this.lastEventId = ev.lastEventId;
      this.o.on.trace?.(ev);
    });
    es.addEventListener("gap", (ev) => {
      if (gen !== this.generation) return;
      if (this.expectGap) {
        this.expectGap = false;
        return;
      }
      this.o.on.gap?.(ev);
    });
    for (const [name, fn] of Object.entries(this.o.on)) {
      if (name === "trace" || name === "gap") continue;
      es.addEventListener(name, (ev) => {
        if (gen === this.generation) fn(/** @type {MessageEvent<string>} */ (ev));
      });
    }
  }

  /**
   * Retrying cannot help (a bad query, a forbidden stream): says why and waits for a change.
   * @param {string} detail
   */
  fail(detail) {
    this.setState({ phase: "failed", attempt: this.attempt, detail });
  }

  /** @param {number} gen */
  async signIn(gen) {
    this.setState({ phase: "signin", attempt: this.attempt, detail: "sign in required" });
    await this.o.auth.signIn();
    if (gen === this.generation) void this.connect(gen);
  }

  /**
   * The stream failed before it opened: EventSource does not say why, so ask once with fetch
   * (a 200 is a stream: it is dropped at once) and act on the status.
   * @param {number} gen
   * @param {string} url
   */
  async diagnose(gen, url) {
    const ctl = new AbortController();
    let res;
    try {
      res = await apiFetch(url, this.o.auth.authorization, ctl.signal);
    } catch {
      if (gen === this.generation) this.retry(gen, undefined, "server unreachable");
      return;
    }
    if (res.ok) {
      ctl.abort();
      if (gen === this.generation) this.retry(gen, undefined, "stream refused by the browser");
      return;
    }
    const details = await errorDetails(res);
    if (gen !== this.generation) return;
    if (res.status === 403) return this.fail(details ?? "not allowed with these credentials");
    if (res.status === 401 && this.o.auth.linkToken !== undefined) {
      return this.fail(`this shared link no longer opens the stream (${details ?? "token not accepted"}): ask for a new link`);
    }
    if (res.status === 401) {
      if (!this.o.auth.required) return this.signIn(gen);
      return this.retry(gen, undefined, details ?? "token not accepted");
    }
    if (res.status === 400) return this.fail(details ?? "the server rejected the query");
    this.retry(gen, retryAfterSeconds(res), details ?? `server answered ${res.status}`);
  }

  /**
   * @param {number} gen
   * @param {number | undefined} retryAfterS
   * @param {string} detail
   */
  retry(gen, retryAfterS, detail) {
    if (gen !== this.generation) return;
    const base = retryAfterS !== undefined ? retryAfterS * 1000 : BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    // Jitter: after a server restart, many open pages do not all come back in the same instant.
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt++;
    this.setState({ phase: "retrying", attempt: this.attempt, detail, retryAtMs: Date.now() + delay });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (gen === this.generation) void this.connect(gen);
    }, delay);
  }
}
