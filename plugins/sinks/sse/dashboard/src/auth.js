// @ts-check
/**
 * Credentials for a sink with `auth` (CONTRACT 4 "Auth"). EventSource cannot send headers, so
 * the page keeps the operator's Authorization header (sessionStorage: this tab only) and
 * trades it for a short-lived `?token=` at the token endpoints before every (re)connect.
 * A page opened from a shared link has no credentials, only the link's scoped `?token=` for
 * the traces stream (share.js): it uses that, asks for nothing, and opens nothing else.
 */
import { byId } from "./dom.js";
import { PATHS } from "../../paths.ts";

const STORAGE_KEY = "livetap.authorization";

/** @typedef {"traces" | "metrics"} StreamKind */
/** @typedef {{ token: string | undefined } | { status: number, retryAfterS?: number, details?: string }} TokenResult */

/** Relative paths: the page works behind any host, port or path prefix. */
export const TOKEN_PATHS = {
  traces: PATHS.tracingToken.slice(1),
  metrics: PATHS.metricsToken.slice(1),
};

/**
 * `fetch` without the browser's own HTTP credentials: a 401 with a Basic challenge must not
 * pop up the browser's login box, the page has its own.
 * @param {string} url
 * @param {string | undefined} authorization
 * @param {AbortSignal} [signal]
 */
export function apiFetch(url, authorization, signal) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  if (authorization) headers.authorization = authorization;
  return fetch(url, { headers, credentials: "omit", cache: "no-store", signal });
}

/** @param {Response} res */
export function retryAfterSeconds(res) {
  const v = Number(res.headers.get("retry-after"));
  return Number.isFinite(v) && v > 0 ? Math.min(v, 300) : undefined;
}

/** @param {Response} res @returns {Promise<string | undefined>} */
export async function errorDetails(res) {
  try {
    const body = await res.json();
    return typeof body?.details === "string" ? body.details : undefined;
  } catch {
    return undefined;
  }
}

export class Auth {
  /**
   * @param {boolean} required whether the server said it has auth (the page's meta tag)
   * @param {string} [linkToken] the `?token=` of a shared link the page was opened with
   */
  constructor(required, linkToken) {
    this.required = required;
    this.linkToken = linkToken;
    /** @type {string | undefined} kept in memory when sessionStorage is unavailable */
    this.memory = undefined;
    /** @type {Promise<void> | undefined} one dialog for both streams */
    this.pending = undefined;
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    this.dialog = new LoginDialog();
  }

  /** @returns {string | undefined} */
  get authorization() {
    try {
      return sessionStorage.getItem(STORAGE_KEY) ?? this.memory;
    } catch {
      return this.memory;
    }
  }

  /** @param {string | undefined} value */
  set authorization(value) {
    this.memory = value;
    try {
      if (value === undefined) sessionStorage.removeItem(STORAGE_KEY);
      else sessionStorage.setItem(STORAGE_KEY, value);
    } catch {
      // private mode: memory only
    }
    for (const l of this.listeners) l();
  }

  get signedIn() {
    return this.authorization !== undefined;
  }

  /**
   * A fresh `?token=` for one stream; `{ token: undefined }` when the sink has no auth.
   * @param {StreamKind} kind
   * @returns {Promise<TokenResult>}
   */
  async token(kind) {
    if (this.linkToken !== undefined) {
      return kind === "traces" ? { token: this.linkToken } : { status: 403, details: "a shared link opens only the events it was made for" };
    }
    if (!this.required) return { token: undefined };
    const authorization = this.authorization;
    if (authorization === undefined) return { status: 401 };
    let res;
    try {
      res = await apiFetch(TOKEN_PATHS[kind], authorization);
    } catch {
      return { status: 0, details: "server unreachable" };
    }
    if (res.ok) {
      const body = await res.json().catch(() => undefined);
      if (typeof body?.data === "string") return { token: body.data };
      return { status: 502, details: "the token endpoint answered without a token" };
    }
    if (res.status === 401 && this.authorization === authorization) this.authorization = undefined;
    return { status: res.status, retryAfterS: retryAfterSeconds(res), details: await errorDetails(res) };
  }

  /**
   * Asks for credentials until the server accepts them (one dialog, whoever asks).
   * @param {string} [why]
   * @returns {Promise<void>}
   */
  signIn(why) {
    this.required = true;
    this.pending ??= this.dialog
      .ask(why, async (authorization) => {
        let res;
        try {
          res = await apiFetch(TOKEN_PATHS.traces, authorization);
        } catch {
          return "The server cannot be reached; try again.";
        }
        if (res.ok) return undefined;
        if (res.status === 401) return "Not accepted: check the token, or the user and password.";
        const details = await errorDetails(res);
        return `The server answered ${res.status}${details ? `: ${details}` : ""}.`;
      })
      .then((authorization) => {
        this.authorization = authorization;
        this.pending = undefined;
      });
    return this.pending;
  }

  signOut() {
    this.authorization = undefined;
  }

  /** @param {() => void} fn called when the credentials change */
  onChange(fn) {
    this.listeners.add(fn);
  }
}

/** The `<dialog>` asking for a bearer token or a basic user and password. */
class LoginDialog {
  constructor() {
    this.dialog = byId("login", HTMLDialogElement);
    this.form = byId("login-form", HTMLFormElement);
    this.why = byId("login-why", HTMLElement);
    this.error = byId("login-error", HTMLElement);
    this.token = byId("login-token", HTMLInputElement);
    this.user = byId("login-user", HTMLInputElement);
    this.password = byId("login-password", HTMLInputElement);
    this.submit = byId("login-submit", HTMLButtonElement);
    this.bearerBox = byId("login-bearer", HTMLElement);
    this.basicBox = byId("login-basic", HTMLElement);
    this.form.addEventListener("change", () => this.showScheme());
    // Without credentials the page has nothing to show: Escape does not close the dialog.
    this.dialog.addEventListener("cancel", (e) => e.preventDefault());
  }

  get scheme() {
    const checked = /** @type {HTMLInputElement | null} */ (this.form.querySelector('input[name="scheme"]:checked'));
    return checked?.value === "basic" ? "basic" : "bearer";
  }

  showScheme() {
    const basic = this.scheme === "basic";
    this.bearerBox.hidden = basic;
    this.basicBox.hidden = !basic;
  }

  /** @returns {string | undefined} the Authorization header, or undefined (and a message) */
  header() {
    if (this.scheme === "bearer") {
      const t = this.token.value.trim();
      if (t === "") return this.fail("Enter the token.", this.token);
      if (!/^[\x21-\x7e]+$/.test(t)) return this.fail("A token is printable ASCII without spaces.", this.token);
      return `Bearer ${t}`;
    }
    const user = this.user.value;
    if (user === "") return this.fail("Enter the user.", this.user);
    if (user.includes(":")) return this.fail("A user name cannot contain ':'.", this.user);
    const bytes = new TextEncoder().encode(`${user}:${this.password.value}`);
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return `Basic ${btoa(bin)}`;
  }

  /** @param {string} message @param {HTMLInputElement} input @returns {undefined} */
  fail(message, input) {
    this.error.textContent = message;
    input.focus();
    return undefined;
  }

  /**
   * Shows the dialog until `verify` accepts a header (it returns an error message otherwise).
   * @param {string | undefined} why
   * @param {(authorization: string) => Promise<string | undefined>} verify
   * @returns {Promise<string>}
   */
  ask(why, verify) {
    this.why.textContent = why ?? "This livetap server needs credentials to stream events and metrics.";
    this.error.textContent = "";
    this.showScheme();
    if (!this.dialog.open) this.dialog.showModal();
    (this.scheme === "basic" ? this.user : this.token).focus();
    return new Promise((resolve) => {
      /** @param {SubmitEvent} e */
      const onSubmit = async (e) => {
        e.preventDefault();
        const header = this.header();
        if (header === undefined) return;
        this.submit.disabled = true;
        this.error.textContent = "Checking…";
        const problem = await verify(header);
        this.submit.disabled = false;
        if (problem !== undefined) {
          this.error.textContent = problem;
          return;
        }
        this.error.textContent = "";
        this.form.removeEventListener("submit", onSubmit);
        this.token.value = "";
        this.password.value = "";
        this.dialog.close();
        resolve(header);
      };
      this.form.addEventListener("submit", onSubmit);
    });
  }
}
