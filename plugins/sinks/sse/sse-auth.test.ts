import { afterEach, describe, expect, it } from "vitest";
import { createPlugin } from "../../../core/testing.js";
import { AuthOptions, StreamAuth } from "./auth.js";
import sseDefinition from "./index.js";
import { eventMaker, get, runSink, StreamReader, type RunningSink } from "./test-support.js";

const startSink = (options: Record<string, unknown> = {}) => runSink(createPlugin(sseDefinition, { address: "127.0.0.1:0", ...options }));

const TOKEN = "test-token-0123456789abcdef";
const BEARER = { authorization: `Bearer ${TOKEN}` };
const TRACES = "/api/telemetry/traces/live";
const METRICS = "/api/telemetry/metrics/live";

let running: RunningSink | undefined;
const readers: StreamReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) r.close();
  await running?.close();
  running = undefined;
});
async function open(url: string, headers: Record<string, string> = {}): Promise<StreamReader> {
  const r = await StreamReader.open(url, headers);
  readers.push(r);
  return r;
}

describe("sse sink with auth", () => {
  it.each([TRACES, METRICS, "/metrics", "/api/telemetry/live/tracing-token", "/api/telemetry/live/metrics-token"])(
    "answers 401 with a challenge on %s without credentials",
    async (path) => {
      running = await startSink({ auth: { bearer: [TOKEN] } });
      const res = await get(running.url + path);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="livetap"');
      const body = JSON.parse(res.body);
      expect(body.error).toBe("unauthorized");
      expect(typeof body.details).toBe("string");
    },
  );

  it("lets /healthz and the page through without credentials", async () => {
    running = await startSink({ auth: { bearer: [TOKEN] } });
    expect((await get(running.url + "/healthz")).status).toBe(200);
    expect((await get(running.url + "/")).status).toBe(200);
  });

  it("accepts a bearer token on every endpoint", async () => {
    running = await startSink({ auth: { bearer: [TOKEN] } });
    expect((await get(running.url + "/metrics", BEARER)).status).toBe(200);
    const r = await open(running.url + TRACES, BEARER);
    expect(r.status).toBe(200);
    const m = await open(running.url + METRICS, BEARER);
    expect(m.status).toBe(200);
  });

  it("opens a stream with ?token= from its token endpoint, not with one for the other stream", async () => {
    running = await startSink({ auth: { bearer: [TOKEN] } });
    const tracing = JSON.parse((await get(running.url + "/api/telemetry/live/tracing-token", BEARER)).body).data as string;
    const metrics = JSON.parse((await get(running.url + "/api/telemetry/live/metrics-token", BEARER)).body).data as string;
    expect((await open(`${running.url}${TRACES}?token=${encodeURIComponent(tracing)}`)).status).toBe(200);
    expect((await open(`${running.url}${METRICS}?token=${encodeURIComponent(metrics)}`)).status).toBe(200);
    expect((await get(`${running.url}${TRACES}?token=${encodeURIComponent(metrics)}`)).status).toBe(401);
    expect((await get(`${running.url}/metrics?token=${encodeURIComponent(tracing)}`)).status).toBe(401);
  });

  it("checks auth before parameters, and parameters before capacity", async () => {
    running = await startSink({ auth: { bearer: [TOKEN] }, maxClients: 1 });
    expect((await get(`${running.url}${TRACES}?Bad_Name=1`)).status).toBe(401);
    expect((await get(`${running.url}${METRICS}?interval=x`)).status).toBe(401);
    const r = await open(running.url + TRACES, BEARER);
    await r.connected();
    expect((await get(`${running.url}${TRACES}?Bad_Name=1`)).status).toBe(401);
    expect((await get(`${running.url}${TRACES}?Bad_Name=1`, BEARER)).status).toBe(400);
    expect((await get(`${running.url}${TRACES}`)).status).toBe(401);
    expect((await get(`${running.url}${TRACES}`, BEARER)).status).toBe(503);
  });

  it("offers a Basic challenge too when basic users exist", async () => {
    // Any valid hash will do: the wrong password is refused, with both challenges.
    running = await startSink({
      auth: { bearer: [TOKEN], basic: [{ user: "ops", passwordHash: "scrypt$16384$8$1$op6VcTWdckofrk4d3kZ6xQ$ST-i8QSf45MJgDd3-1_P9icMUBVX_t3YY5DU9O7jzWU" }] },
    });
    const res = await get(running.url + TRACES, { authorization: `Basic ${Buffer.from("ops:wrong").toString("base64")}` });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="livetap", Basic realm="livetap"');
  });

  it("brakes password guessing: counted, then 429 with Retry-After for that address", async () => {
    running = await startSink({
      auth: { bearer: [TOKEN], basic: [{ user: "ops", passwordHash: "scrypt$16384$8$1$op6VcTWdckofrk4d3kZ6xQ$ST-i8QSf45MJgDd3-1_P9icMUBVX_t3YY5DU9O7jzWU" }] },
    });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res = await get(running.url + "/metrics", { authorization: `Basic ${Buffer.from(`ops:guess${i}`).toString("base64")}` });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
    }
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6).every((s) => s === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(running.services.metrics.counter("sse.auth-failures").value).toBe(6);
    // The brake holds even for a valid credential from that address while it lasts.
    expect((await get(running.url + "/metrics", BEARER)).status).toBe(429);
  });

  const KEY = "a-shared-token-key-of-32-bytes-or-more";
  /** A token minted `ageMs` ago by another instance that shares `tokenKey` (another node, or before a restart). */
  const mint = (ageMs: number, extra: Record<string, unknown> = {}) =>
    new StreamAuth(AuthOptions.parse({ bearer: [TOKEN], tokenKey: KEY, ...extra }), () => Date.now() - ageMs).issueToken("traces");

  it("accepts a token signed with the shared tokenKey by another node or before a restart", async () => {
    running = await startSink({ auth: { bearer: [TOKEN], tokenKey: KEY } });
    expect((await open(`${running.url}${TRACES}?token=${encodeURIComponent(mint(0))}`)).status).toBe(200);
    const token = JSON.parse((await get(running.url + "/api/telemetry/live/tracing-token", BEARER)).body).data as string;
    await running.close();
    running = await startSink({ auth: { bearer: [TOKEN], tokenKey: KEY } });
    expect((await open(`${running.url}${TRACES}?token=${encodeURIComponent(token)}`)).status).toBe(200);
  });

  it("an expired token opens no stream with a garbage or old Last-Event-ID, only with a recent event id", async () => {
    running = await startSink({ auth: { bearer: [TOKEN], tokenKey: KEY, tokenTtlSeconds: 1 } });
    const token = encodeURIComponent(mint(2_500));
    const url = `${running.url}${TRACES}?token=${token}`;
    expect((await get(url)).status).toBe(401);
    expect((await get(`${url}&lastEventId=x`)).status).toBe(401);
    const garbage = await get(url, { "last-event-id": "garbage" });
    expect(garbage.status).toBe(401);
    expect(JSON.parse(garbage.body).details).toMatch(/not an event id of this stream/);
    expect((await get(url, { "last-event-id": `${Date.now() - 3_600_000}-5` })).status).toBe(401);
    expect((await open(url, { "last-event-id": `${Date.now() - 1_000}-5` })).status).toBe(200);
  });

  it("a token endpoint grants a longer life when asked with ttl (cut to maxTokenTtlSeconds), signed into the token", async () => {
    running = await startSink({ auth: { bearer: [TOKEN], tokenKey: KEY, tokenTtlSeconds: 1, maxTokenTtlSeconds: 3600 } });
    const ask = async (query: string) => {
      const r = await get(`${running!.url}/api/telemetry/live/tracing-token${query}`, BEARER);
      return { status: r.status, body: JSON.parse(r.body) as { data: string; expiresIn: number; error?: string; details?: string } };
    };
    const plain = await ask("");
    expect(plain.status).toBe(200);
    expect(plain.body.expiresIn).toBe(1);
    const long = await ask("?ttl=600&domain=example.org");
    expect(long.body.expiresIn).toBe(600);
    expect((await ask("?ttl=999999")).body.expiresIn).toBe(3600);
    for (const wrong of ["0", "-5", "1.5", "soon", ""]) {
      const r = await ask(`?ttl=${wrong}`);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe("invalid parameter ttl");
    }
    // The metrics token endpoint takes it too.
    const metrics = JSON.parse((await get(`${running.url}/api/telemetry/live/metrics-token?ttl=120`, BEARER)).body) as { expiresIn: number };
    expect(metrics.expiresIn).toBe(120);

    // Past the default life: the plain token is refused without Last-Event-ID, the long one still opens a stream
    // with its scope (the ttl is not a filter of it).
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await get(`${running.url}${TRACES}?token=${encodeURIComponent(plain.body.data)}`)).status).toBe(401);
    const opened = await open(`${running.url}${TRACES}?token=${encodeURIComponent(long.body.data)}`);
    expect(opened.status).toBe(200);
    const event = eventMaker();
    for (const [type, domain] of [["t.a", "example.org"], ["t.b", "example.net"], ["t.c", "example.org"]]) running.input.next(event(type!, { domain }));
    await opened.until((r) => r.events().length >= 2, "the scoped events");
    expect(opened.events().map((e) => e.type)).toEqual(["t.a", "t.c"]);
  }, 20_000);
});
