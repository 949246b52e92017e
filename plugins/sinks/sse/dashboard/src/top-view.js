// @ts-check
/**
 * The Top panel: the most frequent values of one field among the events the filters match,
 * over a sliding window, from the server's top stream (CONTRACT 9 `top/live`). Counts are
 * exact below the sink's `maxTopKeys` distinct values and an estimate above (the panel says
 * which). A row filters the event list on its value. Open only while the panel is shown.
 */
import { byId, h } from "./dom.js";
import { formatNumber, showBidiControls } from "./lib/format.ts";
import { parseTopFrame } from "./lib/view.ts";
import { LiveStream } from "./stream.js";

/** @import { Auth } from "./auth.js" */
/** @import { TopFrame } from "./lib/view.ts" */
/** @import { StreamState } from "./stream.js" */

/** Seconds between frames: often enough to watch, rare enough to be cheap. */
const INTERVAL_S = 2;

export class TopView {
  /**
   * @param {{
   *   path: string,
   *   auth: Auth,
   *   query: () => URLSearchParams,
   *   onPick: (field: string, value: string) => void,
   * }} o query: the event list's filters (and outputs-of)
   */
  constructor(o) {
    this.o = o;
    this.form = byId("top-form", HTMLFormElement);
    this.by = byId("top-by", HTMLInputElement);
    this.k = byId("top-k", HTMLSelectElement);
    this.window = byId("top-window", HTMLSelectElement);
    this.state = byId("top-state", HTMLElement);
    this.caption = byId("top-caption", HTMLElement);
    this.body = /** @type {HTMLTableSectionElement} */ (byId("top-table", HTMLTableElement).tBodies[0]);
    this.running = false;
    const fragment = new URLSearchParams(location.hash.slice(1));
    const by = fragment.get("by");
    if (by) this.by.value = by;

    this.stream = new LiveStream({
      kind: "traces",
      path: o.path,
      auth: o.auth,
      query: () => this.query(),
      on: { top: (ev) => this.show(parseTopFrame(ev.data)) },
      onState: (s) => this.onState(s),
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.changed();
    });
    this.by.addEventListener("change", () => this.changed());
    this.k.addEventListener("change", () => this.changed());
    this.window.addEventListener("change", () => this.changed());
    this.body.addEventListener("click", (e) => {
      const button = /** @type {HTMLElement} */ (e.target).closest("button");
      if (button?.dataset.value !== undefined) this.o.onPick(this.field, button.dataset.value);
    });
  }

  get field() {
    return this.by.value.trim();
  }

  /** The top stream's query: the list's filters plus what to count. */
  query() {
    const params = new URLSearchParams(this.o.query());
    params.set("by", this.field);
    params.set("top", this.k.value);
    params.set("window", this.window.value);
    params.set("interval", String(INTERVAL_S));
    return params;
  }

  /** Opens the stream (the panel is shown). */
  start() {
    this.running = true;
    this.restart();
  }

  /** Closes it (the panel is hidden: nothing is counted for nobody). */
  stop() {
    this.running = false;
    this.stream.stop();
  }

  /** The filters or the field changed: count again from an empty window. */
  restart() {
    if (!this.running) return;
    if (this.field === "") {
      this.stream.stop();
      this.say("Give a field to count, e.g. remoteIp, type or user.id.");
      return;
    }
    this.body.replaceChildren();
    this.caption.textContent = "";
    this.say("Counting…");
    this.stream.restart();
  }

  changed() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    fragment.set("by", this.field);
    history.replaceState(history.state, "", `${location.pathname}${location.search}#${fragment.toString().replace(/%2C/g, ",")}`);
    this.restart();
  }

  /** @param {StreamState} s */
  onState(s) {
    if (s.phase === "failed") this.say(`The server refused the top stream: ${s.detail ?? "unknown reason"}`, true);
    else if (s.phase === "retrying") this.say(`Reconnecting… (${s.detail ?? ""})`);
    else if (s.phase === "signin") this.say("Sign in to count.");
  }

  /** @param {string} text @param {boolean} [bad] */
  say(text, bad = false) {
    this.state.textContent = text;
    this.state.classList.toggle("bad", bad);
    this.state.setAttribute("role", bad ? "alert" : "status");
  }

  /** @param {TopFrame | undefined} frame */
  show(frame) {
    if (!frame) return;
    const windowText = frame.window >= 3600 ? `${frame.window / 3600} h` : frame.window >= 60 ? `${frame.window / 60} min` : `${frame.window} s`;
    this.say(`${formatNumber(frame.total)} matching event${frame.total === 1 ? "" : "s"} with ${frame.by} in the last ${windowText}`);
    this.caption.textContent = frame.exact ? "exact counts" : "estimate: too many distinct values to count exactly (maxTopKeys); counts may be a little high";
    this.caption.dataset.exact = String(frame.exact);
    const max = frame.top[0]?.count || 1;
    const rows = frame.top.map((r, i) => {
      const value = showBidiControls(r.value);
      const button = h("button", { type: "button", class: "ghost value", "data-value": r.value, title: `Filter the events on ${frame.by} = ${value}`, "aria-label": `Filter on ${frame.by} = ${value}` }, value);
      const bar = h("span", { class: "bar", "aria-hidden": "true" });
      bar.style.setProperty("--share", String(r.count / max));
      return h("tr", {}, h("td", { class: "rank", text: String(i + 1) }), h("td", {}, button, bar), h("td", { class: "num", text: frame.exact ? formatNumber(r.count) : `≈${formatNumber(r.count)}` }));
    });
    this.body.replaceChildren(...rows);
  }
}
