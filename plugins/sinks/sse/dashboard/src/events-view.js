// @ts-check
/**
 * The event list: newest first, fixed row height, and only the rows in view exist in the
 * DOM (a pool reused on scroll), so 100k rows scroll as smoothly as 100. Drawing happens at
 * most once per animation frame, however many events arrive.
 */
import { byId, copyText, h } from "./dom.js";
import { familyHue, fieldsSummary, formatTime, levelOf, showBidiControls, valueText } from "./lib/format.ts";
import { Marker } from "./lib/store.ts";

/** @import { EventStore, LiveEventLike, Row } from "./lib/store.ts" */

/** Rows drawn above and below the visible ones, so a fast scroll shows no blank band. */
const OVERSCAN = 8;

export class EventList {
  /**
   * @param {EventStore} store
   * @param {{ onOpen: (event: LiveEventLike) => void }} o
   */
  constructor(store, o) {
    this.store = store;
    this.o = o;
    this.list = byId("list", HTMLElement);
    this.spacer = byId("list-spacer", HTMLElement);
    this.empty = byId("list-empty", HTMLElement);
    this.newer = byId("newer", HTMLButtonElement);
    /** @type {(HTMLElement & { __row?: Row })[]} the rows drawn, each remembering what it shows */
    this.pool = [];
    this.rowHeight = 26;
    /** @type {Row | undefined} */
    this.selected = undefined;
    this.selectedIndex = -1;
    /** Rows that arrived above the view while the operator was scrolled down. */
    this.unseen = 0;
    this.frame = 0;
    this.emptyText = "Waiting for events…";

    this.list.addEventListener("scroll", () => {
      if (this.list.scrollTop < this.rowHeight) this.unseen = 0;
      this.invalidate();
    });
    this.list.addEventListener("click", (e) => {
      const row = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest(".row"));
      if (!row) return;
      this.select(Number(row.dataset.index), true);
    });
    this.list.addEventListener("keydown", (e) => this.onKey(e));
    this.newer.addEventListener("click", () => {
      this.list.scrollTop = 0;
      this.unseen = 0;
      this.invalidate();
      this.list.focus();
    });
    new ResizeObserver(() => this.invalidate()).observe(this.list);
  }

  /** Draws on the next animation frame (once, however often it is called). */
  invalidate() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** @param {string} text what the empty list says */
  setEmptyText(text) {
    this.emptyText = text;
    this.invalidate();
  }

  render() {
    const rows = this.store.rows;
    const n = rows.size;
    const rh = parseFloat(getComputedStyle(this.list).getPropertyValue("--row-h")) || 26;
    if (rh !== this.rowHeight) {
      // The layout changed (narrow window): keep the same first row in view.
      const first = Math.floor(this.list.scrollTop / this.rowHeight);
      this.rowHeight = rh;
      this.list.scrollTop = first * rh;
    }
    const added = this.store.takeAdded();
    if (added > 0) {
      if (this.selectedIndex >= 0) this.selectedIndex += added;
      // Newest first: new rows push the old ones down. Scrolled away from the top, keep the
      // rows being read where they are instead of letting them slide away.
      if (this.list.scrollTop > 0) {
        this.unseen += added;
        this.spacer.style.height = `${n * rh}px`;
        this.list.scrollTop += added * rh;
      }
    }
    if (this.selected !== undefined && rows.fromNewest(this.selectedIndex) !== this.selected) {
      this.selected = undefined; // pushed out of the ring, or cleared
      this.selectedIndex = -1;
    }
    this.spacer.style.height = `${n * rh}px`;
    this.empty.hidden = n > 0;
    this.empty.textContent = this.emptyText;
    this.newer.hidden = this.unseen === 0 || this.list.scrollTop < rh;
    this.newer.textContent = `↑ ${this.unseen.toLocaleString("en-US")} newer`;

    const top = this.list.scrollTop;
    const height = this.list.clientHeight;
    const first = Math.max(0, Math.floor(top / rh) - OVERSCAN);
    const last = Math.min(n - 1, Math.ceil((top + height) / rh) + OVERSCAN);
    const count = Math.max(0, last - first + 1);
    while (this.pool.length < count) {
      const el = h("div", { class: "row", role: "option", id: `row-${this.pool.length}` }, h("span", { class: "t" }), h("span", { class: "y" }), h("span", { class: "x" }), h("span", { class: "f" }));
      this.pool.push(el);
      this.list.append(el);
    }
    let active = "";
    for (let i = 0; i < this.pool.length; i++) {
      const el = this.pool[i];
      if (i >= count) {
        el.hidden = true;
        continue;
      }
      const index = first + i;
      const row = /** @type {Row} */ (rows.fromNewest(index));
      el.hidden = false;
      el.style.transform = `translateY(${index * rh}px)`;
      if (el.dataset.index !== String(index) || el.__row !== row) this.fill(el, row, index, n);
      const selected = index === this.selectedIndex;
      el.setAttribute("aria-selected", String(selected));
      if (selected) active = el.id;
    }
    if (active) this.list.setAttribute("aria-activedescendant", active);
    else this.list.removeAttribute("aria-activedescendant");
  }

  /**
   * @param {HTMLElement & { __row?: Row }} el
   * @param {Row} row
   * @param {number} index
   * @param {number} n
   */
  fill(el, row, index, n) {
    el.__row = row;
    el.dataset.index = String(index);
    el.setAttribute("aria-posinset", String(index + 1));
    el.setAttribute("aria-setsize", String(n));
    const [t, y, x, f] = /** @type {HTMLElement[]} */ ([...el.children]);
    if (row instanceof Marker) {
      el.className = "row marker";
      t.textContent = "";
      y.textContent = "";
      x.textContent = `${formatTime(new Date(row.atMs).toISOString())}  ${row.text}`;
      f.textContent = "";
      el.dataset.type = row.kind;
      return;
    }
    const level = levelOf(row.data);
    el.className = level && level !== "info" ? `row ${level}` : "row";
    el.dataset.type = row.type;
    t.textContent = formatTime(row.createdAt);
    y.textContent = showBidiControls(row.type);
    y.style.setProperty("--hue", String(familyHue(row.type)));
    const text = row.text ?? (typeof row.data?.message === "string" ? row.data.message : "");
    x.textContent = showBidiControls(text);
    x.title = x.textContent;
    f.textContent = fieldsSummary(row.data);
  }

  /**
   * @param {number} index 0 = newest
   * @param {boolean} [open] also show its details
   */
  select(index, open = false) {
    const n = this.store.rows.size;
    if (n === 0) return;
    index = Math.max(0, Math.min(n - 1, index));
    this.selectedIndex = index;
    this.selected = this.store.rows.fromNewest(index);
    this.scrollIntoView(index);
    this.invalidate();
    if (open && this.selected && !(this.selected instanceof Marker)) this.o.onOpen(this.selected);
  }

  /** @param {number} index */
  scrollIntoView(index) {
    const rh = this.rowHeight;
    const top = index * rh;
    if (top < this.list.scrollTop) this.list.scrollTop = top;
    else if (top + rh > this.list.scrollTop + this.list.clientHeight) this.list.scrollTop = top + rh - this.list.clientHeight;
  }

  /** @param {KeyboardEvent} e */
  onKey(e) {
    const page = Math.max(1, Math.floor(this.list.clientHeight / this.rowHeight) - 1);
    const i = this.selectedIndex < 0 ? -1 : this.selectedIndex;
    /** @type {Record<string, () => void>} */
    const keys = {
      ArrowDown: () => this.select(i + 1),
      ArrowUp: () => this.select(i - 1),
      PageDown: () => this.select(i + page),
      PageUp: () => this.select(i - page),
      Home: () => this.select(0),
      End: () => this.select(this.store.rows.size - 1),
      Enter: () => this.select(Math.max(0, i), true),
      " ": () => this.select(Math.max(0, i), true),
    };
    const fn = keys[e.key];
    if (!fn) return;
    e.preventDefault();
    fn();
  }
}

/**
 * A data key `follow=` can name as it is: a dot would descend into objects (CONTRACT 6), so a
 * key holding one cannot be followed from here.
 */
const FOLLOWABLE_KEY = /^[A-Za-z0-9_-]{1,128}$/;

/** The drawer with one event: its fields (each can become a key filter, or be followed) and its JSON. */
export class EventDetail {
  /**
   * @param {{
   *   onFilterKey: (key: string, value: string) => void,
   *   onFollowKey: (key: string, value: string) => void,
   *   onClose: () => void,
   * }} o
   */
  constructor(o) {
    this.o = o;
    this.panel = byId("detail", HTMLElement);
    this.title = byId("detail-h", HTMLElement);
    this.meta = byId("detail-meta", HTMLElement);
    this.body = /** @type {HTMLTableSectionElement} */ (byId("detail-data", HTMLTableElement).tBodies[0]);
    this.json = byId("detail-json", HTMLElement);
    this.copy = byId("detail-copy", HTMLButtonElement);
    /** @type {LiveEventLike | undefined} */
    this.event = undefined;
    byId("detail-close", HTMLButtonElement).addEventListener("click", () => this.close());
    this.panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
    this.copy.addEventListener("click", async () => {
      if (!this.event) return;
      const ok = await copyText(JSON.stringify(this.event, null, 2));
      this.copy.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(() => (this.copy.textContent = "Copy"), 1500);
    });
  }

  get open() {
    return !this.panel.hidden;
  }

  /** @param {LiveEventLike} event */
  show(event) {
    this.event = event;
    this.title.textContent = showBidiControls(event.type);
    this.meta.replaceChildren();
    /** @type {[string, unknown][]} */
    const meta = [
      ["time", event.createdAt],
      ["id", event.id],
      ["text", event.text],
      ["details", event.details],
    ];
    for (const [k, v] of meta) if (v !== undefined && v !== "") this.meta.append(h("dt", { text: k }), h("dd", { text: showBidiControls(String(v)) }));
    this.body.replaceChildren();
    for (const [k, v] of Object.entries(event.data ?? {})) {
      const value = valueText(v, 2000);
      const asFilter = typeof v === "string" ? v : valueText(v, 500);
      const label = `${showBidiControls(k)} = ${valueText(v, 60)}`;
      const button = h("button", { type: "button", class: "ghost", "aria-label": `Filter on ${label}`, title: "Add a key filter" }, "+");
      button.addEventListener("click", () => this.o.onFilterKey(k, asFilter));
      const actions = h("td", { class: "acts" }, button);
      if (FOLLOWABLE_KEY.test(k) && v !== null && typeof v !== "object") {
        const follow = h("button", { type: "button", class: "ghost follow", "aria-label": `Follow ${label}`, title: `Follow ${k}: once an event matches, later events with the same ${k} show too` }, "follow");
        follow.addEventListener("click", () => this.o.onFollowKey(k, asFilter));
        actions.append(follow);
      }
      this.body.append(h("tr", {}, h("th", { scope: "row", text: showBidiControls(k) }), h("td", { text: value }), actions));
    }
    this.json.textContent = showBidiControls(JSON.stringify(event, null, 2));
    this.panel.hidden = false;
    byId("detail-close", HTMLButtonElement).focus({ preventScroll: true });
  }

  close() {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    this.event = undefined;
    this.o.onClose();
  }
}
