import { EventSource } from "eventsource";
import { afterEach, describe, expect, it } from "vitest";
import type { LiveEvent } from "../../../core/index.js";
import { createPlugin } from "../../../core/testing.js";
import sseDefinition from "./index.js";
import { until } from "../../../test/support/until.js";
import { get, runSink, StreamReader, type RunningSink } from "./test-support.js";

// CONTRACT 9 on a real socket: follow, since, top, scoped credentials.

let running: RunningSink | undefined;
const sources: EventSource[] = [];
const readers: StreamReader[] = [];
afterEach(async () => {
  for (const es of sources.splice(0)) es.close();
  for (const r of readers.splice(0)) r.close();
  await running?.close();
  running = undefined;
});

async function start(options: Record<string, unknown> = {}): Promise<RunningSink> {
  running = await runSink(createPlugin(sseDefinition, { address: "127.0.0.1:0", batchWindowMs: 5, ...options }));
  return running;
}

let seq = 0;
const event = (type: string, data: Record<string, unknown>, createdAt = "2026-11-24T11:50:00.123Z"): LiveEvent => ({ id: `1732445000000-${++seq}`, type, createdAt, data });

/** An EventSource client collecting the events of `trace` frames and every frame kind. */
function open(url: string, init?: ConstructorParameters<typeof EventSource>[1]) {
  const es = new EventSource(url, init);
  sources.push(es);
  const events: LiveEvent[] = [];
  const kinds: string[] = [];
  let opened = false;
  es.addEventListener("open", () => (opened = true));
  for (const kind of ["trace", "gap", "dropped", "ping", "top"]) {
    es.addEventListener(kind, (m) => {
      kinds.push(kind);
      if (kind === "trace") events.push(...(JSON.parse(m.data) as LiveEvent[]));
    });
  }
  return { es, events, kinds, opened: () => opened };
}

const clients = (s: RunningSink) => s.services.metrics.gauge("sse.clients").value;

describe("follow=FIELD (span stickiness)", () => {
  it("after the first matching event, shows the rest of that session: ?remote-ip=192.0.2.99&follow=sessionId", async () => {
    const s = await start();
    const c = open(`${s.url}/api/telemetry/traces/live?remote-ip=192.0.2.99&follow=sessionId`);
    await until(() => clients(s) === 1, "the stream");
    const before = event("smtp.rcpt-to", { sessionId: "s1" }); // before the match: not followed yet
    const sessionStart = event("smtp.connection-start", { sessionId: "s1", remoteIp: "192.0.2.99" });
    const rest = [event("smtp.mail-from", { sessionId: "s1", from: "a@example.org" }), event("smtp.connection-end", { sessionId: "s1" })];
    const other = event("smtp.mail-from", { sessionId: "s2", remoteIp: "198.51.100.1" });
    for (const e of [before, sessionStart, other, ...rest]) s.input.next(e);
    const last = event("smtp.connection-start", { sessionId: "s3", remoteIp: "192.0.2.99" });
    s.input.next(last);
    await until(() => c.events.some((e) => e.id === last.id), "the session");
    expect(c.events.map((e) => e.id)).toEqual([sessionStart, ...rest, last].map((e) => e.id));
  });

  it("the sink option follow is the default; a request's own follow replaces it", async () => {
    const s = await start({ follow: "sessionId" });
    const byDefault = open(`${s.url}/api/telemetry/traces/live?type=auth.failed`);
    const byUser = open(`${s.url}/api/telemetry/traces/live?type=auth.failed&follow=user.id`);
    await until(() => clients(s) === 2, "the streams");
    const failed = event("auth.failed", { sessionId: "a", user: { id: "u" } });
    const sameSession = event("imap.login", { sessionId: "a" });
    const sameUser = event("imap.login", { sessionId: "b", user: { id: "u" } });
    for (const e of [failed, sameSession, sameUser]) s.input.next(e);
    await until(() => byDefault.events.length === 2 && byUser.events.length === 2, "both");
    expect(byDefault.events.map((e) => e.id)).toEqual([failed.id, sameSession.id]);
    expect(byUser.events.map((e) => e.id)).toEqual([failed.id, sameUser.id]);
  });

  it.each([
    ["follow=a..b", "follow"],
    ["follow=data.", "follow"],
    ["since=yesterday", "since"],
    ["since=5x", "since"],
    ["since=2026-13-45", "since"],
  ])("?%s is a 400 naming %s", async (query, name) => {
    const s = await start();
    const res = await get(`${s.url}/api/telemetry/traces/live?${query}`);
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body) as { error: string; details: string };
    expect(body.error).toBe(`invalid parameter ${name}`);
    expect(body.details.length).toBeGreaterThan(10);
  });
});

describe("since=T", () => {
  it("replays the retained events at or after an RFC 3339 time, then live ones", async () => {
    const s = await start();
    const old = event("a.b", { n: 1 }, "2026-11-24T10:00:00.000Z");
    const recent = [event("a.b", { n: 2 }, "2026-11-24T11:00:00.000Z"), event("a.b", { n: 3 }, "2026-11-24T11:30:00.000Z")];
    for (const e of [old, ...recent]) s.input.next(e);
    const c = open(`${s.url}/api/telemetry/traces/live?since=2026-11-24T11:00:00Z`);
    await until(() => c.events.length === 2, "the replay");
    const live = event("a.b", { n: 4 });
    s.input.next(live);
    await until(() => c.events.length === 3, "the live event");
    expect(c.events.map((e) => e.id)).toEqual([...recent, live].map((e) => e.id));
    expect(c.kinds).not.toContain("gap");
  });

  it("a duration counts back from now; a gap comes first when the ring no longer reaches that far", async () => {
    const s = await start({ replayEvents: 2 });
    const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
    const evicted = event("a.b", { n: 1 }, ago(20));
    const kept = [event("a.b", { n: 2 }, ago(10)), event("a.b", { n: 3 }, ago(1))];
    for (const e of [evicted, ...kept]) s.input.next(e);
    const far = open(`${s.url}/api/telemetry/traces/live?since=15m`);
    const near = open(`${s.url}/api/telemetry/traces/live?since=5m`);
    await until(() => far.events.length === 2 && near.events.length === 1, "the replays");
    expect(far.kinds.filter((k) => k !== "ping").slice(0, 2)).toEqual(["gap", "trace"]);
    expect(far.events.map((e) => e.id)).toEqual(kept.map((e) => e.id));
    expect(near.kinds).not.toContain("gap");
    expect(near.events.map((e) => e.id)).toEqual([kept[1].id]);
  });

  it("Last-Event-ID wins over since", async () => {
    const s = await start();
    const events = [event("a.b", { n: 1 }, "2026-11-24T10:00:00.000Z"), event("a.b", { n: 2 }, "2026-11-24T10:00:00.000Z"), event("a.b", { n: 3 }, "2026-11-24T10:00:00.000Z")];
    for (const e of events) s.input.next(e);
    const r = await StreamReader.open(`${s.url}/api/telemetry/traces/live?since=2026-11-24T09:00:00Z`, { "last-event-id": events[1].id });
    readers.push(r);
    await r.until((x) => x.ids().length === 1, "the replay");
    expect(r.ids()).toEqual([events[2].id]);
  });
});

describe("GET /api/telemetry/top/live", () => {
  it("sends top frames: the most frequent values of the field among matching events, exact", async () => {
    const s = await start();
    const c = open(`${s.url}/api/telemetry/top/live?by=remoteIp&top=2&interval=1&type=smtp.*`);
    await until(() => clients(s) === 1, "the stream");
    const ips = ["192.0.2.1", "192.0.2.2", "192.0.2.2", "192.0.2.3", "192.0.2.3", "192.0.2.3"];
    for (const ip of ips) s.input.next(event("smtp.connection-start", { remoteIp: ip }));
    s.input.next(event("auth.failed", { remoteIp: "192.0.2.1" })); // not smtp.*
    s.input.next(event("smtp.mail-from", {})); // no remoteIp: not counted
    const frames: unknown[] = [];
    c.es.addEventListener("top", (m) => frames.push(JSON.parse(m.data)));
    await until(() => frames.some((f) => (f as { total: number }).total === 6), "a top frame with the counts", 10_000);
    expect(frames.find((f) => (f as { total: number }).total === 6)).toEqual({
      by: "remoteIp",
      window: 60,
      total: 6,
      exact: true,
      top: [
        { value: "192.0.2.3", count: 3 },
        { value: "192.0.2.2", count: 2 },
      ],
    });
  });

  it.each([
    ["", "by"],
    ["by=a..b", "by"],
    ["by=remoteIp&top=101", "top"],
    ["by=remoteIp&top=2.5", "top"],
    ["by=remoteIp&window=0", "window"],
    ["by=remoteIp&interval=soon", "interval"],
  ])("?%s is a 400 naming %s", async (query, name) => {
    const s = await start();
    const res = await get(`${s.url}/api/telemetry/top/live?${query}`);
    expect(res.status).toBe(400);
    expect((JSON.parse(res.body) as { error: string }).error).toBe(`invalid parameter ${name}`);
  });
});

describe("outputs-of without a pipeline", () => {
  it("an unknown component is a 400 listing the known ones (none for a sink alone)", async () => {
    const s = await start();
    const res = await get(`${s.url}/api/telemetry/traces/live?outputs-of=operators.nope`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: "invalid parameter outputs-of", details: 'no component "operators.nope" to tap; known: none' });
  });

  it("is refused when tapComponents is false", async () => {
    const s = await start({ tapComponents: false });
    const res = await get(`${s.url}/api/telemetry/traces/live?outputs-of=demo`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).details).toContain("tapComponents");
    expect(JSON.parse((await get(`${s.url}/api/pipeline`)).body)).toEqual({ components: [], tappable: [] });
  });
});

describe("scoped credentials", () => {
  const ADMIN = "admin-token-0123456789";
  const TENANT = "tenant-token-0123456789";
  const auth = { bearer: [ADMIN, { token: TENANT, scope: "domain=example.org" }] };
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it("a scoped bearer sees only its scope, whatever its URL adds; 403 on process-wide endpoints", async () => {
    const s = await start({ auth });
    const own = open(`${s.url}/api/telemetry/traces/live`, { fetch: (u, i) => fetch(u, { ...i, headers: { ...i?.headers, ...bearer(TENANT) } }) });
    const widen = open(`${s.url}/api/telemetry/traces/live?domain=example.net`, { fetch: (u, i) => fetch(u, { ...i, headers: { ...i?.headers, ...bearer(TENANT) } }) });
    await until(() => clients(s) === 2, "the streams");
    const mine = event("smtp.mail-from", { domain: "example.org" });
    const theirs = event("smtp.mail-from", { domain: "example.net" });
    s.input.next(theirs);
    s.input.next(mine);
    await until(() => own.events.length === 1, "the tenant's event");
    expect(own.events.map((e) => e.id)).toEqual([mine.id]);
    expect(widen.events).toEqual([]);
    for (const path of ["/metrics", "/api/pipeline", "/api/telemetry/metrics/live", "/api/telemetry/live/metrics-token"]) {
      expect((await get(`${s.url}${path}`, bearer(TENANT))).status, path).toBe(403);
      const admin = await StreamReader.open(`${s.url}${path}`, bearer(ADMIN)); // the stream never ends: read the status only
      admin.close();
      expect(admin.status, path).toBe(200);
    }
  });

  it("a token endpoint takes the query filters as the token's scope, added to the caller's own", async () => {
    const s = await start({ auth });
    const tokenOf = async (who: string, query: string) => (JSON.parse((await get(`${s.url}/api/telemetry/live/tracing-token?${query}`, bearer(who))).body) as { data: string }).data;
    const adminScoped = await tokenOf(ADMIN, "type=smtp.*");
    const tenantNarrowed = await tokenOf(TENANT, "type=imap.*");
    const a = open(`${s.url}/api/telemetry/traces/live?token=${encodeURIComponent(adminScoped)}`);
    const t = open(`${s.url}/api/telemetry/traces/live?domain=example&token=${encodeURIComponent(tenantNarrowed)}`);
    await until(() => clients(s) === 2, "the streams");
    const events = [
      event("smtp.mail-from", { domain: "example.org" }),
      event("imap.login", { domain: "example.org" }),
      event("imap.login", { domain: "example.net" }),
      event("smtp.mail-from", { domain: "example.net" }),
    ];
    for (const e of events) s.input.next(e);
    await until(() => a.events.length === 2 && t.events.length === 1, "both");
    expect(a.events.map((e) => e.id)).toEqual([events[0].id, events[3].id]);
    expect(t.events.map((e) => e.id)).toEqual([events[1].id]);
    // A token is signed with its scope: changing a byte of it makes it worthless.
    const tampered = adminScoped.slice(0, 10) + (adminScoped[10] === "A" ? "B" : "A") + adminScoped.slice(11);
    expect((await get(`${s.url}/api/telemetry/traces/live?token=${encodeURIComponent(tampered)}`)).status).toBe(401);
    expect((await get(`${s.url}/api/telemetry/live/tracing-token?remote_ip=x`, bearer(ADMIN))).status).toBe(400);
  });

  it("a scope in the config must be filters", () => {
    expect(() => createPlugin(sseDefinition, { address: "127.0.0.1:0", auth: { bearer: [{ token: TENANT, scope: "follow=sessionId" }] } })).toThrow(/not a filter/);
    expect(() => createPlugin(sseDefinition, { address: "127.0.0.1:0", auth: { bearer: [{ token: TENANT, scope: "Bad Key=1" }] } })).toThrow();
  });
});
