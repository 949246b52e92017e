// @ts-check
/**
 * The live view's controls beside the filters (CONTRACT 9): the field followed, where the
 * stream starts (`since`), and which component's output it shows (`outputs-of`). The filter
 * form puts them in the address with the filters and applies them together.
 */
import { byId, h } from "./dom.js";
import { localFromSince, sinceChoice, sinceFromLocal } from "./lib/view.ts";

/** @import { ViewState } from "./lib/view.ts" */

export class ViewControls {
  /** @param {{ onChange: () => void }} o */
  constructor(o) {
    this.o = o;
    this.follow = byId("v-follow", HTMLInputElement);
    this.followClear = byId("v-follow-clear", HTMLButtonElement);
    this.since = byId("v-since", HTMLSelectElement);
    this.sinceAtBox = byId("v-since-at-box", HTMLElement);
    this.sinceAt = byId("v-since-at", HTMLInputElement);
    this.outputs = byId("v-outputs", HTMLSelectElement);
    // Shown only when there is a choice: components to tap, or one the address asked for.
    this.outputsBox = byId("v-outputs-box", HTMLElement);
    /** A since value the choices do not name (a duration from a link, `90s`): kept as it is. */
    this.sinceOther = "";

    this.follow.addEventListener("input", () => (this.followClear.hidden = this.follow.value === ""));
    this.followClear.addEventListener("click", () => {
      this.follow.value = "";
      this.followClear.hidden = true;
      this.follow.focus();
      this.o.onChange();
    });
    this.since.addEventListener("change", () => {
      this.sinceOther = "";
      const time = this.since.value === "time";
      this.sinceAtBox.hidden = !time;
      if (time) {
        // Start from ten minutes ago: a useful default the operator then adjusts.
        if (this.sinceAt.value === "") this.sinceAt.value = localFromSince(new Date(Date.now() - 600_000).toISOString());
        this.sinceAt.focus();
      }
      this.o.onChange();
    });
    this.sinceAt.addEventListener("change", () => this.o.onChange());
    this.outputs.addEventListener("change", () => this.o.onChange());
  }

  /** @returns {ViewState} */
  state() {
    let since = this.since.value;
    if (since === "time") since = this.sinceOther || (sinceFromLocal(this.sinceAt.value) ?? "");
    return { follow: this.follow.value.trim(), since, outputsOf: this.outputs.value };
  }

  /** @param {ViewState} view */
  set(view) {
    this.follow.value = view.follow;
    this.followClear.hidden = view.follow === "";
    const choice = sinceChoice(view.since);
    this.since.value = choice;
    this.sinceAtBox.hidden = choice !== "time";
    const local = choice === "time" ? localFromSince(view.since) : "";
    // A duration the choices do not offer (`since=90s` in a link) is kept and sent as it is.
    this.sinceOther = choice === "time" && local === "" ? view.since : "";
    if (choice === "time") this.sinceAt.value = local;
    this.setOutputs(view.outputsOf);
  }

  /**
   * The components this sink can tap (from /api/pipeline), keeping the current choice even when
   * it is not one of them (the server then says why it refuses it).
   * @param {string[]} names
   */
  offer(names) {
    const current = this.outputs.value;
    const options = [h("option", { value: "", text: "this sink's input" }), ...names.map((n) => h("option", { value: n, text: n }))];
    this.outputs.replaceChildren(...options);
    this.setOutputs(current);
  }

  /** @param {string} name */
  setOutputs(name) {
    if (name !== "" && ![...this.outputs.options].some((o) => o.value === name)) this.outputs.append(h("option", { value: name, text: name }));
    this.outputs.value = name;
    this.outputsBox.hidden = this.outputs.options.length <= 1;
  }

  /**
   * Follows `field`: later events with the same value show too.
   * @param {string} field
   */
  followField(field) {
    this.follow.value = field;
    this.followClear.hidden = false;
  }
}
