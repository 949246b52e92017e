/**
 * The dashboard page driven in a real browser (Debian's Chromium via playwright-core) against
 * a real sse sink fed with demo mail-server traffic: what an operator does with it.
 * Screenshots go to test-artifacts/ (dashboard.png, dashboard-narrow.png, and one per live-view
 * feature: dashboard-follow.png, -since, -top, -pipeline, -dropped, -share).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { Subject } from "rxjs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LiveEvent } from "../core/index.js";
import { hashPassword } from "../core/kit.js";
import { createPlugin, freePort as anyFreePort } from "../core/testing.js";
import sseDefinition, { type SseSink } from "../plugins/sinks/sse/index.js";
import { mailTraffic } from "../plugins/sources/demo/traffic.js";
import { startPipeline } from "./support/pipeline-run.js";

const ROOT = resolve(import.meta.dirname, "..");
const DASHBOARD_SRC = join(ROOT, "plugins/sinks/sse/dashboard");
const BUILT_PAGE = join(ROOT, "dist/dashboard/index.html");
const ARTIFACTS = join(ROOT, "test-artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TOKEN = "dashboard-test-token-0123456789";

// CI installs chromium (.ci/run); elsewhere the browser tests are skipped when it is missing.
const runBrowser = existsSync(CHROMIUM) || Boolean(process.env.CI);

/** Builds the page when dist/dashboard is missing or older than its sources (vitest run without `npm run build`). */
function ensureBuilt(): void {
  const newest = (p: string): number => {
    const s = statSync(p);
    return s.isDirectory() ? Math.max(0, ...readdirSync(p).map((n) => newest(join(p, n)))) : s.mtimeMs;
  };
  const sources = Math.max(newest(join(DASHBOARD_SRC, "src")), newest(join(DASHBOARD_SRC, "index.html")), newest(join(DASHBOARD_SRC, "vite.config.ts")));
  if (existsSync(BUILT_PAGE) && statSync(BUILT_PAGE).mtimeMs >= sources) return;
  const vite = join(ROOT, "node_modules/vite/bin/vite.js");
  const r = spawnSync(process.execPath, [vite, "build", "--config", join(DASHBOARD_SRC, "vite.config.ts")], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * A free port below the kernel's ephemeral range (32768 and up), so that while the reconnect
 * test has its server down, no `listen(0)` of another process on this machine can take it.
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once("error", () => res(false));
      s.listen(port, "127.0.0.1", () => s.close(() => res(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port found in 20000-31999");
}

interface Live {
  url: string;
  /** The dashboard's address. */
  page: string;
  port: number;
  /** Pushes `n` more events at once (in chunks, letting the sink write in between). */
  burst(n: number): Promise<void>;
  /** Pushes one event of the test's own (created now, or at `createdAt`). */
  send(type: string, data: Record<string, unknown>, createdAt?: string): void;
  close(): Promise<void>;
}

/**
 * A real sse sink on 127.0.0.1 fed with demo traffic (about 50 events/s) and the metrics a
 * pipeline keeps (events.received, per-type counters, event.latency, server.memory).
 */
async function startLive(options: Record<string, unknown> = {}, port?: number): Promise<Live> {
  port ??= await freePort();
  const address = `127.0.0.1:${port}`;
  const created = createPlugin(sseDefinition, { address, batchWindowMs: 50, ...options });
  const sink = created.plugin as SseSink;
  const { metrics, http } = created.services;
  await sink.start();
  const pagePath = "/"; // the sink serves the dashboard itself
  const problems = await http.listenAll();
  if (problems.length) throw new Error(problems.map((p) => p.message).join("; "));

  const input = new Subject<LiveEvent>();
  sink.consume(input.asObservable()).catch(() => undefined);
  const received = metrics.counter("events.received", "Events received from all sources");
  const latency = metrics.histogram("event.latency", "Milliseconds from receipt to hand-off");
  metrics.gauge("server.memory", "Resident set size, bytes", () => process.memoryUsage.rss());
  const next = mailTraffic(port);
  let seq = 0;
  const push = (n: number) => {
    for (let i = 0; i < n; i++) {
      const now = Date.now();
      const e = next(now);
      const event: LiveEvent = { ...e, id: `${now}-${++seq}`, createdAt: new Date(now).toISOString(), data: e.data ?? {} } as LiveEvent;
      metrics.eventTypeCounter(event.type).inc();
      received.inc();
      latency.observe(1 + (seq % 7));
      input.next(event);
    }
  };
  const feed = setInterval(() => push(5), 100);
  const url = sink.url()!;
  return {
    url,
    page: url + pagePath,
    port,
    async burst(n) {
      for (let left = n; left > 0; left -= 5000) {
        push(Math.min(5000, left));
        await new Promise((r) => setImmediate(r));
      }
    },
    send(type, data, createdAt) {
      const now = Date.now();
      input.next({ id: `${now}-${++seq}`, type, createdAt: createdAt ?? new Date(now).toISOString(), data });
    },
    async close() {
      clearInterval(feed);
      input.complete();
      await sink.stop();
      await http.closeAll();
    },
  };
}

/** Console errors and page errors of a page; `allow` lists expected ones (a refused wrong password). */
function watchErrors(page: Page): { errors: string[]; allow: RegExp[] } {
  const w = { errors: [] as string[], allow: [] as RegExp[] };
  page.on("console", (m) => {
    if (m.type() !== "error" && m.type() !== "warning") return;
    const text = `console.${m.type()}: ${m.text()}`;
    if (!w.allow.some((r) => r.test(text))) w.errors.push(text);
  });
  page.on("pageerror", (e) => w.errors.push(`pageerror: ${e.message}`));
  return w;
}

const rowTypes = (page: Page) => page.locator("#list .row:not([hidden])").evaluateAll((els) => els.map((e) => e.getAttribute("data-type") ?? ""));
const rowCount = async (page: Page) => Number(await page.locator("#counts").getAttribute("data-rows"));
const search = async (page: Page) => Object.fromEntries(new URLSearchParams((await page.evaluate("location.search")) as string));
const poll = { timeout: 15_000, interval: 50 };
/** For what waits on a new top frame (one every 2 s) after a reconnect: a loaded machine needs more than a few frames' time. */
const slowPoll = { timeout: 40_000, interval: 100 };

/** Two animation frames: whatever the page had queued to draw is drawn. */
const settled = (page: Page) => page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");

/** Scrolls the event list from the top until a row of `type` is drawn; false when there is none. */
const scrollToRow = (page: Page, type: string) =>
  page.evaluate(`(async () => {
    const list = document.getElementById("list");
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    for (let top = 0; top <= list.scrollHeight; top += list.clientHeight / 2) {
      list.scrollTop = top;
      await frame();
      if (list.querySelector('.row:not([hidden])[data-type="${type}"]')) return true;
    }
    return false;
  })()`);

describe.skipIf(!runBrowser)("dashboard in Chromium", () => {
  let browser: Browser;
  let context: BrowserContext | undefined;
  /** More browser contexts of a test (a second browser opening a shared link). */
  const others: BrowserContext[] = [];
  const lives: Live[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
  }, 120_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
    for (const c of others.splice(0)) await c.close();
    for (const fn of cleanups.splice(0)) await fn();
    for (const l of lives.splice(0)) await l.close();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(live: Live, opts: { width?: number; height?: number; hash?: string } = {}) {
    context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, colorScheme: "dark" });
    const page = await context.newPage();
    const watch = watchErrors(page);
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(live.page + (opts.hash ?? ""));
    return { page, watch, requests };
  }

  async function live(options: Record<string, unknown> = {}, port?: number): Promise<Live> {
    const l = await startLive(options, port);
    lives.push(l);
    return l;
  }

  it("streams events, filters them through the address, pauses, resumes, clears and shows details", async () => {
    const l = await live();
    const { page, watch, requests } = await open(l);

    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(5);
    await expect.poll(() => page.locator("#st-events").getAttribute("data-state"), poll).toBe("open");
    expect(new Set(await rowTypes(page)).size).toBeGreaterThan(1);
    // Relative URLs only, and the first connect asks for the server's recent events.
    const stream = requests.find((u) => u.includes("/api/telemetry/traces/live"));
    expect(stream).toBe(`${l.url}/api/telemetry/traces/live?lastEventId=0-0`);

    // A type filter narrows the list and goes into the address.
    await page.fill("#f-types", "smtp.connection-start");
    await expect.poll(() => search(page), poll).toEqual({ type: "smtp.connection-start" });
    await expect.poll(async () => new Set(await rowTypes(page)), poll).toEqual(new Set(["smtp.connection-start"]));

    // Key filter rows (camelCase as in the JSON, kebab-case in the query) and the global filter: all must hold.
    await page.click("#f-add-key");
    await page.fill("#f-keys .keyrow input.k", "remoteIp");
    await page.fill("#f-keys .keyrow input.v", "192.0.2.");
    await page.fill("#f-filter", "example");
    await page.press("#f-filter", "Enter");
    await expect.poll(() => search(page), poll).toEqual({ filter: "example", type: "smtp.connection-start", "remote-ip": "192.0.2." });
    await expect.poll(() => requests.some((u) => u.includes("/api/telemetry/traces/live?filter=example&type=smtp.connection-start&remote-ip=192.0.2.")), poll).toBe(true);
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(0);
    const fields = await page.locator("#list .row:not([hidden]) .f").allTextContents();
    expect(fields.length).toBeGreaterThan(0);
    for (const f of fields) {
      expect(f).toContain("remoteIp=192.0.2.");
      expect(f).toContain("example");
    }

    // The address is the view: a reload (or a shared link) restores the controls.
    await page.reload();
    await expect.poll(() => page.inputValue("#f-types"), poll).toBe("smtp.connection-start");
    expect(await page.inputValue("#f-keys .keyrow input.k")).toBe("remoteIp");
    expect(await page.inputValue("#f-keys .keyrow input.v")).toBe("192.0.2.");
    await page.click("#f-reset");
    await expect.poll(() => search(page), poll).toEqual({});
    await expect.poll(async () => new Set(await rowTypes(page)).size, poll).toBeGreaterThan(1);

    // Pause holds the list while the "paused (N new)" counter grows; resume shows them.
    await page.click("#pause");
    await page.locator("#st-paused").waitFor({ state: "visible" });
    await settled(page); // a draw queued before the click may still land
    const held = await rowCount(page);
    const firstRow = await page.locator("#list .row:not([hidden])").first().textContent();
    await expect.poll(async () => Number(/\((\d+) new\)/.exec((await page.locator("#st-paused").textContent()) ?? "")?.[1]), poll).toBeGreaterThan(10);
    expect(await rowCount(page)).toBe(held);
    expect(await page.locator("#list .row:not([hidden])").first().textContent()).toBe(firstRow);
    await page.click("#pause");
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(held + 10);
    expect(await page.locator("#st-paused").isHidden()).toBe(true);

    // Clear empties the list; while paused it stays empty.
    await page.click("#pause");
    await page.click("#clear");
    await expect.poll(() => rowCount(page), poll).toBe(0);
    await expect.poll(async () => Number(/\((\d+) new\)/.exec((await page.locator("#st-paused").textContent()) ?? "")?.[1]), poll).toBeGreaterThan(5);
    expect(await rowCount(page)).toBe(0);
    await page.click("#pause");
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(0);

    // Scrolled down to read, the rows stay put while new ones arrive above ("↑ N newer").
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(80);
    await page.evaluate('document.getElementById("list").scrollTop = 600');
    await settled(page);
    const rowAtTop = () => page.evaluate('(() => { const r = document.getElementById("list").getBoundingClientRect(); return document.elementFromPoint(r.left + 40, r.top + 40).closest(".row").textContent; })()');
    const reading = await rowAtTop();
    await page.locator("#newer").waitFor({ state: "visible" });
    await expect.poll(async () => Number(/\d+/.exec((await page.locator("#newer").textContent()) ?? "")?.[0]), poll).toBeGreaterThan(5);
    expect(await rowAtTop()).toBe(reading);
    await page.click("#newer");
    await expect.poll(() => page.evaluate('document.getElementById("list").scrollTop'), poll).toBe(0);

    // Keyboard: the list takes focus, arrows select, Enter opens the details; Escape closes them.
    await page.focus("#list");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.locator("#detail").waitFor({ state: "visible" });
    const json = JSON.parse((await page.locator("#detail-json").textContent()) ?? "{}");
    expect(typeof json.type).toBe("string");
    expect(typeof json.data).toBe("object");
    // ＋ next to a data field filters on it.
    const key = (await page.locator("#detail-data th").first().textContent())!;
    await page.locator("#detail-data button").first().click();
    await expect.poll(async () => Object.keys(await search(page)), poll).toEqual([key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)]);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator("#detail").isHidden(), poll).toBe(true);

    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("neutralises bidi overrides in a shared link's filter and in event data, and wraps a very long key", async () => {
    const l = await live();
    const RLO = "\u202E";
    // A link whose key filter would display as "abc fed exe.png".
    const { page, watch, requests } = await open(l, { hash: `?remote-ip=${encodeURIComponent(`abc${RLO}gnp.exe def`)}&type=hostile.event` });
    expect(await page.inputValue("#f-keys .keyrow input.v")).toBe("abcgnp.exe def");
    expect(await page.locator("#f-msg").textContent()).toMatch(/^Removed invisible text-direction characters \(U\+202E\)/);
    await expect.poll(() => requests.some((u) => u.includes("/api/telemetry/traces/live?") && u.includes("remote-ip=abcgnp.exe+def")), poll).toBe(true);
    expect(requests.some((u) => u.includes("/api/") && u.includes("%E2%80%AE"))).toBe(false);

    // An event with a 5,000-character key and an override in a value: shown, never obeyed.
    const longKey = `k${"x".repeat(5_000)}`;
    await page.click("#f-reset");
    await page.fill("#f-types", "hostile.event");
    await page.press("#f-types", "Enter");
    await expect.poll(() => search(page), poll).toEqual({ type: "hostile.event" });
    await expect
      .poll(async () => {
        l.send("hostile.event", { file: `invoice${RLO}fdp.exe`, [longKey]: "value after a long key" });
        return rowCount(page);
      }, poll)
      .toBeGreaterThan(0);
    expect(await page.locator("#list .row:not([hidden]) .f").first().textContent()).toContain(`invoice⟨U+202E⟩fdp.exe`);
    await page.locator("#list .row:not([hidden])").first().click();
    await page.locator("#detail").waitFor({ state: "visible" });
    const panel = (await page.locator("#detail").boundingBox())!;
    const keyCell = (await page.locator("#detail-data th").nth(1).boundingBox())!;
    const valueCell = (await page.locator("#detail-data td").nth(2).boundingBox())!;
    expect(await page.locator("#detail-data td").nth(2).textContent()).toBe("value after a long key");
    // The value stays inside the panel, beside a key that wraps instead of pushing it out.
    expect(valueCell.x + valueCell.width).toBeLessThanOrEqual(panel.x + panel.width);
    expect(valueCell.width).toBeGreaterThan(100);
    expect(keyCell.height).toBeGreaterThan(100);
    expect(await page.locator("#detail-data td").first().textContent()).toBe("invoice⟨U+202E⟩fdp.exe");
    expect(await page.locator("#detail-json").textContent()).not.toContain(RLO);
    expect(await page.evaluate('getComputedStyle(document.querySelector("#detail-data td")).unicodeBidi')).toBe("isolate");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-hostile.png") });
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("charts metrics: rates, means and gauges, chosen in the picker, at the chosen interval", async () => {
    const l = await live();
    const { page, watch, requests } = await open(l, { hash: "#i=1" });

    const card = page.locator('#charts .chart[data-id="events.received"]');
    await card.locator("canvas").first().waitFor();
    await expect.poll(() => card.locator(".val").textContent(), poll).toMatch(/^[\d.,]+k?\/s$/);
    expect(await card.locator(".kind").textContent()).toBe("rate /s");
    const box = await card.locator("canvas").first().boundingBox();
    expect(box!.width).toBeGreaterThan(100);
    expect(box!.height).toBeGreaterThan(50);
    await expect.poll(() => page.locator('#charts .chart[data-id="event.latency"] .val').textContent(), poll).toMatch(/ms$/);
    await expect.poll(() => page.locator('#charts .chart[data-id="server.memory"] .val').textContent(), poll).toMatch(/MiB$/);
    expect(requests.some((u) => u === `${l.url}/api/telemetry/metrics/live?interval=1`)).toBe(true);

    // Pick one more metric: a chart appears, and the choice goes into the address's fragment.
    await page.click("#m-picker summary");
    await page.fill("#m-search", "smtp.mail-from");
    await page.check('#m-list input[value="smtp.mail-from"]');
    await page.locator('#charts .chart[data-id="smtp.mail-from"] canvas').first().waitFor();
    expect(decodeURIComponent((await page.evaluate("location.hash")) as string)).toContain("smtp.mail-from");
    await page.keyboard.press("Escape");

    // Another interval reconnects the metrics stream with it.
    await page.selectOption("#m-interval", "5");
    await expect.poll(() => requests.some((u) => u === `${l.url}/api/telemetry/metrics/live?interval=5`), poll).toBe(true);
    await expect.poll(() => page.locator("#st-metrics").getAttribute("data-state"), poll).toBe("open");

    // Both panes side by side on a desktop window: the screenshot shows events and charts moving.
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(20);
    await page.waitForTimeout(2500); // let the charts gather some points for the picture (not asserted)
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png") });
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("asks for credentials when the sink has auth, streams with tokens, and signs out", async () => {
    const passwordHash = await hashPassword("correct horse battery");
    const l = await live({ auth: { bearer: [TOKEN], basic: [{ user: "ops", passwordHash }] } });
    const { page, watch, requests } = await open(l);

    await page.locator("#login").waitFor({ state: "visible" });
    expect(await rowCount(page)).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-login.png") });
    // A wrong token is refused in the dialog (the browser logs that 401: expected here).
    watch.allow.push(/status of 401/);
    await page.fill("#login-token", "not-the-token-0123456789");
    await page.click("#login-submit");
    await expect.poll(() => page.locator("#login-error").textContent(), poll).toContain("Not accepted");

    await page.fill("#login-token", TOKEN);
    await page.click("#login-submit");
    await page.locator("#login").waitFor({ state: "hidden" });
    watch.allow.length = 0;
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(5);
    await expect.poll(() => page.locator("#st-metrics").getAttribute("data-state"), poll).toBe("open");
    expect(requests.some((u) => /\/api\/telemetry\/traces\/live\?lastEventId=0-0&token=[\w-]+\.[\w-]+$/.test(u))).toBe(true);
    expect(requests.some((u) => /\/api\/telemetry\/metrics\/live\?interval=2&token=[\w-]+\.[\w-]+$/.test(u))).toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('livetap.authorization')")).toBe(`Bearer ${TOKEN}`);

    // Kept for the tab: a reload streams without asking again.
    await page.reload();
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(0);
    expect(await page.locator("#login").isHidden()).toBe(true);

    // Sign out, then in again with a basic user.
    await page.click("#logout");
    await page.locator("#login").waitFor({ state: "visible" });
    expect(await page.evaluate("sessionStorage.getItem('livetap.authorization')")).toBeNull();
    await page.check('input[name="scheme"][value="basic"]');
    await page.fill("#login-user", "ops");
    await page.fill("#login-password", "correct horse battery");
    await page.click("#login-submit");
    await page.locator("#login").waitFor({ state: "hidden" });
    await expect.poll(() => page.locator("#st-events").getAttribute("data-state"), poll).toBe("open");
    expect(await page.evaluate("sessionStorage.getItem('livetap.authorization')")).toMatch(/^Basic /);
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("reconnects after the server restarts, with a fresh token and its last event id, and shows the gap", async () => {
    let l = await live({ auth: { bearer: [TOKEN] } });
    const { page, watch, requests } = await open(l);
    await page.locator("#login").waitFor({ state: "visible" });
    await page.fill("#login-token", TOKEN);
    await page.click("#login-submit");
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(5);

    // The browser logs the refused connections while the server is down: expected here.
    watch.allow.push(/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|status of 503/);
    await lives.splice(lives.indexOf(l), 1)[0].close();
    await expect.poll(() => page.locator("#st-events").getAttribute("data-state"), poll).toBe("retrying");
    const before = requests.length;
    l = await live({ auth: { bearer: [TOKEN] } }, l.port);
    await expect.poll(() => page.locator("#st-events").getAttribute("data-state"), { ...poll, timeout: 30_000 }).toBe("open");
    const resumed = requests.slice(before).find((u) => u.includes("/api/telemetry/traces/live?"));
    // Resumed after the last event seen, with a token of the new server (the old one's are void).
    expect(resumed).toMatch(/\?lastEventId=\d+-\d+&token=/);
    expect(resumed).not.toContain("lastEventId=0-0");
    expect(requests.slice(before).some((u) => u.endsWith("/api/telemetry/live/tracing-token"))).toBe(true);
    // The new server never had that id: the page says events were missed, in the bar and in the list.
    await page.locator("#st-gap").waitFor({ state: "visible" });
    // The list is virtualised and the new server's replay comes after the gap row: pause, then
    // scroll down to it like an operator would.
    await page.click("#pause");
    expect(await scrollToRow(page, "gap")).toBe(true);
    expect(await page.locator('#list .row:not([hidden])[data-type="gap"]').textContent()).toContain("events were missed");
    expect(await page.locator("#login").isHidden(), `${await page.locator("#login-why").textContent()} ${watch.errors.join("; ")}`).toBe(true);
    expect(watch.errors.filter((e) => !/ERR_|status of 503/.test(e))).toEqual([]);
  }, 120_000);

  it("keeps the newest 100,000 events and draws only the rows in view", async () => {
    // A browser drawing 110,000 rows lags: queue them all for it (by count and by bytes) so none is dropped.
    const l = await live({ clientBufferEvents: 200_000, clientBufferBytes: 256 * 1024 * 1024 });
    const { page, watch } = await open(l);
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(0);
    await l.burst(110_000);
    await expect.poll(() => rowCount(page), { ...poll, timeout: 60_000 }).toBe(100_000);
    expect(await page.locator("#cap").textContent()).toBe("newest 100,000 kept");
    expect(await page.locator("#list .row").count()).toBeLessThan(100);
    // The oldest kept row is reachable at the bottom of the list.
    await page.click("#pause");
    await settled(page);
    await page.evaluate('document.getElementById("list").scrollTop = 1e9');
    await settled(page);
    const last = await page.locator("#list .row:not([hidden])").evaluateAll((els) => Math.max(...els.map((e) => Number(e.getAttribute("aria-posinset")))));
    expect(last).toBe(100_000);
    expect(await page.locator("#list .row").count()).toBeLessThan(100);
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("fits a 375 px wide window: no sideways scrolling, two-line rows, tabs for events and metrics", async () => {
    const l = await live();
    const { page, watch } = await open(l, { width: 375, height: 740 });
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(5);
    expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    const row = await page.locator("#list .row:not([hidden])").first().boundingBox();
    expect(row!.width).toBeLessThanOrEqual(375);
    expect(row!.height).toBeGreaterThanOrEqual(40);
    expect(await page.locator("#metrics-pane").isHidden()).toBe(true);
    for (const id of ["#f-filter", "#f-types", "#pause", "#clear", "#st-events"]) expect(await page.locator(id).isVisible()).toBe(true);

    await page.click("#tab-metrics");
    const canvas = page.locator('#charts .chart[data-id="events.received"] canvas').first();
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(box!.x + box!.width).toBeLessThanOrEqual(375);
    expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    await page.click("#tab-events");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-narrow.png") });
    expect(watch.errors).toEqual([]);
  }, 120_000);

  /** A page in a browser context of its own (another browser: no shared sessionStorage). */
  async function openElsewhere(url: string) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
    others.push(ctx);
    const page = await ctx.newPage();
    const watch = watchErrors(page);
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(url);
    return { page, watch, requests };
  }

  /** The data of the event in the detail drawer. */
  const detailEvent = async (page: Page) => JSON.parse((await page.locator("#detail-json").textContent()) ?? "{}") as LiveEvent;
  /** A button of the drawer's data row for `key`. */
  const dataButton = (page: Page, key: string, kind: "Filter" | "Follow") =>
    page.locator(`#detail-data tr:has(th:text-is("${key}")) ${kind === "Filter" ? 'button[aria-label^="Filter on"]' : "button.follow"}`);

  it("follows a session from a clicked value (?remote-ip=192.0.2.99&follow=sessionId), and takes it away again", async () => {
    const l = await live();
    const { page, watch, requests } = await open(l);
    // The first event of a session from 192.0.2.99; the rest of the session does not carry the address.
    await expect
      .poll(async () => {
        l.send("follow.start", { sessionId: "s-99-a", remoteIp: "192.0.2.99", listenerId: "smtp" });
        return page.locator('#list .row:not([hidden])[data-type="follow.start"]').count();
      }, poll)
      .toBeGreaterThan(0);
    // Hold the list still to click a row (new events would move it under the pointer); on a
    // busy machine it may have been pushed down already: scroll to it.
    await page.click("#pause");
    await settled(page);
    expect(await scrollToRow(page, "follow.start")).toBe(true);
    await page.locator('#list .row:not([hidden])[data-type="follow.start"]').first().dispatchEvent("click"); // the row itself, wherever it is now
    await page.locator("#detail").waitFor({ state: "visible" });
    expect((await detailEvent(page)).data.remoteIp).toBe("192.0.2.99");

    // Click the address: the list filters on it; click follow on the session id: it follows sessions.
    await dataButton(page, "remoteIp", "Filter").click();
    await expect.poll(() => search(page), poll).toEqual({ "remote-ip": "192.0.2.99" });
    await expect.poll(() => page.locator('#list .row:not([hidden])[data-type="follow.start"]').count(), poll).toBeGreaterThan(0);
    await page.click("#pause");
    await settled(page);
    expect(await scrollToRow(page, "follow.start")).toBe(true);
    await page.locator('#list .row:not([hidden])[data-type="follow.start"]').first().dispatchEvent("click"); // the row itself, wherever it is now
    await page.locator("#detail").waitFor({ state: "visible" });
    await dataButton(page, "sessionId", "Follow").click();
    await expect.poll(() => search(page), poll).toEqual({ "remote-ip": "192.0.2.99", follow: "sessionId" });
    expect(await page.inputValue("#v-follow")).toBe("sessionId");
    // A sink outside a pipeline has no component to tap: no picker to show.
    expect(await page.locator("#v-outputs-box").isHidden()).toBe(true);
    await expect.poll(() => requests.some((u) => u.includes("/api/telemetry/traces/live?remote-ip=192.0.2.99&follow=sessionId")), poll).toBe(true);
    await expect.poll(() => page.locator("#st-events").getAttribute("data-state"), poll).toBe("open");

    // A whole session shows, its later events without the address too; another session's do not.
    const session = ["follow.start", "follow.ehlo", "follow.mail-from", "follow.end"];
    await expect
      .poll(async () => {
        const id = `s-99-${Math.random().toString(36).slice(2, 8)}`;
        l.send("follow.start", { sessionId: id, remoteIp: "192.0.2.99" });
        for (const type of session.slice(1)) l.send(type, { sessionId: id });
        l.send("other.mail-from", { sessionId: "someone-else" });
        const shown = new Set(await rowTypes(page));
        return session.every((t) => shown.has(t));
      }, poll)
      .toBe(true);
    expect(await rowTypes(page)).not.toContain("other.mail-from");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-follow.png") });

    // The address is the view: a reload follows again; the ✕ stops following.
    await page.reload();
    await expect.poll(() => page.inputValue("#v-follow"), poll).toBe("sessionId");
    await page.click("#v-follow-clear");
    await expect.poll(() => search(page), poll).toEqual({ "remote-ip": "192.0.2.99" });
    expect(await page.locator("#v-follow-clear").isHidden()).toBe(true);
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("starts the stream from a time: live, 15 min, 1 h or a date-time reopen it with since=", async () => {
    const l = await live();
    const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
    l.send("since.old", { n: 1 }, ago(30));
    l.send("since.mid", { n: 2 }, ago(10));
    l.send("since.new", { n: 3 }, ago(2));
    const { page, watch, requests } = await open(l, { hash: "?type=since.*" });
    const shown = async () => new Set((await rowTypes(page)).filter((t) => t.startsWith("since.")));
    // Live: the server's recent events (its whole ring), then new ones.
    await expect.poll(shown, poll).toEqual(new Set(["since.old", "since.mid", "since.new"]));

    await page.selectOption("#v-since", "15m");
    await expect.poll(() => search(page), poll).toEqual({ type: "since.*", since: "15m" });
    await expect.poll(shown, poll).toEqual(new Set(["since.mid", "since.new"]));
    // The time decides where the stream starts, so no backfill id goes with it (an id would win).
    const opened = requests.filter((u) => u.includes("/api/telemetry/traces/live?type=since.*&since=15m"));
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.every((u) => !u.includes("lastEventId"))).toBe(true);

    await page.selectOption("#v-since", "1h");
    await expect.poll(() => search(page), poll).toEqual({ type: "since.*", since: "1h" });
    await expect.poll(shown, poll).toEqual(new Set(["since.old", "since.mid", "since.new"]));

    // A time: the date-time field, in the browser's local time; sent as RFC 3339 UTC.
    await page.selectOption("#v-since", "time");
    const local = (await page.evaluate(`(() => {
      const d = new Date(Date.now() - 5 * 60000), p = (n) => String(n).padStart(2, "0");
      return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
    })()`)) as string;
    await page.fill("#v-since-at", local);
    await page.locator("#v-since-at").dispatchEvent("change");
    await expect.poll(async () => (await search(page)).since ?? "", poll).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse((await search(page)).since) - (Date.now() - 5 * 60_000))).toBeLessThan(60_000);
    await expect.poll(shown, poll).toEqual(new Set(["since.new"]));
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-since.png") });
    // A reload keeps the time.
    await page.reload();
    await expect.poll(() => page.inputValue("#v-since-at"), poll).toBe(local);

    await page.selectOption("#v-since", "");
    await expect.poll(() => search(page), poll).toEqual({ type: "since.*" });
    await expect.poll(shown, poll).toEqual(new Set(["since.old", "since.mid", "since.new"]));
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("shows the top values of a field with the current filters, exact or estimated, and filters on a clicked row", async () => {
    const l = await live();
    const { page, watch, requests } = await open(l, { hash: "?type=smtp.*" });
    await page.click("#side-top");
    expect(await page.locator("#top-pane").isVisible()).toBe(true);
    // The 10 noisiest remote addresses of the last minute, exact for a demo run.
    await expect.poll(() => page.locator("#top-table tbody tr").count(), poll).toBe(10);
    expect(requests.some((u) => u.endsWith("/api/telemetry/top/live?type=smtp.*&by=remoteIp&top=10&window=60&interval=2"))).toBe(true);
    expect(await page.locator("#top-caption").getAttribute("data-exact")).toBe("true");
    expect(await page.locator("#top-caption").textContent()).toBe("exact counts");
    const counts = (await page.locator("#top-table tbody td.num").allTextContents()).map((t) => Number(t.replace(/,/g, "")));
    expect(counts.every((c) => c > 0)).toBe(true);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
    expect(await page.locator("#top-state").textContent()).toMatch(/matching events? with remoteIp in the last 1 min$/);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-top.png") });
    expect(decodeURIComponent((await page.evaluate("location.hash")) as string)).toContain("side=top");

    // A row filters the event list on its value; the panel counts with that filter then.
    // Read and click in one go: the table is redrawn with every frame.
    const value = (await page.locator("#top-table tbody button.value").first().evaluate((b) => {
      (b as unknown as { click(): void }).click();
      return b.textContent;
    }))!;
    await expect.poll(() => search(page), poll).toEqual({ type: "smtp.*", "remote-ip": value });
    await expect.poll(() => requests.some((u) => u.includes(`/api/telemetry/top/live?type=smtp.*&remote-ip=${encodeURIComponent(value)}&by=remoteIp`)), poll).toBe(true);
    // The window starts when the stream opens: count new events of that address.
    await expect
      .poll(async () => {
        l.send("smtp.mail-from", { remoteIp: value });
        return page.locator("#top-table tbody button.value").allTextContents();
      }, slowPoll)
      .toEqual([value]);

    // Another field, by keyboard; a field the server refuses says why.
    await page.fill("#top-by", "type");
    await page.press("#top-by", "Enter");
    await expect
      .poll(async () => {
        l.send("smtp.rcpt-to", { remoteIp: value });
        return page.locator("#top-table tbody button.value").allTextContents();
      }, slowPoll)
      .toContain("smtp.rcpt-to");
    expect((await page.locator("#top-table tbody button.value").allTextContents()).every((t) => t.startsWith("smtp."))).toBe(true);
    watch.allow.push(/status of 400/);
    await page.fill("#top-by", "a..b");
    await page.press("#top-by", "Enter");
    await expect.poll(() => page.locator("#top-state").textContent(), poll).toMatch(/^The server refused the top stream: .*a\.\.b/);
    expect(await page.locator("#top-state").getAttribute("role")).toBe("alert");
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("marks the top counts as an estimate when there are more distinct values than maxTopKeys", async () => {
    const l = await live({ maxTopKeys: 10 });
    const { page, watch } = await open(l, { hash: "#side=top" });
    await page.fill("#top-by", "sessionId");
    await page.press("#top-by", "Enter");
    await expect.poll(() => page.locator("#top-caption").getAttribute("data-exact"), poll).toBe("false");
    expect(await page.locator("#top-caption").textContent()).toMatch(/^estimate/);
    expect((await page.locator("#top-table tbody td.num").allTextContents()).every((t) => t.startsWith("≈"))).toBe(true);
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("draws the pipeline with live counters, and shows any component's output from its card or the picker", async () => {
    const port = await anyFreePort();
    const run = await startPipeline({
      sources: { demo: { type: "demo", rate: 80, seed: 11 } },
      operators: { "smtp-only": { type: "filter", inputs: ["demo"], include: { type: "smtp.*" } } },
      sinks: { live: { type: "sse", inputs: ["smtp-only"], address: `127.0.0.1:${port}`, batchWindowMs: 50 } },
    });
    cleanups.push(() => run.pipeline.stop());
    const url = `http://127.0.0.1:${port}`;
    const { page, watch } = await open({ page: `${url}/` } as Live);
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(5);
    expect((await rowTypes(page)).every((t) => t.startsWith("smtp."))).toBe(true);
    // The picker offers what this sink can tap (from /api/pipeline).
    await expect.poll(() => page.locator("#v-outputs option").evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value)), poll).toEqual(["", "sources.demo", "operators.smtp-only"]);

    expect(await page.locator("#v-outputs-box").isVisible()).toBe(true);
    await page.click("#side-pipeline");
    await expect.poll(() => page.locator("#pipeline-columns .column").count(), poll).toBe(3);
    expect(await page.locator("#pipeline-columns .column").evaluateAll((cs) => cs.map((c) => [...c.querySelectorAll(".node")].map((n) => n.getAttribute("data-name"))))).toEqual([["demo"], ["smtp-only"], ["live"]]);
    expect(await page.locator("#pipeline-edges path[data-edge]").evaluateAll((ps) => ps.map((p) => p.getAttribute("data-edge")))).toEqual(["demo->smtp-only", "smtp-only->live"]);
    // Each edge runs from its input's card to its reader's: side by side (right edge to left
    // edge) when the columns fit the panel, else top to bottom (bottom edge to top edge).
    const edgeEnds = async (edge: string) => {
      const graph = (await page.locator("#pipeline-graph").boundingBox())!;
      const n = (await page.locator(`#pipeline-edges path[data-edge="${edge}"]`).getAttribute("d"))!.replace(/[MC,]/g, " ").trim().split(/\s+/).map(Number);
      return { x1: graph.x + n[0], y1: graph.y + n[1], x2: graph.x + n[6], y2: graph.y + n[7] };
    };
    const near = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(2);
    const checkEdges = async () => {
      const vertical = await page.locator("#pipeline-graph.vertical").count();
      for (const [from, to] of [["demo", "smtp-only"], ["smtp-only", "live"]]) {
        const a = (await page.locator(`.node[data-name="${from}"]`).boundingBox())!;
        const b = (await page.locator(`.node[data-name="${to}"]`).boundingBox())!;
        const e = await edgeEnds(`${from}->${to}`);
        if (vertical) {
          near(e.y1, a.y + a.height);
          near(e.y2, b.y);
          near(e.x1, a.x + a.width / 2);
        } else {
          near(e.x1, a.x + a.width);
          near(e.x2, b.x);
          near(e.y1, a.y + a.height / 2);
        }
      }
      return vertical;
    };
    // The side panel of a 1280 px window is narrow: depths top to bottom.
    expect(await checkEdges()).toBe(1);
    // The counters move while the panel is shown; the filter drops what is not smtp.*.
    const out = async (name: string) => Number(((await page.locator(`.node[data-name="${name}"] .out`).textContent()) ?? "").replace(/,/g, ""));
    const first = await out("demo");
    await expect.poll(() => out("demo"), poll).toBeGreaterThan(first);
    await expect.poll(async () => Number(((await page.locator('.node[data-name="smtp-only"] .dropped').textContent()) ?? "").replace(/,/g, "")), poll).toBeGreaterThan(0);
    await expect.poll(() => page.locator('.node[data-name="demo"] .rate').textContent(), poll).toMatch(/\/s out$/);
    expect(await page.locator('.node[data-name="live"] button.tap').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-pipeline.png") });
    // A wider panel (a narrow window shows it alone): columns side by side.
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.click("#tab-metrics");
    await expect.poll(() => page.locator("#pipeline-graph.vertical").count(), poll).toBe(0);
    await settled(page);
    expect(await checkEdges()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-pipeline-wide.png") });
    await page.click("#tab-events");
    await page.setViewportSize({ width: 1280, height: 800 });

    // "Show its output" on the source: the list shows what the filter keeps from the sink.
    await page.locator('.node[data-name="demo"] button.tap').click();
    await expect.poll(() => search(page), poll).toEqual({ "outputs-of": "sources.demo" });
    await expect.poll(async () => (await rowTypes(page)).some((t) => !t.startsWith("smtp.")), poll).toBe(true);
    expect(await page.inputValue("#v-outputs")).toBe("sources.demo");
    // The picker: the operator's output is what it lets through, with the list's filters too.
    await page.fill("#f-types", "smtp.ehlo");
    await page.press("#f-types", "Enter");
    await page.selectOption("#v-outputs", "operators.smtp-only");
    await expect.poll(() => search(page), poll).toEqual({ type: "smtp.ehlo", "outputs-of": "operators.smtp-only" });
    await expect.poll(async () => new Set(await rowTypes(page)), poll).toEqual(new Set(["smtp.ehlo"]));
    await page.selectOption("#v-outputs", "");
    await expect.poll(() => search(page), poll).toEqual({ type: "smtp.ehlo" });

    // A component the server does not know: its 400 says which it knows.
    watch.allow.push(/status of 400/);
    await page.goto(`${url}/?outputs-of=operators.nope`);
    await expect.poll(() => page.locator("#f-msg").textContent(), poll).toBe('The server rejected this filter: no component "operators.nope" to tap; known: sources.demo, operators.smtp-only');
    expect(await page.locator("#st-events").getAttribute("data-state")).toBe("failed");
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("offers no component to tap when the sink's tapComponents is off, and shows the server's refusal", async () => {
    const l = await live({ tapComponents: false });
    const { page, watch } = await open(l, { hash: "?outputs-of=sources.demo" });
    watch.allow.push(/status of 400/);
    await expect.poll(() => page.locator("#f-msg").textContent(), poll).toMatch(/^The server rejected this filter: tapping components is off on this sink \(option tapComponents/);
    expect(await page.locator("#v-outputs option").evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual(["", "sources.demo"]);
    await page.selectOption("#v-outputs", "");
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(0);
    await page.click("#side-pipeline");
    await expect.poll(() => page.locator("#pipeline-state").textContent(), poll).toBe("This sink runs outside a pipeline: no components to show.");
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("shows the ids of dropped events in the status bar, added up", async () => {
    const l = await live({ clientBufferEvents: 100 });
    const { page, watch } = await open(l);
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(0);
    await l.burst(30_000);
    await page.locator("#st-dropped").waitFor({ state: "visible" });
    const text = async () => (await page.locator("#st-dropped").textContent()) ?? "";
    expect(await text()).toMatch(/^[\d,]+ dropped \(ids \d+-\d+\.\.\d+-\d+\)$/);
    const [, from, to] = /\(ids (\d+-\d+)\.\.(\d+-\d+)\)/.exec(await text())!;
    expect(Number(to.split("-")[1])).toBeGreaterThanOrEqual(Number(from.split("-")[1]));
    expect(await page.locator("#st-dropped").getAttribute("title")).toContain(`${from}..`);
    // A second overflow adds to the count; the first id stays.
    const before = Number((await text()).split(" ")[0].replace(/,/g, ""));
    await l.burst(30_000);
    await expect.poll(async () => Number((await text()).split(" ")[0].replace(/,/g, "")), poll).toBeGreaterThan(before);
    expect(await text()).toContain(`(ids ${from}..`);
    // The list has a row where they were missing, with the range.
    await page.click("#pause");
    expect(await scrollToRow(page, "dropped")).toBe(true);
    expect(await page.locator('#list .row:not([hidden])[data-type="dropped"]').first().textContent()).toMatch(/dropped here by the server .*: ids \d+-\d+\.\.\d+-\d+/);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-dropped.png") });
    expect(watch.errors).toEqual([]);
  }, 120_000);

  it("shares a scoped link: another browser sees only the scope's events, whatever filters its address adds", async () => {
    const ADMIN = "dashboard-admin-token-0123456789";
    const TENANT = "dashboard-tenant-token-0123456789";
    // A 1 s token life: the link asks for a day, so it still opens after that.
    const l = await live({ auth: { bearer: [ADMIN, { token: TENANT, scope: "domain=example.net" }], tokenTtlSeconds: 1 } });
    const { page, watch, requests } = await open(l);
    await page.locator("#login").waitFor({ state: "visible" });
    await page.fill("#login-token", ADMIN);
    await page.click("#login-submit");
    await page.locator("#login").waitFor({ state: "hidden" });
    await expect.poll(() => rowCount(page), poll).toBeGreaterThan(0);

    // Without filters there is nothing to scope to.
    await page.click("#f-share");
    await expect.poll(() => page.locator("#f-msg").textContent(), poll).toBe("Set filters first: a shared link shows only what they match.");
    await page.click("#f-add-key");
    await page.fill("#f-keys .keyrow input.k", "domain");
    await page.fill("#f-keys .keyrow input.v", "example.org");
    await page.press("#f-keys .keyrow input.v", "Enter");
    await expect.poll(() => search(page), poll).toEqual({ domain: "example.org" });
    await page.click("#f-share");
    await page.locator("#share-box").waitFor({ state: "visible" });
    const link = await page.inputValue("#share-url");
    expect(requests.some((u) => u.endsWith("/api/telemetry/live/tracing-token?domain=example.org&ttl=86400"))).toBe(true);
    const linkUrl = new URL(link);
    expect([...linkUrl.searchParams.keys()]).toEqual(["token"]);
    expect(link.startsWith(`${l.url}/?token=`)).toBe(true);
    expect(link).not.toContain(ADMIN);
    expect(await page.locator("#share-what").textContent()).toMatch(/^Shows only domain=example\.org\. Opens until .+ \(1 day\)\.$/);
    await new Promise((r) => setTimeout(r, 1_500)); // past tokenTtlSeconds

    // Another browser: no sign-in, only the scope's events; it says it is scoped.
    const mine = { domain: "example.org" };
    const theirs = { domain: "example.net" };
    const a = await openElsewhere(link);
    const narrowed = await openElsewhere(`${link}&type=tenant.*`);
    const widened = await openElsewhere(`${link}&domain=example.net`);
    for (const p of [a, narrowed, widened]) await expect.poll(() => p.page.locator("#st-events").getAttribute("data-state"), poll).toBe("open");
    const marker = `m-${Date.now()}`;
    await expect
      .poll(async () => {
        l.send("tenant.a", { ...mine, marker });
        l.send("tenant.b", { ...theirs, marker });
        return (await rowTypes(narrowed.page)).includes("tenant.a") && (await rowTypes(a.page)).includes("tenant.a");
      }, poll)
      .toBe(true);
    expect(await a.page.locator("#login").isHidden()).toBe(true);
    expect(await a.page.locator("#st-scope").textContent()).toBe("scoped: domain=example.org");
    expect(await rowTypes(a.page)).not.toContain("tenant.b");
    expect(new Set(await rowTypes(narrowed.page))).toEqual(new Set(["tenant.a"]));
    expect(await narrowed.page.inputValue("#f-types")).toBe("tenant.*");
    // The address tried to widen to the other tenant: the scope still holds, so nothing matches both.
    expect(await rowCount(widened.page)).toBe(0);
    expect(widened.requests.some((u) => u.includes("/api/telemetry/traces/live?domain=example.net&lastEventId=0-0&token="))).toBe(true);
    // Every row of the scoped page is in the scope (its drawer shows the event's data).
    await a.page.click("#pause");
    await settled(a.page);
    const rows = a.page.locator("#list .row:not([hidden])");
    for (let i = 0; i < Math.min(5, await rows.count()); i++) {
      await rows.nth(i).click();
      expect(String((await detailEvent(a.page)).data.domain)).toContain("example.org");
      await a.page.keyboard.press("Escape"); // the drawer covers part of the list
      await a.page.locator("#detail").waitFor({ state: "hidden" });
    }
    // Nothing process-wide for a link: no metrics stream, no pipeline, no share, no sign-out.
    expect(a.requests.some((u) => u.includes("/api/telemetry/metrics/live") || u.includes("/api/pipeline") || u.includes("metrics-token"))).toBe(false);
    expect(await a.page.locator("#st-metrics").getAttribute("data-state")).toBe("stopped");
    expect(await a.page.locator("#logout").isHidden()).toBe(true);
    await a.page.click("#f-share");
    expect(await a.page.locator("#f-msg").textContent()).toBe("This page was opened from a shared link: it cannot make new ones.");
    // The Top panel counts within the scope too.
    await a.page.click("#side-top");
    await a.page.fill("#top-by", "domain");
    await a.page.press("#top-by", "Enter");
    await expect
      .poll(async () => {
        l.send("tenant.a", { ...mine, marker });
        l.send("tenant.b", { ...theirs, marker });
        return a.page.locator("#top-table tbody button.value").allTextContents();
      }, poll)
      .toContain("example.org");
    expect((await a.page.locator("#top-table tbody button.value").allTextContents()).every((v) => v.includes("example.org"))).toBe(true);
    await a.page.click("#side-pipeline");
    expect(await a.page.locator("#pipeline-state").textContent()).toMatch(/^A shared link shows only the events it was made for/);
    await a.page.click("#side-metrics");
    await a.page.screenshot({ path: join(ARTIFACTS, "dashboard-share.png") });

    // A scoped credential signed in directly: the server's 403 on the pipeline is shown as it is.
    const t = await openElsewhere(l.page);
    t.watch.allow.push(/status of 403/); // the browser logs the refusals the page then shows
    await t.page.locator("#login").waitFor({ state: "visible" });
    await t.page.fill("#login-token", TENANT);
    await t.page.click("#login-submit");
    await t.page.locator("#login").waitFor({ state: "hidden" });
    await t.page.click("#side-pipeline");
    await expect.poll(() => t.page.locator("#pipeline-state").textContent(), poll).toBe("The server answered 403: a scoped credential opens only the traces and top streams, never process-wide data");
    await expect.poll(() => t.page.locator("#st-metrics").getAttribute("data-state"), poll).toBe("failed");
    for (const w of [watch, a.watch, narrowed.watch, widened.watch, t.watch]) expect(w.errors).toEqual([]);
  }, 120_000);

  it("says so when a shared link no longer opens the stream, without asking for credentials", async () => {
    const l = await live({ auth: { bearer: [TOKEN] } });
    const res = await fetch(`${l.url}/api/telemetry/live/tracing-token?domain=example.org`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const token = ((await res.json()) as { data: string }).data;
    // One character changed: what a link looks like once the server no longer accepts it.
    const broken = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    const { page, watch } = await openElsewhere(`${l.page}?token=${encodeURIComponent(broken)}`);
    watch.allow.push(/status of 401/);
    await expect.poll(() => page.locator("#st-events").getAttribute("data-state"), poll).toBe("failed");
    expect(await page.locator("#st-events").getAttribute("title")).toMatch(/this shared link no longer opens the stream \(invalid token.*\): ask for a new link/);
    expect(await page.locator("#login").isHidden()).toBe(true);
    expect(await page.locator("#st-scope").textContent()).toBe("scoped: domain=example.org");
    expect(watch.errors).toEqual([]);
  }, 120_000);
});
