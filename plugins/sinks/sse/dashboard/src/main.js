// @ts-check
/**
 * livetap's dashboard: live events (filtered, paused, inspected) and live metrics from the
 * `sse` sink that serves this page. Every URL is relative, so the page works behind any host,
 * port or path prefix.
 */
import { apiFetch, Auth } from "./auth.js";
import { byId } from "./dom.js";
import { EventDetail, EventList } from "./events-view.js";
import { FilterForm } from "./filters-view.js";
import { MetricsView } from "./metrics-view.js";
import { StatusBar } from "./status.js";
import { LiveStream } from "./stream.js";
import { EventStore, Marker, MAX_ROWS } from "./lib/store.ts";
import { PATHS } from "../../paths.ts";

// Relative (no leading slash): the page works behind any path prefix.
const TRACES_PATH = PATHS.traces.slice(1);
const METRICS_PATH = PATHS.metrics.slice(1);

const authMeta = document.querySelector('meta[name="livetap-auth"]');
const auth = new Auth(authMeta?.getAttribute("content") === "on");
const status = new StatusBar();
const store = new EventStore();
const app = byId("app", HTMLElement);
const pauseButton = byId("pause", HTMLButtonElement);
const counts = byId("counts", HTMLElement);
byId("cap", HTMLElement).textContent = `newest ${MAX_ROWS.toLocaleString("en-US")} kept`;

const filters = new FilterForm({
  onApply: () => {
    // The list shows what matches the filter: start it again from the server's recent events.
    if (store.paused) setPaused(false);
    detail.close();
    store.clear();
    status.reset();
    list.setEmptyText("Waiting for matching events…");
    events.restart({ backfill: true });
    refresh();
  },
});

const detail = new EventDetail({
  onFilterKey: (key, value) => filters.addKeyFilter(key, value),
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
      store.addMarker(new Marker("gap", 0, Date.now()));
      status.gap(Date.now());
      refresh();
    },
    dropped: (ev) => {
      const count = Number(safeJson(ev.data)?.count) || 0;
      store.addMarker(new Marker("dropped", count, Date.now()));
      status.dropped(count);
      refresh();
    },
  },
  onState: (s) => {
    status.stream("events", s);
    if (s.phase === "failed" && s.detail) filters.rejected(s.detail);
  },
});

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
/** @param {"events" | "metrics"} view */
function showView(view) {
  app.dataset.view = view;
  byId("tab-events", HTMLButtonElement).setAttribute("aria-pressed", String(view === "events"));
  byId("tab-metrics", HTMLButtonElement).setAttribute("aria-pressed", String(view === "metrics"));
  if (view === "metrics") metricsView.resize();
  else list.invalidate();
}
byId("tab-events", HTMLButtonElement).addEventListener("click", () => showView("events"));
byId("tab-metrics", HTMLButtonElement).addEventListener("click", () => showView("metrics"));

const logout = byId("logout", HTMLButtonElement);
const showLogout = () => (logout.hidden = !(auth.required && auth.signedIn));
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
  if (historyLoaded || (auth.required && !auth.signedIn)) return;
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

events.restart({ backfill: true });
metrics.restart();
void loadHistory();
