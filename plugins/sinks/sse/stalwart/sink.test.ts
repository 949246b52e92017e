/** The compat hooks in a running sse sink, and what stays as it was without `compat`. */
import { afterEach, describe, expect, it } from "vitest";
import { hashPassword } from "../../../../core/kit.js";
import { createPlugin, freePort } from "../../../../core/testing.js";
import sseDefinition from "../index.js";
import { eventMaker, get, runSink, StreamReader, type RunningSink } from "../test-support.js";
import { until } from "../../../../test/support/until.js";
import { feeds, startPipeline } from "../../../../test/support/pipeline-run.js";
import { decodeTraceFrame } from "./webadmin-decoder.js";

const running: RunningSink[] = [];
const readers: StreamReader[] = [];
async function sink(options: Record<string, unknown> = {}): Promise<RunningSink> {
  const s = await runSink(createPlugin(sseDefinition, { address: "127.0.0.1:0", batchWindowMs: 5, ...options }));
  running.push(s);
  return s;
}
async function open(url: string, headers: Record<string, string> = {}): Promise<StreamReader> {
  const r = await StreamReader.open(url, headers);
  readers.push(r);
  return r;
}
afterEach(async () => {
  for (const r of readers.splice(0)) r.close();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const make = eventMaker();

describe("without compat", () => {
  it("events keep livetap's keys, bad filter names are a 400, and there is no login", async () => {
    const s = await sink();
    expect((await get(`${s.url}/api/telemetry/traces/live?Bad_Name=x`)).status).toBe(400);
    expect((await fetch(`${s.url}/api/oauth`, { method: "POST" })).status).toBe(404);
    const r = await open(`${s.url}/api/telemetry/traces/live`);
    await r.connected();
    s.input.next(make("smtp.connection-start", { sessionId: "s1", nothing: null }));
    await r.until((x) => x.events().length === 1, "an event");
    expect(r.events()[0].data).toEqual({ sessionId: "s1", nothing: null });
  });

  it("serves the metrics history, values as they are", async () => {
    const s = await sink({ metricsHistoryIntervalSeconds: 1 });
    s.services.metrics.gauge("test.level").set(1.5);
    let body: { data: { id: string; value?: number }[] } = { data: [] };
    await until(
      () => {
        void get(`${s.url}/api/telemetry/metrics?after=2000-01-01T00:00:00Z`).then((r) => (body = JSON.parse(r.body)));
        return body.data.some((m) => m.id === "test.level");
      },
      "a history round",
      10_000,
    );
    expect(body.data.find((m) => m.id === "test.level")!.value).toBe(1.5);
    expect((await get(`${s.url}/api/telemetry/metrics?after=soon`)).status).toBe(400);
  });
});

describe("with compat: \"stalwart\"", () => {
  it("sends events WebAdmin decodes and never answers a filter with 400", async () => {
    const s = await sink({ compat: "stalwart" });
    const r = await open(`${s.url}/api/telemetry/traces/live?Bad_Name=x&facility=mail`);
    expect(r.status).toBe(200);
    await r.connected();
    s.input.next(make("syslog.message", { facility: "mail", message: "hi", nothing: null }));
    await r.until((x) => x.events().length === 1, "an event");
    for (const f of r.frames.filter((f) => f.event === "trace")) decodeTraceFrame(f.data);
    expect(r.events()[0]).toMatchObject({ text: "hi", details: "facility=mail\nnothing=null", data: {} });
  });
});

describe("following in compat mode (Stalwart's span stickiness)", () => {
  it("follows spanId by default: the rest of a matched session passes, other sessions do not", async () => {
    const s = await sink({ compat: "stalwart" });
    const r = await open(`${s.url}/api/telemetry/traces/live?remote-ip=192.0.2.99`);
    await r.connected();
    s.input.next(make("smtp.rcpt-to", { sessionId: "s1", to: "x@example.org" })); // before the match
    s.input.next(make("smtp.connection-start", { sessionId: "s1", remoteIp: "192.0.2.99" }));
    s.input.next(make("smtp.mail-from", { sessionId: "s2", from: "b@example.org" }));
    s.input.next(make("smtp.mail-from", { sessionId: "s1", from: "a@example.org" }));
    await r.until((x) => x.events().length === 2, "the session");
    expect(r.events().map((e) => e.data.spanId)).toEqual(["s1", "s1"]);
    expect(r.events()[1].data.from).toBe("a@example.org");
  });

  it("a request's follow= replaces spanId", async () => {
    const s = await sink({ compat: "stalwart" });
    const r = await open(`${s.url}/api/telemetry/traces/live?remote-ip=192.0.2.99&follow=from`);
    await r.connected();
    s.input.next(make("smtp.mail-from", { sessionId: "s1", remoteIp: "192.0.2.99", from: "a@example.org" }));
    s.input.next(make("smtp.rcpt-to", { sessionId: "s1", to: "x@example.org" })); // same span, not followed now
    s.input.next(make("smtp.mail-from", { sessionId: "s2", from: "a@example.org" }));
    await r.until((x) => x.events().length === 2, "the followed sender");
    expect(r.events().map((e) => e.data.spanId)).toEqual(["s1", "s2"]);
  });
});

describe("WebAdmin's login tokens", () => {
  const basic = `Basic ${Buffer.from("admin:secret-pw").toString("base64")}`;
  async function loginToken(url: string): Promise<string> {
    const code = ((await (await fetch(`${url}/api/oauth`, { method: "POST", headers: { authorization: basic, "content-type": "application/json" }, body: "{}" })).json()) as { data: { code: string } }).data.code;
    const grant = await fetch(`${url}/auth/token`, { method: "POST", headers: { "content-type": "text/plain" }, body: `grant_type=authorization_code&code=${encodeURIComponent(code)}` });
    return ((await grant.json()) as { access_token: string }).access_token;
  }
  const traces = (url: string, token: string) => get(`${url}/api/telemetry/live/tracing-token`, { authorization: `Bearer ${token}` });

  it("with auth.tokenKey, hold across a restart of the sink; without it, die with it", async () => {
    const auth = { basic: [{ user: "admin", passwordHash: await hashPassword("secret-pw") }] };
    const tokenKey = "a-shared-token-key-of-32-bytes-or-more";
    const first = await sink({ compat: "stalwart", auth: { ...auth, tokenKey } });
    const token = await loginToken(first.url);
    expect((await traces(first.url, token)).status).toBe(200);
    await first.close();
    const restarted = await sink({ compat: "stalwart", auth: { ...auth, tokenKey } });
    expect((await traces(restarted.url, token)).status).toBe(200);
    const otherKey = await sink({ compat: "stalwart", auth: { ...auth, tokenKey: tokenKey.replace("shared", "others") } });
    expect((await traces(otherKey.url, token)).status).toBe(401);

    const keyless = await sink({ compat: "stalwart", auth });
    const keylessToken = await loginToken(keyless.url);
    expect((await traces(keyless.url, keylessToken)).status).toBe(200);
    await keyless.close();
    const keylessAgain = await sink({ compat: "stalwart", auth });
    expect((await traces(keylessAgain.url, keylessToken)).status).toBe(401);
  });
});

describe("outputs-of in compat mode", () => {
  it("a tapped component's events come in the shape WebAdmin decodes, under Stalwart's filters", async () => {
    const port = await freePort();
    const run = await startPipeline({
      sources: { feed: { type: "feed", name: "compat-tap" } },
      operators: { none: { type: "filter", inputs: ["feed"], include: { type: "nothing.*" } } },
      sinks: { live: { type: "sse", inputs: ["none"], address: `127.0.0.1:${port}`, compat: "stalwart", batchWindowMs: 5 } },
    });
    try {
      const r = await open(`http://127.0.0.1:${port}/api/telemetry/traces/live?outputs-of=feed&remote-ip=192.0.2.7`);
      await r.connected();
      feeds.get("compat-tap")!.push([
        { type: "smtp.connection-start", data: { remoteIp: "192.0.2.7", sessionId: "s1", custom: { a: 1 } } },
        { type: "smtp.connection-start", data: { remoteIp: "198.51.100.1" } },
      ]);
      await r.until((x) => x.events().length === 1, "the tapped event");
      for (const f of r.frames.filter((f) => f.event === "trace")) decodeTraceFrame(f.data);
      expect(r.events()[0]).toMatchObject({ data: { remoteIp: "192.0.2.7", spanId: "s1" }, details: 'custom={"a":1}' });
    } finally {
      await run.pipeline.stop();
    }
  });
});

describe("cors", () => {
  it("only listed origins get Access-Control-Allow-Origin; preflights answer 204", async () => {
    const s = await sink({ cors: ["https://a.example"] });
    const ok = await get(`${s.url}/healthz`, { origin: "https://a.example" });
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://a.example");
    const other = await get(`${s.url}/healthz`, { origin: "https://b.example" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await fetch(`${s.url}/api/telemetry/live/tracing-token`, { method: "OPTIONS", headers: { origin: "https://a.example", "access-control-request-method": "GET" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
  });

  it('"*" allows any origin, on streams too', async () => {
    const s = await sink({ cors: ["*"] });
    const r = await open(`${s.url}/api/telemetry/traces/live`, { origin: "https://c.example" });
    expect(r.headers["access-control-allow-origin"]).toBe("*");
  });
});
