// @ts-check
/**
 * "Share link": asks the server for a traces token whose scope is the filters in force
 * (CONTRACT 9 scoped tokens: `tracing-token?domain=example.org`) and shows a link to this page
 * with `?token=`. Whoever opens it sees only what those filters match: the scope is signed into
 * the token and ANDed into every stream it opens, whatever the link's own filters say. The only
 * credential ever put in an address is that token; the operator's own stays in this tab.
 */
import { apiFetch, errorDetails, TOKEN_PATHS } from "./auth.js";
import { byId, copyText } from "./dom.js";
import { scopeText, VIEW_PARAM_NAMES } from "./lib/view.ts";

/** @import { Auth } from "./auth.js" */

/** The life a share link's token is asked for. */
const LINK_TTL_SECONDS = 86_400;

/** @param {number} s */
function lifeText(s) {
  if (s >= 86_400 && s % 3600 === 0) return s === 86_400 ? "1 day" : `${Math.round(s / 3600)} h`;
  if (s >= 3600) return `${Math.round(s / 360) / 10} h`;
  if (s >= 60) return `${Math.round(s / 60)} min`;
  return `${s} s`;
}

export class ShareLink {
  /**
   * @param {{
   *   auth: Auth,
   *   filters: () => URLSearchParams,
   *   view: () => URLSearchParams,
   *   say: (text: string, bad?: boolean) => void,
   * }} o filters: the filters in force (the scope); view: the whole query, whose view parameters the link keeps
   */
  constructor(o) {
    this.o = o;
    this.button = byId("f-share", HTMLButtonElement);
    this.box = byId("share-box", HTMLElement);
    this.what = byId("share-what", HTMLElement);
    this.url = byId("share-url", HTMLInputElement);
    this.copy = byId("share-copy", HTMLButtonElement);
    this.button.addEventListener("click", () => void this.share());
    this.copy.addEventListener("click", async () => {
      this.o.say((await copyText(this.url.value)) ? "Shared link copied" : "Copy failed: select the link and copy it");
    });
    byId("share-close", HTMLButtonElement).addEventListener("click", () => {
      this.box.hidden = true;
      this.url.value = "";
      this.button.focus();
    });
  }

  async share() {
    const { auth } = this.o;
    if (auth.linkToken !== undefined) return this.o.say("This page was opened from a shared link: it cannot make new ones.", true);
    if (!auth.required) {
      return this.o.say("This server has no auth, so anyone who reaches it can open any stream: a link cannot be limited. Copy link copies this view.", true);
    }
    const filters = this.o.filters();
    if ([...filters.keys()].length === 0) return this.o.say("Set filters first: a shared link shows only what they match.", true);
    this.button.disabled = true;
    try {
      // A link is for later, so ask for a day; the server may grant less (auth.maxTokenTtlSeconds).
      const res = await apiFetch(`${TOKEN_PATHS.traces}?${filters}&ttl=${LINK_TTL_SECONDS}`, auth.authorization);
      if (!res.ok) {
        const details = await errorDetails(res);
        return this.o.say(`The server did not issue a link token (${res.status}${details ? `: ${details}` : ""})`, true);
      }
      const answer = await res.json().catch(() => undefined);
      const token = answer?.data;
      if (typeof token !== "string") return this.o.say("The token endpoint answered without a token.", true);
      const life = typeof answer.expiresIn === "number" ? answer.expiresIn : undefined;
      const link = new URL(location.pathname, location.href);
      link.searchParams.set("token", token);
      const view = this.o.view();
      for (const name of VIEW_PARAM_NAMES) {
        const v = view.get(name);
        if (v) link.searchParams.set(name, v);
      }
      this.url.value = link.href;
      const until = life === undefined ? "" : ` Opens until ${new Date(Date.now() + life * 1000).toLocaleString()} (${lifeText(life)}).`;
      this.what.textContent = `Shows only ${scopeText([filters.toString()])}.${until}`;
      this.box.hidden = false;
      this.url.select();
      const copied = await copyText(link.href);
      this.o.say(copied ? "Shared link copied" : "Shared link ready: copy it from the field below");
    } catch {
      this.o.say("The server cannot be reached.", true);
    } finally {
      this.button.disabled = false;
    }
  }
}
