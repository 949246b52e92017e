// @ts-check
/**
 * The Pipeline panel: this process's components from `GET /api/pipeline` drawn as a graph,
 * one column per depth (sources, then what reads them, ... sinks), an edge per input (one row
 * per depth instead when the columns do not fit the panel's width), with
 * live in/out/dropped counters and rates refreshed while the panel is shown. A source's or an
 * operator's card can switch the event list to its output (`outputs-of`) when this sink taps.
 */
import { apiFetch, errorDetails } from "./auth.js";
import { byId, h } from "./dom.js";
import { formatNumber, showBidiControls } from "./lib/format.ts";
import { layoutPipeline, parsePipeline, PipelineRates } from "./lib/view.ts";

/** @import { Auth } from "./auth.js" */
/** @import { PipelineComponent } from "./lib/view.ts" */

const REFRESH_MS = 2000;
/** A column's width in the CSS (card plus gap): more columns than fit, and depths go top to bottom. */
const COLUMN_PX = 190;
const SVG = "http://www.w3.org/2000/svg";

/** The tap path of a component (`sources.demo`), when this sink can tap it. @param {PipelineComponent} c @param {string[]} tappable */
function tapPath(c, tappable) {
  return tappable.find((t) => t === `${c.kind}s.${c.name}`);
}

export class PipelineView {
  /**
   * @param {{
   *   path: string,
   *   auth: Auth,
   *   onTappable: (names: string[]) => void,
   *   onTap: (path: string) => void,
   * }} o
   */
  constructor(o) {
    this.o = o;
    this.state = byId("pipeline-state", HTMLElement);
    this.at = byId("pipeline-at", HTMLElement);
    this.graph = byId("pipeline-graph", HTMLElement);
    this.columns = byId("pipeline-columns", HTMLElement);
    this.edges = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (document.getElementById("pipeline-edges")));
    this.paths = /** @type {SVGGElement} */ (/** @type {unknown} */ (document.getElementById("pipeline-paths")));
    this.rates = new PipelineRates();
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
    /** The graph's shape last drawn (names and inputs): counters alone only update the text. */
    this.shape = "";
    /** @type {{ from: string, to: string }[]} */
    this.edgeList = [];
    /** @type {Map<string, HTMLElement>} */
    this.cards = new Map();
    this.depths = 0;
    this.loaded = false;
    this.busy = false;
    new ResizeObserver(() => {
      this.orient();
      this.drawEdges();
    }).observe(this.graph);
    this.columns.addEventListener("click", (e) => {
      const button = /** @type {HTMLElement} */ (e.target).closest("button");
      if (button?.dataset.tap) this.o.onTap(button.dataset.tap);
    });
  }

  /** Shown: refresh now and periodically. */
  start() {
    clearInterval(this.timer);
    void this.load();
    this.timer = setInterval(() => void this.load(), REFRESH_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Fetches once (the component picker needs the names even while the panel is hidden). */
  async load() {
    if (this.busy) return;
    if (this.o.auth.linkToken !== undefined) {
      this.say("A shared link shows only the events it was made for: the pipeline needs the operator's own credentials.");
      return;
    }
    if (this.o.auth.required && !this.o.auth.signedIn) {
      this.say("Sign in to see the pipeline.");
      return;
    }
    this.busy = true;
    try {
      const res = await apiFetch(this.o.path, this.o.auth.authorization);
      if (!res.ok) {
        const details = await errorDetails(res);
        this.say(`The server answered ${res.status}${details ? `: ${details}` : ""}`, true);
        return;
      }
      const body = parsePipeline(await res.json());
      if (!body) {
        this.say("The server's answer is not a pipeline.", true);
        return;
      }
      this.say(body.components.length === 0 ? "This sink runs outside a pipeline: no components to show." : "");
      if (!this.loaded) this.o.onTappable(body.tappable);
      this.loaded = true;
      this.render(body.components, body.tappable);
    } catch {
      this.say("The server cannot be reached.", true);
    } finally {
      this.busy = false;
    }
  }

  /** @param {string} text @param {boolean} [bad] */
  say(text, bad = false) {
    this.state.textContent = text;
    this.state.hidden = text === "";
    this.state.classList.toggle("bad", bad);
  }

  /**
   * @param {PipelineComponent[]} components
   * @param {string[]} tappable
   */
  render(components, tappable) {
    const shape = JSON.stringify(components.map((c) => [c.name, c.kind, c.inputs]).concat([tappable]));
    if (shape !== this.shape) {
      this.shape = shape;
      const layout = layoutPipeline(components);
      this.edgeList = layout.edges;
      this.depths = layout.columns.length;
      this.cards.clear();
      this.columns.replaceChildren(
        ...layout.columns.map((col, i) =>
          h("div", { class: "column", role: "list", "aria-label": i === 0 ? "Sources" : `Depth ${i}` }, ...col.map((c) => this.card(c, tapPath(c, tappable)))),
        ),
      );
    }
    const rates = this.rates.update(components, Date.now());
    for (const c of components) {
      const card = this.cards.get(c.name);
      if (!card) continue;
      const r = rates.get(c.name);
      const set = (/** @type {string} */ sel, /** @type {string} */ text) => {
        const el = card.querySelector(sel);
        if (el) el.textContent = text;
      };
      set(".in", formatNumber(c.eventsIn));
      set(".out", formatNumber(c.eventsOut));
      set(".dropped", formatNumber(c.dropped));
      set(".rate", r?.outPerSecond === undefined ? "" : `${formatNumber(r.outPerSecond)} /s out`);
      card.classList.toggle("dropping", c.dropped > 0);
    }
    this.at.textContent = `updated ${new Date().toLocaleTimeString()}`;
    this.orient();
    this.drawEdges();
  }

  /** Columns side by side when they fit, otherwise one row per depth, top to bottom. */
  orient() {
    const width = this.graph.clientWidth;
    if (width > 0) this.graph.classList.toggle("vertical", this.depths * COLUMN_PX > width);
  }

  /**
   * @param {PipelineComponent} c
   * @param {string | undefined} tap
   */
  card(c, tap) {
    const name = showBidiControls(c.name);
    const counter = (/** @type {string} */ cls, /** @type {string} */ label) => h("div", {}, h("dt", { text: label }), h("dd", { class: cls, text: "–" }));
    const card = h(
      "article",
      { class: "node", role: "listitem", "data-name": c.name, "data-kind": c.kind, "aria-label": `${c.kind} ${name}` },
      h("header", {}, h("strong", { text: name }), h("span", { class: "kind", text: `${c.kind} · ${showBidiControls(c.type)}` })),
      h("dl", { class: "counts" }, counter("in", "in"), counter("out", "out"), counter("dropped", "dropped")),
      h("div", { class: "rate" }),
    );
    if (tap) card.append(h("button", { type: "button", class: "tap", "data-tap": tap, title: `Show ${tap}'s output in the event list (outputs-of)` }, "Show its output"));
    this.cards.set(c.name, card);
    return card;
  }

  /** Draws the edges between the cards where the layout put them. */
  drawEdges() {
    const box = this.graph.getBoundingClientRect();
    this.edges.setAttribute("width", String(this.graph.scrollWidth));
    this.edges.setAttribute("height", String(this.graph.scrollHeight));
    const vertical = this.graph.classList.contains("vertical");
    const dx = this.graph.scrollLeft - box.left;
    const dy = this.graph.scrollTop - box.top;
    const paths = [];
    for (const { from, to } of this.edgeList) {
      const a = this.cards.get(from)?.getBoundingClientRect();
      const b = this.cards.get(to)?.getBoundingClientRect();
      if (!a || !b || a.width === 0 || b.width === 0) continue;
      const path = document.createElementNS(SVG, "path");
      if (vertical) {
        // From the bottom of the input's card to the top of its reader's.
        const [x1, y1, x2, y2] = [a.left + a.width / 2 + dx, a.bottom + dy, b.left + b.width / 2 + dx, b.top + dy];
        const mid = (y1 + y2) / 2;
        path.setAttribute("d", `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`);
      } else {
        // From the right side of the input's card to the left side of its reader's.
        const [x1, y1, x2, y2] = [a.right + dx, a.top + a.height / 2 + dy, b.left + dx, b.top + b.height / 2 + dy];
        const mid = (x1 + x2) / 2;
        path.setAttribute("d", `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`);
      }
      path.dataset.edge = `${from}->${to}`;
      path.setAttribute("marker-end", "url(#pipeline-arrow)");
      paths.push(path);
    }
    this.paths.replaceChildren(...paths);
  }
}
