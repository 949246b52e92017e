// @ts-check
/** The always-visible status pills: both streams, gaps, drops, pause, arrival rate, a shared link's scope. */
import { byId } from "./dom.js";
import { formatNumber, formatTime } from "./lib/format.ts";
import { DroppedLog, scopeText } from "./lib/view.ts";

/** @import { StreamState } from "./stream.js" */

export class StatusBar {
  constructor() {
    this.events = byId("st-events", HTMLButtonElement);
    this.metrics = byId("st-metrics", HTMLButtonElement);
    this.gapPill = byId("st-gap", HTMLElement);
    this.droppedPill = byId("st-dropped", HTMLElement);
    this.pausedPill = byId("st-paused", HTMLElement);
    this.ratePill = byId("st-rate", HTMLElement);
    this.scopePill = byId("st-scope", HTMLElement);
    this.droppedLog = new DroppedLog();
    this.gaps = 0;
  }

  /**
   * @param {"events" | "metrics"} which
   * @param {StreamState} s
   */
  stream(which, s) {
    const pill = which === "events" ? this.events : this.metrics;
    pill.dataset.state = s.phase;
    const text =
      s.phase === "open" ? "connected"
      : s.phase === "connecting" ? "connecting…"
      : s.phase === "retrying" ? `reconnecting${s.attempt > 1 ? ` (${s.attempt})` : ""}…`
      : s.phase === "signin" ? "sign-in needed"
      : s.phase === "failed" ? "failed"
      : "stopped";
    /** @type {HTMLElement} */ (pill.querySelector(".txt")).textContent = text;
    const why = s.detail ? ` (${s.detail})` : "";
    pill.title = `${which === "events" ? "Events" : "Metrics"} stream: ${text}${why}. Click to reconnect now.`;
  }

  /** A `gap` frame: events were missed. @param {number} atMs */
  gap(atMs) {
    this.gaps++;
    this.gapPill.hidden = false;
    this.gapPill.textContent = `gap ${formatTime(new Date(atMs).toISOString()).slice(0, 8)}${this.gaps > 1 ? ` (${this.gaps})` : ""}`;
  }

  /**
   * A `dropped` frame's data (`{count, fromId, toId}`): the pill adds them up, `N dropped (ids A..B)`.
   * @param {unknown} frame
   * @returns {import("./lib/view.ts").DroppedRange | undefined} the range, or undefined when the frame is malformed
   */
  dropped(frame) {
    const range = this.droppedLog.add(frame);
    if (!range) return undefined;
    this.droppedPill.hidden = false;
    this.droppedPill.textContent = this.droppedLog.text;
    this.droppedPill.title = `Events the server dropped because this page could not keep up (count: first..last id):\n${this.droppedLog.details}`;
    return range;
  }

  /** A shared link's scope, which the server ANDs into every stream. @param {string[]} scope */
  scope(scope) {
    this.scopePill.hidden = false;
    this.scopePill.textContent = `scoped: ${scopeText(scope)}`;
  }

  /** @param {boolean} paused @param {number} held */
  paused(paused, held) {
    this.pausedPill.hidden = !paused;
    this.pausedPill.textContent = `paused (${held.toLocaleString("en-US")} new)`;
  }

  /** @param {number} perSecond */
  rate(perSecond) {
    this.ratePill.textContent = `${formatNumber(perSecond)} /s`;
  }

  /** The gap and dropped pills describe what the list shows: they go when it is cleared. */
  reset() {
    this.gaps = 0;
    this.droppedLog.clear();
    this.gapPill.hidden = true;
    this.droppedPill.hidden = true;
  }
}
