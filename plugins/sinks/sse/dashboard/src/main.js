// @ts-check
/**
 * livetap's dashboard: live events (filtered, followed, from a time or another component,
 * paused, inspected), live metrics, top values and the pipeline's graph, from the `sse` sink
 * that serves this page. Every URL is relative, so the page works behind any host, port or
 * path prefix.
 */
import { apiFetch, Auth } from "./auth.js";
import { byId } from "./dom.js";
import { EventDetail, EventList } from "./events-view.js";
import { FilterForm } from "./filters-view.js";
import { MetricsView } from "./metrics-view.js";
import { PipelineView } from "./pipeline-view.js";
import { ShareLink } from "./share.js";
import { StatusBar } from "./status.js";
import { LiveStream } from "./stream.js";
import { TopView } from "./top-view.js";
import { ViewControls } from "./view-controls.js";
import { EventStore, Marker, MAX_ROWS } from "./lib/store.ts";
import { keyToParam } from "./lib/query.ts";
import { tokenScope, viewFromQuery } from "./lib/view.ts";
import { PATHS } from "../../paths.ts";

// Relative (no leading slash): the page works behind any path prefix.
const TRACES_PATH = PATHS.traces.slice(1);
const METRICS_PATH = PATHS.metrics.slice(1);

// A page opened from a shared link streams with the link's scoped token, and nothing else.
const pageQuery = new URLSearchParams(location.search);
const linkToken = pageQuery.getAll("token").at(-1) || undefined;
const authMeta = document.querySelector('meta[name="livetap-auth"]');
const auth = new Auth(authMeta?.getAttribute("content") === "on", linkToken);
const status = new StatusBar();
if (linkToken !== undefined) status.scope(tokenScope(linkToken)?.scope ?? ["the link's (unreadable here; the server enforces it)"]);
const store = new EventStore();
const app = byId("app", HTMLElement);
const pauseButton = byId("pause", HTMLButtonElement);
const counts = byId("counts", HTMLElement);
byId("cap", HTMLElement).textContent = `newest ${MAX_ROWS.toLocaleString("en-US")} kept`;

const view = new ViewControls({ onChange: () => filters.apply() });
const filters = new FilterForm({
  view,
  pinned: linkToken === undefined ? new URLSearchParams() : new URLSearchParams({ token: linkToken }),
  onApply: (query) => {
    // The list shows what matches the filter: start it again from the server's recent events
    // (or from `since`, which the server answers from its ring: no backfill id then).
    if (store.paused) setPaused(false);
    detail.close();
    store.clear();
    status.reset();
    list.setEmptyText("Waiting for matching events…");
    events.restart(query.has("since") ? { fresh: true } : { backfill: true });
    top.restart();
    refresh();
  },
});

const detail = new EventDetail({
  onFilterKey: (key, value) => filters.addKeyFilter(key, value),
  onFollowKey: (key, value) => filters.followKey(key, value),
  onClose: () => list.list.focus({ preventScroll: true }),
});
const list = new EventList(store, { onOpen: (e) => detail.show(e) });

const events = new LiveStream({
  kind: "traces",
  path: TRACES_PATH,
  auth,
  query: () => filters.applied,
  on: {
    trace: (ev) => {
      let batch;
      try {
        batch = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (store.addEvents(batch, Date.now()) > 0) refresh();
    },
    gap: () => {
      // Before the first event of a `since=` stream, a gap says the server's events do not reach back that far.
      const older = events.lastEventId === undefined && filters.applied.has("since");
      store.addMarker(new Marker(older ? "older" : "gap", 0, Date.now()));
      status.gap(Date.now());
      refresh();
    },
    dropped: (ev) => {
      const range = status.dropped(safeJson(ev.data));
      if (!range) return;
      const ids = range.fromId !== undefined && range.toId !== undefined ? { fromId: range.fromId, toId: range.toId } : undefined;
      store.addMarker(new Marker("dropped", range.count, Date.now(), ids));
      refresh();
    },
  },
  onState: (s) => {
    status.stream("events", s);
    if (s.phase === "failed" && s.detail) filters.rejected(s.detail);
  },
});

/** The top stream and the picker take the list's filters and its component, not follow or since. */
const listQuery = () => {
  const q = new URLSearchParams(filters.appliedFilters);
  const of = viewFromQuery(filters.applied).outputsOf;
  if (of !== "") q.set("outputs-of", of);
  return q;
};
const top = new TopView({
  path: PATHS.top.slice(1),
  auth,
  query: listQuery,
  onPick: (field, value) => {
    if (field === "type") filters.setTypes(value);
    // `text` and `id` alone are the event's own fields, which key filters cannot name (CONTRACT 6).
    else if (field !== "text" && field !== "id" && keyToParam(field) !== undefined) filters.addKeyFilter(field, value);
    else filters.say(`"${field}" is not a top-level data key: the event list cannot filter on it`, true);
  },
});
const pipeline = new PipelineView({
  path: PATHS.pipeline.slice(1),
  auth,
  onTappable: (names) => view.offer(names),
  onTap: (path) => {
    view.setOutputs(path);
    filters.apply();
    showView("events");
  },
});
new ShareLink({ auth, filters: () => filters.appliedFilters, view: () => filters.applied, say: (text, bad) => filters.say(text, bad) });

const metricsView = new MetricsView({ onInterval: () => metrics.restart() });
const metrics = new LiveStream({
  kind: "metrics",
  path: METRICS_PATH,
  auth,
  query: () => metricsView.query(),
  on: { metrics: (ev) => metricsView.ingest(ev.data) },
  onState: (s) => {
    status.stream("metrics", s);
    if (s.phase === "open") metricsView.connected();
  },
});

/** @param {string} text */
function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

let countsFrame = 0;
/** Redraws the list and the counters, at most once per frame. */
function refresh() {
  list.invalidate();
  if (countsFrame) return;
  countsFrame = requestAnimationFrame(() => {
    countsFrame = 0;
    const rows = store.rows.size;
    counts.dataset.rows = String(rows);
    counts.textContent = `${rows.toLocaleString("en-US")} event${rows === 1 ? "" : "s"}`;
    status.paused(store.paused, store.heldEvents);
    filters.suggest(store.knownKeys, store.knownTypes);
  });
}

/** @param {boolean} paused */
function setPaused(paused) {
  if (paused) store.pause();
  else store.resume();
  pauseButton.setAttribute("aria-pressed", String(paused));
  pauseButton.textContent = paused ? "Resume" : "Pause";
  refresh();
}

pauseButton.addEventListener("click", () => setPaused(!store.paused));
byId("clear", HTMLButtonElement).addEventListener("click", () => {
  detail.close();
  store.clear();
  status.reset();
  list.setEmptyText("Cleared. Waiting for new events…");
  refresh();
});
document.addEventListener("keydown", (e) => {
  const target = /** @type {HTMLElement} */ (e.target);
  if (e.ctrlKey || e.metaKey || e.altKey || target.closest("input, select, textarea, dialog")) return;
  if (e.key === "p") setPaused(!store.paused);
  else if (e.key === "/") {
    e.preventDefault();
    byId("f-filter", HTMLInputElement).focus();
  } else if (e.key === "Escape" && detail.open) detail.close();
});

// The events pill and the metrics pill reconnect on click (after a failure, or to skip a wait).
status.events.addEventListener("click", () => events.reconnectNow());
status.metrics.addEventListener("click", () => metrics.reconnectNow());

// Narrow windows show one pane at a time.
/** @param {"events" | "metrics"} which */
function showView(which) {
  app.dataset.view = which;
  byId("tab-events", HTMLButtonElement).setAttribute("aria-pressed", String(which === "events"));
  byId("tab-metrics", HTMLButtonElement).setAttribute("aria-pressed", String(which === "metrics"));
  if (which === "metrics") metricsView.resize();
  else list.invalidate();
}

/** @typedef {"metrics" | "top" | "pipeline"} Side */
const SIDES = /** @type {Side[]} */ (["metrics", "top", "pipeline"]);
/**
 * The side panel shows one of metrics, top values and the pipeline; top and pipeline work
 * only while shown. The choice is in the address's #fragment (`side=top`).
 * @param {Side} side
 */
function showSide(side) {
  app.dataset.side = side;
  for (const s of SIDES) {
    byId(`side-${s}`, HTMLButtonElement).setAttribute("aria-pressed", String(s === side));
    byId(`${s}-pane`, HTMLElement).hidden = s !== side;
  }
  if (side === "top") top.start();
  else top.stop();
  if (side === "pipeline") pipeline.start();
  else pipeline.stop();
  if (side === "metrics") metricsView.resize();
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (side === "metrics") fragment.delete("side");
  else fragment.set("side", side);
  history.replaceState(history.state, "", `${location.pathname}${location.search}#${fragment.toString().replace(/%2C/g, ",")}`);
}
for (const s of SIDES) byId(`side-${s}`, HTMLButtonElement).addEventListener("click", () => showSide(s));
byId("tab-events", HTMLButtonElement).addEventListener("click", () => showView("events"));
byId("tab-metrics", HTMLButtonElement).addEventListener("click", () => showView("metrics"));

const logout = byId("logout", HTMLButtonElement);
const showLogout = () => (logout.hidden = !(auth.required && auth.signedIn && linkToken === undefined));
auth.onChange(showLogout);
showLogout();
logout.addEventListener("click", () => {
  auth.signOut();
  events.reconnectNow();
  metrics.reconnectNow();
});

setInterval(() => status.rate(store.rate(Date.now())), 1000);

/** Fills the charts from the server's metrics history (once it answers; a 401 waits for sign-in). */
let historyLoaded = false;
async function loadHistory() {
  if (historyLoaded || linkToken !== undefined || (auth.required && !auth.signedIn)) return;
  const after = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
  try {
    const res = await apiFetch(`${PATHS.metricsHistory.slice(1)}?after=${after}`, auth.authorization);
    if (!res.ok) return;
    historyLoaded = true;
    metricsView.ingestHistory(await res.json());
  } catch {
    // no history is no loss: the live stream still fills the charts
  }
}
auth.onChange(() => void loadHistory());
// The component picker's names; again after a sign-in (the first try needed credentials).
auth.onChange(() => {
  if (!pipeline.loaded) void pipeline.load();
});

events.restart(filters.applied.has("since") ? { fresh: true } : { backfill: true });
if (linkToken === undefined) {
  metrics.restart();
  void loadHistory();
  void pipeline.load();
} else {
  metrics.stop();
  byId("charts-empty", HTMLElement).textContent = "A shared link shows only the events it was made for: no metrics.";
}
const side = new URLSearchParams(location.hash.slice(1)).get("side");
showSide(SIDES.includes(/** @type {Side} */ (side)) ? /** @type {Side} */ (side) : "metrics");
