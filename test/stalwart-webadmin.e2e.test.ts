/**
 * End to end (CONTRACT 11): a real livetap process with an `sse` sink in `compat: "stalwart"`
 * mode, fed by the demo, syslog (UDP), webhook and file sources, driven the way Stalwart's
 * WebAdmin v0.1.33 drives a Stalwart server: its login (/api/oauth with Basic, /auth/token
 * with a text/plain body), a cross-origin page (CORS), the token endpoints, the live streams
 * and the metrics history. Every frame and body is decoded with a strict decoder mirroring
 * WebAdmin's serde structs: one that does not decode fails the test, as it would fail WebAdmin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dgram from "node:dgram";
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LiveEvent } from "../core/index.js";
import { hashPassword } from "../core/kit.js";
import { freePort } from "../core/testing.js";
import { StreamReader } from "../plugins/sinks/sse/test-support.js";
import { decodeMetricsFrame, decodeMetricsHistory, decodeOAuthCode, decodeOAuthGrant, decodeTraceFrame } from "../plugins/sinks/sse/stalwart/webadmin-decoder.js";
import { livetap, tempDir, writeConfig, type Run } from "./cli/harness.js";
import { untilValue } from "./support/until.js";

const ORIGIN = "https://webadmin.example";
const PASSWORD = "correct horse battery staple";
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;

/** Decodes every trace frame of a stream (throws on the first that WebAdmin would drop) and returns the events. */
function decodedEvents(r: StreamReader): LiveEvent[] {
  const out: LiveEvent[] = [];
  for (const f of r.frames) {
    if (f.event !== "trace") continue;
    decodeTraceFrame(f.data);
    out.push(...(JSON.parse(f.data) as LiveEvent[]));
  }
  return out;
}

describe("Stalwart's WebAdmin against a compat sink", () => {
  let dir: string;
  let run: Run;
  let base: string;
  let syslogPort: number;
  let hooks: string;
  let logFile: string;
  let bearer: string;
  const readers: StreamReader[] = [];

  beforeAll(async () => {
    dir = tempDir("livetap-stalwart-");
    const [ssePort, udpPort, hookPort] = [await freePort(), await freePort(), await freePort()];
    syslogPort = udpPort;
    base = `http://127.0.0.1:${ssePort}`;
    hooks = `http://127.0.0.1:${hookPort}/ingest`;
    logFile = join(dir, "app.log");
    writeFileSync(logFile, "");
    const config = {
      dataDir: join(dir, "state"),
      sources: {
        demo: { type: "demo", rate: 100, seed: 7 },
        syslog: { type: "syslog", mode: "udp", address: `127.0.0.1:${udpPort}` },
        hooks: { type: "webhook", address: `127.0.0.1:${hookPort}` },
        app: { type: "file", include: [logFile], readFrom: "beginning", pollIntervalMs: 50 },
      },
      sinks: {
        live: {
          type: "sse",
          inputs: ["demo", "syslog", "hooks", "app"],
          address: `127.0.0.1:${ssePort}`,
          compat: "stalwart",
          batchWindowMs: 20,
          metricsHistoryIntervalSeconds: 1,
          cors: [ORIGIN],
          auth: { basic: [{ user: "admin", passwordHash: await hashPassword(PASSWORD) }] },
        },
      },
    };
    run = livetap(["run", "--config", writeConfig(dir, config)]);
    await untilValue(() => /listening|started|running/i.test(run.stderr()) || undefined, "livetap to start").catch(() => undefined);
    await untilValue(
      () => {
        void fetch(`${base}/healthz`).then((r) => r.ok && (healthy = true), () => undefined);
        return healthy || undefined;
      },
      "/healthz",
    );
  }, 30_000);
  let healthy = false;

  afterAll(() => {
    for (const r of readers) r.close();
    run?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs in as WebAdmin does: /api/oauth with Basic, then /auth/token with a text/plain body", async () => {
    const preflight = await fetch(`${base}/api/oauth`, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization/);

    const wrong = await fetch(`${base}/api/oauth`, { method: "POST", headers: { authorization: basic("admin", "nope"), "content-type": "application/json", origin: ORIGIN }, body: "{}" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("access-control-allow-origin")).toBe(ORIGIN); // so the page can tell a 401

    const codeRes = await fetch(`${base}/api/oauth`, {
      method: "POST",
      headers: { authorization: basic("admin", PASSWORD), "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({ type: "code", client_id: "webadmin", redirect_uri: "stalwart://auth", nonce: "abcdefghij" }),
    });
    expect(codeRes.status).toBe(200);
    const { code } = decodeOAuthCode(await codeRes.text());

    const form = `grant_type=authorization_code&client_id=webadmin&code=${encodeURIComponent(code)}&redirect_uri=stalwart%3A%2F%2Fauth`;
    const tokenRes = await fetch(`${base}/auth/token`, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8", origin: ORIGIN }, body: form });
    expect(tokenRes.status).toBe(200);
    bearer = decodeOAuthGrant(await tokenRes.text()).accessToken;

    const again = await fetch(`${base}/auth/token`, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8" }, body: form });
    expect(again.status).toBe(400); // a code is used once
    expect(await again.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("every trace frame of every source decodes with WebAdmin's rules, and nothing is lost from view", async () => {
    const tokenRes = await fetch(`${base}/api/telemetry/live/tracing-token`, { headers: { authorization: `Bearer ${bearer}`, origin: ORIGIN } });
    expect(tokenRes.status).toBe(200);
    const token = ((await tokenRes.json()) as { data: string }).data;
    const stream = await StreamReader.open(`${base}/api/telemetry/traces/live?token=${encodeURIComponent(token)}`, { origin: ORIGIN });
    readers.push(stream);
    expect(stream.status).toBe(200);
    expect(stream.headers["access-control-allow-origin"]).toBe(ORIGIN);
    await stream.connected();

    const udp = dgram.createSocket("udp4");
    const send = (msg: string) => new Promise<void>((res, rej) => udp.send(msg, syslogPort, "127.0.0.1", (err) => (err ? rej(err) : res())));
    await send('<165>1 2026-12-01T10:00:00.123Z mx1 postfix 4242 ID47 [exampleSDID@32473 iut="3" eventSource="App"] syslog five-four-two-four');
    await send("<13>Dec  1 10:00:00 mx2 cron[99]: three-one-six-four");
    await send("\u0000 not syslog at all");
    udp.close();
    const post = (body: string, type: string) => fetch(hooks, { method: "POST", headers: { "content-type": type }, body });
    expect((await post(JSON.stringify({ type: "deploy.finished", sessionId: "hook-1", nested: { deep: [1, { x: null }] }, list: [{ a: 1 }], nothing: null, size: 12.5, from: "ci@example.org" }), "application/json")).status).toBe(202);
    expect((await post("a plain text hook line", "text/plain")).status).toBe(202);
    appendFileSync(logFile, 'plain file line\n{"type":"app.started","port":8080,"config":{"a":true}}\n');

    const seen = await untilValue(() => {
      const events = decodedEvents(stream);
      const types = new Set(events.map((e) => e.type));
      const want = ["syslog.message", "syslog.unparsed", "deploy.finished", "webhook.event", "file.line", "app.started", "smtp.connection-start"];
      return want.every((t) => types.has(t)) ? events : undefined;
    }, "events of every source");
    for (const e of seen) expect(typeof e.text).toBe("string");
    const rfc5424 = seen.find((e) => e.type === "syslog.message" && e.text === "syslog five-four-two-four")!;
    expect(rfc5424.data).toMatchObject({ hostname: "mx1", version: 1, remoteIp: "127.0.0.1" });
    expect(rfc5424.details).toMatch(/^appName=postfix$/m);
    expect(rfc5424.details).toMatch(/^structuredData=\{"exampleSDID@32473":\{"iut":"3","eventSource":"App"\}\}$/m);
    const hook = seen.find((e) => e.type === "deploy.finished")!;
    expect(hook.data).toMatchObject({ spanId: "hook-1", size: 12.5, from: "ci@example.org" });
    expect(hook.details).toMatch(/^nothing=null$/m);
    expect(hook.details).toMatch(/^nested=\{"deep":\[1,\{"x":null\}\]\}$/m);
    const file = seen.find((e) => e.type === "app.started")!;
    expect(file.details).toMatch(/^config=\{"a":true\}$/m);
    expect(file.data).toMatchObject({ path: logFile });
    const demo = seen.find((e) => e.type === "smtp.connection-start")!;
    expect(typeof demo.data.spanId).toBe("string");
  });

  it("Stalwart's filters: unknown keys ignored (no 400), and a matched span stays visible", async () => {
    const token = ((await (await fetch(`${base}/api/telemetry/live/tracing-token`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as { data: string }).data;
    const q = new URLSearchParams({ token, filter: "needle-7731", "no-such-key": "x" });
    const stream = await StreamReader.open(`${base}/api/telemetry/traces/live?${q}`);
    readers.push(stream);
    expect(stream.status).toBe(200);
    await stream.connected();
    const post = (body: object) => fetch(hooks, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await post({ type: "job.step", sessionId: "job-9", reason: "needle-7731" });
    await post({ type: "job.step", sessionId: "job-9", reason: "second step" }); // no needle: passes by following job-9
    await post({ type: "job.step", sessionId: "job-10", reason: "other" });
    const steps = await untilValue(() => {
      const events = decodedEvents(stream).filter((e) => e.type === "job.step");
      return events.length >= 2 ? events : undefined;
    }, "the followed span");
    expect(steps.map((e) => e.data.reason)).toEqual(["needle-7731", "second step"]);
  });

  it("metrics frames and the metrics history decode with WebAdmin's u64 rules", async () => {
    const token = ((await (await fetch(`${base}/api/telemetry/live/metrics-token`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as { data: string }).data;
    const stream = await StreamReader.open(`${base}/api/telemetry/metrics/live?token=${encodeURIComponent(token)}&interval=1`);
    readers.push(stream);
    await stream.until((r) => r.frames.filter((f) => f.event === "metrics").length >= 2, "two metrics frames");
    for (const f of stream.frames.filter((f) => f.event === "metrics")) expect(decodeMetricsFrame(f.data)).toBeGreaterThan(0);

    const after = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const history = async () => {
      const res = await fetch(`${base}/api/telemetry/metrics?after=${after}`, { headers: { authorization: `Bearer ${bearer}`, origin: ORIGIN } });
      expect(res.status).toBe(200);
      return res.text();
    };
    let body = "";
    await untilValue(() => {
      void history().then((t) => (body = t));
      return body.includes("events.received") || undefined;
    }, "a history round with events.received");
    expect(decodeMetricsHistory(body)).toBeGreaterThan(0);
    const unauth = await fetch(`${base}/api/telemetry/metrics?after=${after}`);
    expect(unauth.status).toBe(401);
    const bad = await fetch(`${base}/api/telemetry/metrics?after=yesterday`, { headers: { authorization: `Bearer ${bearer}` } });
    expect(bad.status).toBe(400);
  });
});
