/**
 * The live view's own parameters beside the filters (CONTRACT 9): `follow`, `since`,
 * `outputs-of`, and the `token` of a shared link. Like the filters they live in the page's
 * address, so a view is shared by its link. DOM-free: unit-tested from test/.
 */
import { VIEW_PARAMS } from "../../../params.js";

export interface ViewState {
  /** Field reference followed once an event matched (`sessionId`); "" = none. */
  follow: string;
  /** `since=` as sent: a duration (`5m`) or an RFC 3339 time; "" = live. */
  since: string;
  /** Component whose output is shown instead of the sink's input; "" = the sink's input. */
  outputsOf: string;
}

export const EMPTY_VIEW: ViewState = { follow: "", since: "", outputsOf: "" };

/** The view's parameter names (for a shared link, which keeps them). */
export const VIEW_PARAM_NAMES: readonly string[] = VIEW_PARAMS;

const NAMES: Record<(typeof VIEW_PARAMS)[number], keyof ViewState> = { follow: "follow", since: "since", "outputs-of": "outputsOf" };

/** The view parameters of a query string (the last one wins, empty is absent, as on the server). */
export function viewFromQuery(search: string | URLSearchParams): ViewState {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  const view: ViewState = { ...EMPTY_VIEW };
  for (const name of VIEW_PARAMS) {
    const all = params.getAll(name);
    view[NAMES[name]] = all[all.length - 1] ?? "";
  }
  return view;
}

/** Adds the view's parameters to `params` (a copy). */
export function withView(params: URLSearchParams, view: ViewState): URLSearchParams {
  const out = new URLSearchParams(params);
  for (const name of VIEW_PARAMS) {
    const v = view[NAMES[name]];
    if (v !== "") out.set(name, v);
    else out.delete(name);
  }
  return out;
}

/** The since choices the page offers; "time" shows a date-time field. */
export const SINCE_PRESETS = ["5m", "15m", "1h"] as const;
export type SinceChoice = "" | (typeof SINCE_PRESETS)[number] | "time";

/** Which choice a `since` value is (a time, or any other duration, shows as "time" / itself). */
export function sinceChoice(since: string): SinceChoice {
  if (since === "") return "";
  return (SINCE_PRESETS as readonly string[]).includes(since) ? (since as SinceChoice) : "time";
}

/**
 * A `<input type="datetime-local">` value (the browser's local time, no zone) as the RFC 3339
 * UTC time the server takes; undefined when it is not a time.
 */
export function sinceFromLocal(local: string): string | undefined {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?$/.test(local)) return undefined;
  const d = new Date(local);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.000Z$/, "Z");
}

/** An RFC 3339 time as a datetime-local value (local time, to the second); "" when it is not one. */
export function localFromSince(since: string): string {
  const d = new Date(since);
  if (!/^\d{4}-/.test(since) || Number.isNaN(d.getTime())) return "";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * The scope a stream token carries, for display only (the server verifies and enforces it):
 * the token is `base64url(traces.<ms>.<nonce>[.base64url(JSON scope)]).<signature>`.
 * undefined when the token is not of that shape or has no scope.
 */
export function tokenScope(token: string): { scope: string[]; issuedAtMs: number } | undefined {
  const payload = decodeBase64Url(token.split(".")[0] ?? "");
  const m = payload === undefined ? null : /^traces\.(\d{1,15})\.[A-Za-z0-9_-]+(?:\.(?!ttl\d)([A-Za-z0-9_-]+))?(?:\.ttl\d{1,7})?$/.exec(payload);
  if (!m || m[2] === undefined) return undefined;
  try {
    const scope: unknown = JSON.parse(decodeBase64Url(m[2]) ?? "");
    if (!Array.isArray(scope) || !scope.every((s) => typeof s === "string")) return undefined;
    return { scope, issuedAtMs: Number(m[1]) };
  } catch {
    return undefined;
  }
}

function decodeBase64Url(text: string): string | undefined {
  if (text === "" || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** A scope as a person reads it: `domain=example.org&type=smtp.*` -> `domain=example.org, type=smtp.*`. */
export function scopeText(scope: readonly string[]): string {
  return scope.map((s) => [...new URLSearchParams(s)].map(([k, v]) => `${k}=${v}`).join(", ")).join("; ");
}

export interface DroppedRange {
  count: number;
  fromId?: string;
  toId?: string;
}

/** Ranges kept for the status bar's tooltip; the total and the overall range are kept whatever the number. */
export const MAX_DROPPED_RANGES = 20;

/** `dropped` frames added up: the status bar shows `N dropped (ids A..B)`. */
export class DroppedLog {
  total = 0;
  firstId: string | undefined;
  lastId: string | undefined;
  readonly ranges: DroppedRange[] = [];

  /** A `dropped` frame's data; false when it is not one. */
  add(frame: unknown): DroppedRange | undefined {
    if (typeof frame !== "object" || frame === null) return undefined;
    const f = frame as Record<string, unknown>;
    const count = Number(f.count);
    if (!Number.isSafeInteger(count) || count < 0) return undefined;
    const range: DroppedRange = { count };
    if (typeof f.fromId === "string" && typeof f.toId === "string") {
      range.fromId = f.fromId;
      range.toId = f.toId;
      this.firstId ??= f.fromId;
      this.lastId = f.toId;
    }
    this.total += count;
    this.ranges.push(range);
    if (this.ranges.length > MAX_DROPPED_RANGES) this.ranges.shift();
    return range;
  }

  get text(): string {
    const ids = this.firstId === undefined ? "" : ` (ids ${this.firstId}..${this.lastId})`;
    return `${this.total.toLocaleString("en-US")} dropped${ids}`;
  }

  /** One line per range kept, newest last. */
  get details(): string {
    return this.ranges.map((r) => (r.fromId === undefined ? `${r.count}` : `${r.count}: ${r.fromId}..${r.toId}`)).join("\n");
  }

  clear(): void {
    this.total = 0;
    this.firstId = undefined;
    this.lastId = undefined;
    this.ranges.length = 0;
  }
}

export interface TopFrame {
  by: string;
  window: number;
  total: number;
  exact: boolean;
  top: { value: string; count: number }[];
}

/** A `top` frame's data, checked; undefined when malformed. */
export function parseTopFrame(text: string): TopFrame | undefined {
  let f: unknown;
  try {
    f = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof f !== "object" || f === null) return undefined;
  const o = f as Record<string, unknown>;
  if (typeof o.by !== "string" || !Array.isArray(o.top)) return undefined;
  const top = o.top
    .filter((r): r is { value: unknown; count: unknown } => typeof r === "object" && r !== null)
    .map((r) => ({ value: typeof r.value === "string" ? r.value : JSON.stringify(r.value) ?? "", count: Number(r.count) || 0 }));
  return { by: o.by, window: Number(o.window) || 0, total: Number(o.total) || 0, exact: o.exact !== false, top };
}

/** One component of `GET /api/pipeline`. */
export interface PipelineComponent {
  name: string;
  kind: string;
  type: string;
  inputs: string[];
  eventsIn: number;
  eventsOut: number;
  dropped: number;
}

export interface PipelineLayout {
  /** Components by column: column = depth (sources 0, then one more than the deepest input). */
  columns: PipelineComponent[][];
  edges: { from: string; to: string }[];
}

/** The answer of `GET /api/pipeline`, checked; undefined when malformed. */
export function parsePipeline(body: unknown): { components: PipelineComponent[]; tappable: string[] } | undefined {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { components?: unknown }).components)) return undefined;
  const b = body as { components: unknown[]; tappable?: unknown };
  const components: PipelineComponent[] = [];
  for (const c of b.components) {
    if (typeof c !== "object" || c === null) continue;
    const o = c as Record<string, unknown>;
    if (typeof o.name !== "string") continue;
    components.push({
      name: o.name,
      kind: String(o.kind ?? ""),
      type: String(o.type ?? ""),
      inputs: Array.isArray(o.inputs) ? o.inputs.filter((i): i is string => typeof i === "string") : [],
      eventsIn: Number(o.eventsIn) || 0,
      eventsOut: Number(o.eventsOut) || 0,
      dropped: Number(o.dropped) || 0,
    });
  }
  const tappable = Array.isArray(b.tappable) ? b.tappable.filter((t): t is string => typeof t === "string") : [];
  return { components, tappable };
}

/** Columns by depth and one edge per input. An input that names no component is left out. */
export function layoutPipeline(components: readonly PipelineComponent[]): PipelineLayout {
  const byName = new Map(components.map((c) => [c.name, c]));
  const depth = new Map<string, number>();
  const depthOf = (c: PipelineComponent, seen: Set<string>): number => {
    const known = depth.get(c.name);
    if (known !== undefined) return known;
    // A config is a DAG; `seen` only keeps a malformed answer from looping.
    seen.add(c.name);
    let d = 0;
    for (const i of c.inputs) {
      const input = byName.get(i);
      if (input && !seen.has(i)) d = Math.max(d, depthOf(input, seen) + 1);
    }
    depth.set(c.name, d);
    return d;
  };
  const columns: PipelineComponent[][] = [];
  for (const c of components) {
    const d = depthOf(c, new Set());
    (columns[d] ??= []).push(c);
  }
  const edges = components.flatMap((c) => c.inputs.filter((i) => byName.has(i)).map((from) => ({ from, to: c.name })));
  return { columns: columns.filter((col) => col !== undefined), edges };
}

/** Events per second of each component's counters between two answers of `/api/pipeline`. */
export class PipelineRates {
  private last = new Map<string, { atMs: number; eventsIn: number; eventsOut: number }>();

  update(components: readonly PipelineComponent[], nowMs: number): Map<string, { inPerSecond?: number; outPerSecond?: number }> {
    const rates = new Map<string, { inPerSecond?: number; outPerSecond?: number }>();
    const next = new Map<string, { atMs: number; eventsIn: number; eventsOut: number }>();
    for (const c of components) {
      const prev = this.last.get(c.name);
      const s = (nowMs - (prev?.atMs ?? nowMs)) / 1000;
      // A counter that went down is a restarted server: no rate across it.
      const rate = (now: number, before: number | undefined) => (prev && s > 0 && before !== undefined && now >= before ? (now - before) / s : undefined);
      rates.set(c.name, { inPerSecond: rate(c.eventsIn, prev?.eventsIn), outPerSecond: rate(c.eventsOut, prev?.eventsOut) });
      next.set(c.name, { atMs: nowMs, eventsIn: c.eventsIn, eventsOut: c.eventsOut });
    }
    this.last = next;
    return rates;
  }
}
