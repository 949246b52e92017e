/**
 * The dashboard page driven in a real browser (Debian's Chromium via playwright-core) against
 * a real sse sink fed with demo mail-server traffic: what an operator does with it.
 * Screenshots go to test-artifacts/ (dashboard.png, dashboard-narrow.png).
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
import { createPlugin } from "../core/testing.js";
import sseDefinition, { type SseSink } from "../plugins/sinks/sse/index.js";
import { mailTraffic } from "../plugins/sources/demo/traffic.js";

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
  /** Pushes one event of the test's own. */
  send(type: string, data: Record<string, unknown>): void;
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
    send(type, data) {
      const now = Date.now();
      input.next({ id: `${now}-${++seq}`, type, createdAt: new Date(now).toISOString(), data });
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
  const lives: Live[] = [];

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
    const l = await live({ clientBufferEvents: 200_000 });
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
});
