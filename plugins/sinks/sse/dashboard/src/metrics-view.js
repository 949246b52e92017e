// @ts-check
/**
 * Metrics: one small uPlot chart per chosen metric (counters as rates, gauges as values,
 * histograms as means), fed by the metrics stream. Every metric the stream carries is
 * recorded (bounded), so a metric picked later has its history at once. The choice and the
 * interval live in the address's #fragment (the ?query belongs to the events filter).
 */
import uPlot from "uplot";
import { byId, h } from "./dom.js";
import { formatNumber, formatValue } from "./lib/format.ts";
import { DEFAULT_CHARTS, kindLabel, MetricStore, unitOf } from "./lib/metrics.ts";

/** @import { MetricKind } from "./lib/metrics.ts" */

const CHART_HEIGHT = 110;
const INTERVALS = [1, 2, 5, 10, 30, 60];
const DEFAULT_INTERVAL = 2;

/**
 * @typedef {{ id: string, card: HTMLElement, plot: HTMLElement, value: HTMLElement, chart?: uPlot, unit: string }} Chart
 */

/**
 * `HH:MM(:SS)` of an epoch second, in the browser's time zone.
 * @param {number} t
 * @param {boolean} seconds
 */
function clock(t, seconds) {
  const d = new Date(t * 1000);
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}${seconds ? `:${p(d.getSeconds())}` : ""}`;
}

export class MetricsView {
  /** @param {{ onInterval: (seconds: number) => void }} o */
  constructor(o) {
    this.o = o;
    this.store = new MetricStore();
    this.charts = byId("charts", HTMLElement);
    this.empty = byId("charts-empty", HTMLElement);
    this.picker = byId("m-picker", HTMLDetailsElement);
    this.search = byId("m-search", HTMLInputElement);
    this.list = byId("m-list", HTMLUListElement);
    this.select = byId("m-interval", HTMLSelectElement);
    /** @type {Map<string, Chart>} */
    this.shown = new Map();
    const fragment = new URLSearchParams(location.hash.slice(1));
    const m = fragment.get("m");
    /** @type {string[] | undefined} undefined: the defaults, once the first frame says which exist */
    this.picked = m === null ? undefined : m.split(",").filter((id) => id !== "");
    const i = Number(fragment.get("i"));
    this.interval = INTERVALS.includes(i) ? i : DEFAULT_INTERVAL;
    this.select.value = String(this.interval);
    this.gotFrame = false;
    /** The next frame is the first of a new connection (see MetricStore.ingest). */
    this.rebase = true;

    this.select.addEventListener("change", () => {
      this.interval = Number(this.select.value);
      this.saveFragment();
      this.o.onInterval(this.interval);
    });
    this.search.addEventListener("input", () => this.renderPicker());
    this.picker.addEventListener("toggle", () => {
      if (this.picker.open) {
        this.renderPicker();
        this.search.focus();
      }
    });
    this.picker.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        this.picker.open = false;
        /** @type {HTMLElement} */ (this.picker.querySelector("summary")).focus();
      }
    });
    this.list.addEventListener("change", (e) => {
      const box = /** @type {HTMLInputElement} */ (e.target);
      this.toggle(box.value, box.checked);
    });
    new ResizeObserver(() => this.resize()).observe(this.charts);
  }

  /** A new connection of the metrics stream opened: its first frame starts the rates over. */
  connected() {
    this.rebase = true;
  }

  /** The endpoint query: every metric (so any can be picked with history), at the interval. */
  query() {
    return new URLSearchParams({ interval: String(this.interval) });
  }

  /** @param {string} data a `metrics` frame's data */
  ingest(data) {
    let samples;
    try {
      samples = JSON.parse(data);
    } catch {
      return;
    }
    const added = this.store.ingest(samples, Date.now() / 1000, this.interval, this.rebase);
    this.rebase = false;
    if (!this.gotFrame) {
      this.gotFrame = true;
      if (this.picked === undefined) {
        const ids = this.store.catalog().map((c) => c.id);
        const defaults = DEFAULT_CHARTS.filter((id) => ids.includes(id));
        this.picked = defaults.length > 0 ? defaults : ids.slice(0, 4);
      }
      this.layout();
    }
    if (added.length > 0 && this.picker.open) this.renderPicker();
    for (const c of this.shown.values()) this.draw(c);
  }

  /**
   * The last hour of the server's metrics history, so charts start full instead of empty.
   * @param {unknown} body the `{"data": [...]}` of GET /api/telemetry/metrics?after=
   */
  ingestHistory(body) {
    const data = /** @type {{ data?: unknown } | null} */ (body)?.data;
    const added = this.store.ingestHistory(data);
    if (added.length > 0 && this.picker.open) this.renderPicker();
    if (!this.gotFrame) return; // the first live frame lays out the charts
    for (const c of this.shown.values()) this.draw(c);
  }

  /** @param {string} id @param {boolean} on */
  toggle(id, on) {
    const picked = this.picked ?? [];
    this.picked = on ? [...picked.filter((p) => p !== id), id] : picked.filter((p) => p !== id);
    this.saveFragment();
    this.layout();
  }

  saveFragment() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (this.picked !== undefined) fragment.set("m", this.picked.join(","));
    fragment.set("i", String(this.interval));
    // The fragment is URL-encoded by URLSearchParams; commas stay readable.
    history.replaceState(history.state, "", `${location.pathname}${location.search}#${fragment.toString().replace(/%2C/g, ",")}`);
  }

  /** Adds and removes chart cards to match the choice, in the chosen order. */
  layout() {
    const picked = this.picked ?? [];
    for (const [id, c] of this.shown) {
      if (picked.includes(id)) continue;
      c.chart?.destroy();
      c.card.remove();
      this.shown.delete(id);
    }
    for (const id of picked) {
      let c = this.shown.get(id);
      if (!c) {
        c = this.card(id);
        this.shown.set(id, c);
      }
      this.charts.append(c.card); // moves it into order
      this.draw(c);
    }
    this.empty.hidden = this.gotFrame && picked.length > 0;
    this.empty.textContent = this.gotFrame ? "No metric chosen: pick some with “Choose metrics”." : "Waiting for metrics…";
  }

  /** @param {string} id @returns {Chart} */
  card(id) {
    const value = h("span", { class: "val", text: "–" });
    const kind = h("span", { class: "kind" });
    const remove = h("button", { type: "button", class: "ghost", "aria-label": `Remove the ${id} chart`, title: "Remove" }, "✕");
    remove.addEventListener("click", () => this.toggle(id, false));
    const plot = h("div", { class: "plot", role: "img", "aria-label": `${id} over time` });
    const card = h("article", { class: "chart", "data-id": id }, h("header", {}, h("h3", { title: id, text: id }), kind, value, remove), plot);
    return { id, card, plot, value, unit: "" };
  }

  /** @param {Chart} c */
  draw(c) {
    const s = this.store.get(c.id);
    const kind = /** @type {HTMLElement} */ (c.card.querySelector(".kind"));
    if (!s) {
      kind.textContent = this.gotFrame ? "not on this server" : "";
      return;
    }
    c.unit = unitOf(s.id, s.kind);
    kind.textContent = kindLabel(s.kind);
    /** @type {uPlot.AlignedData} */
    const data = [s.times, s.values];
    if (!c.chart) {
      const width = c.plot.clientWidth;
      if (width === 0) return; // hidden (the other tab): drawn when it shows
      c.chart = new uPlot(this.options(c, s.kind, width), data, c.plot);
    } else c.chart.setData(data);
    if (c.chart.cursor.idx == null) c.value.textContent = this.latestText(c);
  }

  /** @param {Chart} c */
  latestText(c) {
    const s = this.store.get(c.id);
    if (!s) return "–";
    for (let i = s.values.length - 1; i >= 0; i--) if (s.values[i] !== null) return formatValue(s.values[i], c.unit);
    return s.kind === "counter" ? "–" : "no data";
  }

  /**
   * @param {Chart} c
   * @param {MetricKind} kind
   * @param {number} width
   * @returns {uPlot.Options}
   */
  options(c, kind, width) {
    const css = getComputedStyle(document.documentElement);
    const color = (/** @type {string} */ name, /** @type {string} */ fallback) => css.getPropertyValue(name).trim() || fallback;
    const line = color("--accent", "#58a6ff");
    const muted = color("--muted", "#8d98a7");
    const grid = color("--line", "#2b3440");
    const font = "10px system-ui, sans-serif";
    /** @type {uPlot.Axis} */
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { show: false }, font };
    return {
      width,
      height: CHART_HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
      scales: {
        x: { time: true },
        y: {
          range: (_u, min, max) => {
            if (min == null || max == null) return [0, 1];
            const lo = Math.min(0, min);
            return [lo, max > lo ? max + (max - lo) * 0.1 : lo + 1];
          },
        },
      },
      axes: [
        // One line of local clock time: uPlot's default adds a date line that needs more room.
        { ...axis, size: 22, space: 64, values: (_u, ticks, _i, _space, incr) => ticks.map((t) => clock(t, incr < 60)) },
        { ...axis, size: 48, values: (_u, ticks) => ticks.map((t) => (c.unit === "bytes" ? formatValue(t, "bytes") : formatNumber(t))) },
      ],
      series: [
        {},
        {
          label: c.id,
          stroke: line,
          width: 1.5,
          fill: /^#[0-9a-f]{6}$/i.test(line) ? `${line}26` : undefined,
          spanGaps: kind !== "counter",
          points: { show: false },
        },
      ],
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            const v = i == null ? undefined : u.data[1][i];
            c.value.textContent = i == null || v == null ? this.latestText(c) : formatValue(v, c.unit);
          },
        ],
      },
    };
  }

  resize() {
    for (const c of this.shown.values()) {
      const width = c.plot.clientWidth;
      if (width === 0) continue;
      if (!c.chart) this.draw(c);
      else if (Math.abs(c.chart.width - width) > 1) c.chart.setSize({ width, height: CHART_HEIGHT });
    }
  }

  renderPicker() {
    const needle = this.search.value.trim().toLowerCase();
    const picked = new Set(this.picked ?? []);
    const items = this.store
      .catalog()
      .filter((m) => needle === "" || m.id.includes(needle))
      .map((m) => {
        const box = h("input", { type: "checkbox", value: m.id });
        box.checked = picked.has(m.id);
        return h("li", {}, h("label", {}, box, m.id, h("span", { class: "k", text: m.kind })));
      });
    if (items.length === 0) items.push(h("li", { class: "hint", text: this.gotFrame ? "No metric matches." : "Waiting for metrics…" }));
    this.list.replaceChildren(...items);
  }
}
