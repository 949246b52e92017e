import type { Writable } from "node:stream";
import { EventSource, type ErrorEvent, type FetchLike } from "eventsource";
import type { PluginCommand } from "../../../../core/index.js";
import { PATHS } from "../paths.js";
import { formatTopLines, formatTopTable, type TopFrame } from "./top-format.js";

// A bare `http://host:port` URL gets one of the sink's stream paths.
const TRACES_PATH = PATHS.traces;
const METRICS_PATH = PATHS.metrics;
const TOP_PATH = PATHS.top;

export interface TapOptions {
  /** `filter=S`: any data value contains S. */
  filter?: string;
  /** `type=P`: event type, `smtp.*` prefix, comma-separated list. */
  type?: string;
  /** `KEY=VALUE` data key filters, from `--KEY VALUE` (kebab-case names as typed). */
  keys?: ReadonlyArray<readonly [string, string]>;
  /** Metrics stream: `metrics=a,b` ids. */
  metrics?: string;
  /** Metrics stream: `interval=N` seconds. */
  interval?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Resume after this event id, as a reconnect would. */
  lastEventId?: string;
  /** Human one-liners instead of JSON lines. */
  pretty?: boolean;
  /** `follow=FIELD`: once an event matched, the later ones with the same value of FIELD too. */
  follow?: string;
  /** `since=T`: first the retained events since T (RFC 3339 or 90s, 5m, 2h). */
  since?: string;
  /** `outputs-of=NAME`: the output of that component instead of the sink's inputs. */
  outputsOf?: string;
  /** Top stream (`livetap top`): the field counted, how many values, the window in seconds. */
  by?: string;
  top?: string;
  window?: string;
  /** Top stream: redraw one table (a terminal) instead of printing plain lines per frame. */
  table?: boolean;
}

// Statuses that retrying cannot fix: exit 1 and say why (CONTRACT 4: 401 auth, 400 parameters).
const FATAL_STATUSES = new Set([400, 401, 403, 404, 405, 406, 410, 414, 431]);
const MAX_BACKOFF_MS = 30_000;
const DETAILS_MAX_BYTES = 4096;
const DETAILS_TIMEOUT_MS = 2000;
// Ids already printed, to skip a server's overlapping replay after a reconnect; the size of the
// default replay ring.
const SEEN_IDS_MAX = 10_000;

/**
 * The leftover command-line words of `livetap tap` (commander keeps unknown options and
 * operands there, in order): the URL and `--KEY VALUE` / `--KEY=VALUE` key filters.
 */
export function parseTapArgs(args: readonly string[]): { url: string; keys: [string, string][] } | string {
  let url: string | undefined;
  const keys: [string, string][] = [];
  const operand = (a: string): string | undefined => {
    if (url !== undefined) return `unexpected argument "${a}": give one URL; key filters are --KEY VALUE`;
    url = a;
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      for (const rest of args.slice(i + 1)) {
        const e = operand(rest);
        if (e) return e;
      }
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(name)) return `"${a}" is not a key filter (--KEY VALUE, e.g. --remote-ip 192.0.2.7)`;
      if (name === "lastEventId" || name === "last-event-id") return `use --last-event-id ID to resume after an id`;
      const value: string | undefined = eq > 0 ? a.slice(eq + 1) : args[i + 1];
      if (eq < 0) {
        if (value === undefined) return `--${name} needs a value (key filter: --${name} VALUE)`;
        i++;
      }
      keys.push([name, value]);
      continue;
    }
    if (a.startsWith("-") && a.length > 1) return `unknown option "${a}" (key filters are --KEY VALUE)`;
    const e = operand(a);
    if (e) return e;
  }
  if (url === undefined) return "missing URL (e.g. livetap tap http://127.0.0.1:8080)";
  return { url, keys };
}

/** The stream URL with the query built from the options, or a message saying what is wrong. */
export function buildTapUrl(url: string, o: TapOptions): URL | string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL (e.g. http://127.0.0.1:8080${TRACES_PATH})`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return `"${url}" is not an http(s) URL`;
  const topMode = o.by !== undefined;
  const wantsMetrics = o.metrics !== undefined || (o.interval !== undefined && !topMode);
  const wantsTraces = o.filter !== undefined || o.type !== undefined || (o.keys?.length ?? 0) > 0 || o.follow !== undefined || o.since !== undefined || o.outputsOf !== undefined;
  if (u.pathname === "/" || u.pathname === "") u.pathname = topMode ? TOP_PATH : wantsMetrics ? METRICS_PATH : TRACES_PATH;
  const path = u.pathname.replace(/\/+$/, "");
  if (topMode) {
    if (!path.endsWith(TOP_PATH)) return `livetap top reads the top stream (${TOP_PATH})`;
    if (o.metrics !== undefined || o.follow !== undefined || o.since !== undefined) return "--metrics, --follow and --since do not apply to the top stream";
  }
  if (path.endsWith(TRACES_PATH) && wantsMetrics) return "--metrics and --interval apply to the metrics stream (" + METRICS_PATH + ")";
  if (path.endsWith(METRICS_PATH) && wantsTraces) return "--filter, --type, --follow, --since, --outputs-of and key filters apply to the traces stream (" + TRACES_PATH + ")";
  if (o.interval !== undefined && !(o.interval.trim() !== "" && Number.isFinite(Number(o.interval)))) {
    return `--interval "${o.interval}" is not a number of seconds`;
  }
  const q = u.searchParams;
  if (o.filter !== undefined) q.set("filter", o.filter);
  if (o.type !== undefined) q.set("type", o.type);
  for (const [k, v] of o.keys ?? []) q.set(k, v);
  if (o.metrics !== undefined) q.set("metrics", o.metrics);
  if (o.interval !== undefined) q.set("interval", o.interval.trim());
  if (o.follow !== undefined) q.set("follow", o.follow);
  if (o.since !== undefined) q.set("since", o.since);
  if (o.outputsOf !== undefined) q.set("outputs-of", o.outputsOf);
  if (o.by !== undefined) q.set("by", o.by);
  if (o.top !== undefined) q.set("top", o.top);
  if (o.window !== undefined) q.set("window", o.window);
  return u;
}

function redacted(u: URL): string {
  if (!u.searchParams.has("token")) return u.href;
  const c = new URL(u.href);
  c.searchParams.set("token", "***");
  return c.href;
}

function prettyValue(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** `--pretty` line of one event: time, type, text, key=value... */
export function formatPrettyEvent(e: unknown): string {
  if (typeof e !== "object" || e === null || Array.isArray(e)) return JSON.stringify(e);
  const { createdAt, type, text, data } = e as Record<string, unknown>;
  const parts = [String(createdAt ?? "-"), String(type ?? "-")];
  if (typeof text === "string" && text !== "") parts.push(text);
  if (typeof data === "object" && data !== null && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data)) parts.push(`${k}=${prettyValue(v)}`);
  }
  return parts.join(" ");
}

/** `--pretty` line of one metric sample. */
export function formatPrettySample(s: unknown): string {
  if (typeof s !== "object" || s === null || Array.isArray(s)) return JSON.stringify(s);
  const { id, type, ...rest } = s as Record<string, unknown>;
  const fields = "value" in rest && Object.keys(rest).length === 1
    ? [prettyValue(rest.value)]
    : Object.entries(rest).map(([k, v]) => `${k}=${prettyValue(v)}`);
  return [String(id ?? "-"), String(type ?? "-"), ...fields].join(" ");
}

interface HttpFailure {
  status: number;
  statusText: string;
  details: string;
  retryAfter: string | null;
}

async function readDetails(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  // A body that never ends must not hold up the error message.
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DETAILS_TIMEOUT_MS)));
  try {
    const read = (async () => {
      while (size < DETAILS_MAX_BYTES) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.length;
      }
    })();
    await Promise.race([read, timeout]);
  } catch {
    // A reset while reading the error body: what we have is enough.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).toString("utf8").slice(0, DETAILS_MAX_BYTES);
  try {
    const j = JSON.parse(text) as { error?: unknown; details?: unknown };
    const parts = [j.error, j.details].filter((x): x is string => typeof x === "string" && x !== "");
    if (parts.length > 0) return parts.join(": ");
  } catch {
    // not JSON: the text itself
  }
  return text.trim().split(/\r?\n/)[0]?.slice(0, 300) ?? "";
}

function fatalMessage(f: HttpFailure, u: URL, hasToken: boolean): string {
  const head = `${f.status}${f.statusText ? ` ${f.statusText}` : ""} from ${redacted(u)}`;
  const details = f.details ? `: ${f.details}` : "";
  switch (f.status) {
    case 401:
      return `${head}${details} (${hasToken ? "the server did not accept --token" : "give credentials with --token TOKEN or LIVETAP_TOKEN"})`;
    case 404:
      return `${head}${details} (livetap streams are ${TRACES_PATH} and ${METRICS_PATH})`;
    default:
      return `${head}${details}`;
  }
}

function retryDelayMs(f: HttpFailure | undefined, attempt: number): number {
  const ra = f?.retryAfter?.trim();
  if (ra && /^\d+(\.\d+)?$/.test(ra)) return Math.min(Math.max(Number(ra) * 1000, 100), 300_000);
  return Math.min(1000 * 2 ** attempt, MAX_BACKOFF_MS);
}

/**
 * `livetap tap` without process globals: connects, prints until `signal` aborts (then 0), or
 * until the server answers with a status retrying cannot fix (then 1, with the reason on
 * `err`). Reconnects with `Last-Event-ID` after drops (EventSource itself for network drops;
 * a new EventSource with our last id after 5xx/429).
 */
export function runTap(url: string, o: TapOptions, out: Writable, err: Writable, signal: AbortSignal): Promise<number> {
  const log = (msg: string) => err.write(`tap: ${msg}\n`);
  const target = buildTapUrl(url, o);
  if (typeof target === "string") {
    log(target);
    return Promise.resolve(1);
  }
  const shown = redacted(target);

  return new Promise<number>((resolve) => {
    let es: EventSource | undefined;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let lastId = o.lastEventId;
    let failure: HttpFailure | undefined;
    let attempt = 0;
    let connections = 0;
    const seen = new Set<string>();

    const finish = (code: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      es?.close();
      signal.removeEventListener("abort", onAbort);
      out.off("error", onOutError);
      resolve(code);
    };
    const onAbort = () => finish(0);
    // EPIPE (`livetap tap URL | head`): the reader is gone, that is a normal end.
    const onOutError = () => finish(0);
    signal.addEventListener("abort", onAbort, { once: true });
    out.on("error", onOutError);
    if (signal.aborted) return finish(0);

    const tapFetch: FetchLike = async (u, init) => {
      const headers: Record<string, string> = { ...init.headers };
      if (o.token) headers.Authorization = `Bearer ${o.token}`;
      // A fresh EventSource (after a 5xx) does not know the id the previous one had reached.
      if (!headers["Last-Event-ID"] && lastId) headers["Last-Event-ID"] = lastId;
      const resume = headers["Last-Event-ID"] ? ` (Last-Event-ID: ${headers["Last-Event-ID"]})` : "";
      log(`${connections++ === 0 ? "connecting to" : "reconnecting to"} ${shown}${resume}`);
      const res = await fetch(u, { ...init, headers } as RequestInit);
      failure =
        res.status === 200
          ? undefined
          : { status: res.status, statusText: res.statusText, details: await readDetails(res), retryAfter: res.headers.get("retry-after") };
      return res;
    };

    const noteId = (e: MessageEvent) => {
      if (e.lastEventId) lastId = e.lastEventId;
    };
    const parse = (e: MessageEvent, what: string): unknown[] | undefined => {
      try {
        const v: unknown = JSON.parse(String(e.data));
        return Array.isArray(v) ? v : [v];
      } catch {
        log(`ignored a ${what} frame that is not JSON${e.lastEventId ? ` (id ${e.lastEventId})` : ""}`);
        return undefined;
      }
    };
    const firstTime = (ev: unknown): boolean => {
      const id = typeof ev === "object" && ev !== null ? (ev as { id?: unknown }).id : undefined;
      if (typeof id !== "string") return true;
      if (seen.has(id)) return false;
      if (seen.size >= SEEN_IDS_MAX) seen.delete(seen.values().next().value!);
      seen.add(id);
      return true;
    };
    const onTrace = (e: MessageEvent) => {
      noteId(e);
      const events = parse(e, "trace");
      if (!events) return;
      let text = "";
      for (const ev of events) if (firstTime(ev)) text += `${o.pretty ? formatPrettyEvent(ev) : JSON.stringify(ev)}\n`;
      if (text) out.write(text);
    };
    const onMetrics = (e: MessageEvent) => {
      noteId(e);
      const samples = parse(e, "metrics");
      if (!samples) return;
      let text = "";
      for (const s of samples) text += `${o.pretty ? formatPrettySample(s) : JSON.stringify(s)}\n`;
      if (text) out.write(text);
    };
    const onTop = (e: MessageEvent) => {
      const frame = parse(e, "top")?.[0] as TopFrame | undefined;
      if (!frame || !Array.isArray(frame.top)) return;
      out.write(o.table ? formatTopTable(frame) : formatTopLines(frame));
    };
    const onGap = (e: MessageEvent) => {
      noteId(e);
      log("gap: the server no longer had the events after our last id; some events were missed");
    };
    const onDropped = (e: MessageEvent) => {
      noteId(e);
      const d = parse(e, "dropped")?.[0] as { count?: unknown; fromId?: unknown; toId?: unknown } | undefined;
      const range = typeof d?.fromId === "string" && typeof d?.toId === "string" ? ` (ids ${d.fromId} to ${d.toId})` : "";
      log(`dropped: the server dropped ${typeof d?.count === "number" ? d.count : "some"} events${range} because this client fell behind`);
    };

    const connect = () => {
      if (done) return;
      const source = new EventSource(target, { fetch: tapFetch });
      es = source;
      source.addEventListener("open", () => {
        attempt = 0;
        log(`connected to ${shown}`);
      });
      source.addEventListener("trace", onTrace);
      source.addEventListener("message", onTrace);
      source.addEventListener("metrics", onMetrics);
      source.addEventListener("top", onTop);
      source.addEventListener("gap", onGap);
      source.addEventListener("dropped", onDropped);
      source.addEventListener("ping", noteId);
      source.addEventListener("error", (e: ErrorEvent) => {
        if (done || es !== source) return;
        if (source.readyState === EventSource.CONNECTING) {
          // Dropped or refused: EventSource retries by itself, sending Last-Event-ID.
          log(e.message ? `connection failed: ${e.message}; retrying` : "connection closed by the server; reconnecting");
          return;
        }
        // CLOSED: EventSource gives up on any non-200 answer; we decide.
        source.close();
        const status = failure?.status ?? e.code;
        if (status === 204) {
          log("the server ended the stream (204 No Content)");
          return finish(0);
        }
        if (status === 200 || status === undefined) {
          log(`${shown} is not an event stream: ${e.message ?? "unexpected answer"}`);
          return finish(1);
        }
        if (FATAL_STATUSES.has(status)) {
          log(fatalMessage(failure ?? { status, statusText: "", details: e.message ?? "", retryAfter: null }, target, !!o.token));
          return finish(1);
        }
        const delay = retryDelayMs(failure, attempt++);
        log(`server answered ${status}${failure?.details ? `: ${failure.details}` : ""}; retrying in ${(delay / 1000).toFixed(1)} s`);
        timer = setTimeout(connect, delay);
      });
    };
    connect();
  });
}

/** `livetap tap`, contributed by the sse sink (its client). */
export function tapCommand(run: typeof runTap = runTap): PluginCommand {
  return {
    name: "tap",
    description: "connect to a live stream and print its events as JSON lines; reconnects with Last-Event-ID after a drop",
    arguments: [
      {
        name: "<url>",
        description: `stream URL, e.g. http://127.0.0.1:8080${TRACES_PATH} (a bare http://host:port picks the traces stream, or the metrics one with --metrics/--interval)`,
      },
    ],
    options: [
      { flags: "--filter <text>", description: "keep events with any data value containing text" },
      { flags: "--type <types>", description: "event type, prefix (smtp.*) or comma-separated list" },
      { flags: "--metrics <ids>", description: "metrics stream: comma-separated metric ids (id* is a prefix)" },
      { flags: "--interval <seconds>", description: "metrics stream: seconds between frames (at least 1)" },
      { flags: "--token <token>", description: "send Authorization: Bearer <token>", env: "LIVETAP_TOKEN" },
      { flags: "--last-event-id <id>", description: "start after this event id, as a reconnect would" },
      { flags: "--follow <field>", description: "once an event matches, also the later ones with the same value of field (sessionId, spanId)" },
      { flags: "--since <time>", description: "start with the retained events since an RFC 3339 time or a duration back (90s, 5m, 2h)" },
      { flags: "--outputs-of <name>", description: "the output of that component (sources.x, operators.x or a bare name) instead of the sink's inputs" },
      { flags: "--pretty", description: "human one-liners (time type text key=value) instead of JSON lines" },
    ],
    // The leftover words are the URL and --KEY VALUE key filters (parseTapArgs).
    passThrough: true,
    helpAfter:
      "\nAny other --KEY VALUE is a data key filter (--remote-ip 192.0.2.7 keeps events whose data.remoteIp contains it).\n" +
      "Events go to stdout; connection state, gaps and drops to stderr. Exits 0 on Ctrl-C, 1 on 400/401/404.\n\n" +
      "Examples:\n" +
      "  livetap tap http://127.0.0.1:8080 --type 'smtp.*' --remote-ip 192.0.2.7 --pretty\n" +
      "  livetap tap http://127.0.0.1:8080 --remote-ip 192.0.2.99 --follow sessionId --since 15m\n" +
      "  livetap tap http://127.0.0.1:8080 --outputs-of operators.no-debug --type 'auth.*'\n" +
      "  livetap tap http://127.0.0.1:8080 --metrics 'events.*,server.memory' --interval 5\n",
    action: async (ctx) => {
      const parsed = parseTapArgs(ctx.args);
      if (typeof parsed === "string") return ctx.usageError(parsed);
      const opts = ctx.options as Omit<TapOptions, "keys">;
      return run(parsed.url, { ...opts, keys: parsed.keys }, ctx.stdout, ctx.stderr, ctx.interrupted());
    },
  };
}
