// @ts-check
/**
 * The filter controls: one field per endpoint parameter (`filter`, `type`, one row per key),
 * with the view's controls (follow, since, outputs-of: view-controls.js). Applying puts the
 * query in the page's address (shareable, survives a reload) and hands it to the events
 * stream, which reconnects with it. A shared link's `token` stays in the address as it came.
 */
import { byId, copyText, debounce, h } from "./dom.js";
import { stripBidiControls } from "./lib/format.ts";
import { filterFromQuery, keyToParam, queryFromFilter, sameQuery } from "./lib/query.ts";
import { EMPTY_VIEW, viewFromQuery, withView } from "./lib/view.ts";

/** @import { FilterState, KeyFilter } from "./lib/query.ts" */
/** @import { ViewControls } from "./view-controls.js" */

/** Typing pauses this long before the filter applies (Enter applies at once). */
const TYPING_MS = 450;

export class FilterForm {
  /**
   * @param {{
   *   onApply: (query: URLSearchParams) => void,
   *   view: ViewControls,
   *   pinned: URLSearchParams,
   * }} o pinned: parameters kept in the address whatever the controls say (a shared link's token)
   */
  constructor(o) {
    this.o = o;
    this.form = byId("filters", HTMLFormElement);
    this.filter = byId("f-filter", HTMLInputElement);
    this.types = byId("f-types", HTMLInputElement);
    this.keys = byId("f-keys", HTMLElement);
    this.msg = byId("f-msg", HTMLElement);
    this.knownKeys = byId("known-keys", HTMLDataListElement);
    this.knownTypes = byId("known-types", HTMLDataListElement);
    this.cleaned = false;
    this.typing = debounce(() => this.apply(), TYPING_MS);
    this.set(filterFromQuery(location.search));
    o.view.set(viewFromQuery(location.search));
    /** The filters in force (a shared link's scope is made of these). */
    this.appliedFilters = queryFromFilter(this.state()).params;
    /** The query in force (what the stream uses): the link's, cleaned by set(), with the view's parameters. */
    this.applied = withView(this.appliedFilters, o.view.state());

    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.typing.cancel();
      this.apply();
    });
    this.form.addEventListener("input", () => {
      this.clean();
      this.typing();
    });
    byId("f-add-key", HTMLButtonElement).addEventListener("click", () => this.addRow({ key: "", value: "" }, true));
    byId("f-reset", HTMLButtonElement).addEventListener("click", () => {
      this.set({ filter: "", types: "", keys: [] });
      o.view.set(EMPTY_VIEW);
      this.apply();
    });
    byId("f-copy", HTMLButtonElement).addEventListener("click", async () => {
      this.say((await copyText(location.href)) ? "Link copied" : "Copy failed: take the address from the address bar");
    });
    window.addEventListener("popstate", () => {
      this.set(filterFromQuery(location.search));
      o.view.set(viewFromQuery(location.search));
      this.apply();
    });
  }

  /** The controls as they are now. @returns {FilterState} */
  state() {
    /** @type {KeyFilter[]} */
    const keys = [];
    for (const row of this.keys.children) {
      const [k, v] = /** @type {HTMLInputElement[]} */ ([...row.querySelectorAll("input")]);
      keys.push({ key: k.value, value: v.value });
    }
    return { filter: this.filter.value, types: this.types.value, keys };
  }

  /** @param {FilterState} state */
  set(state) {
    this.filter.value = state.filter;
    this.types.value = state.types;
    this.keys.replaceChildren();
    for (const k of state.keys) this.addRow(k, false);
    this.clean();
  }

  /**
   * Takes bidi controls out of every field: a shared link could otherwise show a filter in
   * another order than it matches (`abc\u202Egnp.exe` displayed as `abcexe.png`), and no
   * real filter needs them. Says so, since the filter then differs from the link's.
   */
  clean() {
    /** @type {string[]} */
    const removed = [];
    for (const input of this.form.querySelectorAll("input")) {
      const r = stripBidiControls(input.value);
      if (r.removed.length === 0) continue;
      input.value = r.text;
      removed.push(...r.removed);
    }
    if (removed.length > 0) {
      this.say(`Removed invisible text-direction characters (${[...new Set(removed)].join(", ")}): they make text display in another order than it is matched`, true);
      this.cleaned = true;
    }
  }

  /**
   * @param {KeyFilter} k
   * @param {boolean} focus
   */
  addRow(k, focus) {
    const n = this.keys.children.length + 1;
    const key = h("input", { class: "k", list: "known-keys", placeholder: "key, e.g. remoteIp", "aria-label": `Key filter ${n}: data key`, spellcheck: "false" });
    const value = h("input", { class: "v", placeholder: "contains…", "aria-label": `Key filter ${n}: value contains`, spellcheck: "false" });
    key.value = k.key;
    value.value = k.value;
    const remove = h("button", { type: "button", class: "ghost", "aria-label": `Remove key filter ${n}`, title: "Remove" }, "✕");
    const row = h("div", { class: "keyrow" }, key, h("span", { class: "eq", "aria-hidden": "true" }, "contains"), value, remove);
    remove.addEventListener("click", () => {
      row.remove();
      this.apply();
    });
    this.keys.append(row);
    if (focus) key.focus();
    return row;
  }

  /**
   * From the detail panel: filter on one data key's value, at once.
   * @param {string} key
   * @param {string} value
   */
  addKeyFilter(key, value) {
    const state = this.state();
    const existing = state.keys.find((k) => k.key === key);
    if (existing) existing.value = value;
    else state.keys.push({ key, value });
    this.set(state);
    this.apply();
  }

  /** From the Top panel: show only events of this type, at once. @param {string} type */
  setTypes(type) {
    this.types.value = type;
    this.apply();
  }

  /**
   * From the detail panel: follow `key` (later events with the same value show too). With no
   * filter in force every event shows anyway, so the value becomes the filter that starts it.
   * @param {string} key a data key
   * @param {string} value
   */
  followKey(key, value) {
    // `type`, `text` and `id` alone mean the event's own fields (CONTRACT 6).
    this.o.view.followField(["type", "text", "id"].includes(key) ? `data.${key}` : key);
    const state = this.state();
    const filtering = state.filter !== "" || state.types !== "" || state.keys.some((k) => k.key !== "" && k.value !== "");
    if (!filtering && keyToParam(key) !== undefined) this.addKeyFilter(key, value);
    else this.apply();
  }

  /** Applies the controls if they changed and are valid. */
  apply() {
    const { params: filters, problems } = queryFromFilter(this.state());
    if (problems.length > 0) {
      this.say(problems.join("; "), true);
      return;
    }
    if (this.cleaned) this.cleaned = false;
    else this.say("");
    const params = withView(filters, this.o.view.state());
    if (sameQuery(params, this.applied)) return;
    this.appliedFilters = filters;
    this.applied = params;
    const address = new URLSearchParams(this.o.pinned);
    for (const [k, v] of params) address.append(k, v);
    const search = address.toString();
    history.replaceState(history.state, "", `${location.pathname}${search ? `?${search}` : ""}${location.hash}`);
    this.o.onApply(params);
  }

  /** @param {string} text @param {boolean} [bad] */
  say(text, bad = false) {
    this.msg.textContent = text;
    this.msg.classList.toggle("bad", bad);
  }

  /** The stream rejected the query (400): show why next to the controls. @param {string} details */
  rejected(details) {
    this.say(`The server rejected this filter: ${details}`, true);
  }

  /**
   * Suggestions from what the stream carried.
   * @param {Iterable<string>} keys
   * @param {Iterable<string>} types
   */
  suggest(keys, types) {
    fillDatalist(this.knownKeys, keys);
    fillDatalist(this.knownTypes, types);
  }
}

/**
 * @param {HTMLDataListElement} list
 * @param {Iterable<string>} values
 */
function fillDatalist(list, values) {
  const sorted = [...values].sort();
  if (list.options.length === sorted.length) return;
  list.replaceChildren(...sorted.map((v) => h("option", { value: v })));
}
