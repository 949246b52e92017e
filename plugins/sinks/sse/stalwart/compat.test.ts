import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { VirtualTimeScheduler } from "rxjs";
import type { LiveEvent } from "../../../../core/index.js";
import { MetricsRegistry } from "../../../../core/testing.js";
import { FollowedValues, following } from "../follow.js";
import { MAX_SAMPLES_PER_ROUND, MetricsHistory, parseAfter } from "../metrics-history.js";
import { toStalwartEvent } from "./event.js";
import { compileStalwartFilter } from "./filter.js";
import { STALWART_KEYS } from "./keys.js";
import { StalwartLogin } from "./login.js";
import { toStalwartMetrics } from "./metrics.js";
import { DecodeError, decodeMetricsFrame, decodeMetricsHistory, decodeOAuthCode, decodeOAuthGrant, decodeTraceFrame } from "./webadmin-decoder.js";

const ev = (data: Record<string, unknown>, extra: Partial<LiveEvent> = {}): LiveEvent => ({
  id: "1-1",
  type: "smtp.connection-start",
  createdAt: "2026-11-24T11:50:00.123Z",
  data,
  ...extra,
});
const frame = (...events: unknown[]) => JSON.stringify(events);

describe("the strict WebAdmin decoder fails a whole frame as serde does", () => {
  it("accepts Stalwart's own shapes", () => {
    expect(
      decodeTraceFrame(
        frame(
          { type: "smtp.mail-from", createdAt: "2023-11-14T22:13:20Z", data: { from: "a", total: [1, 2.5, -3], tls: true, size: 1 } },
          { id: "x", type: "t", text: null, createdAt: "2023-11-14T22:13:20+01:00", data: { causedBy: { type: "store.error", data: { reason: "r" } } } },
        ),
      ),
    ).toBe(2);
    expect(decodeMetricsFrame('[{"id":"a","type":"counter","value":1},{"id":"h","type":"histogram","count":2,"sum":3}]')).toBe(2);
  });

  it.each([
    ["an unknown key", frame(ev({ sessionId: "s" }))],
    ["a null", frame(ev({ from: null }))],
    ["a plain object", frame(ev({ from: { a: 1 } }))],
    ["a missing data", frame({ type: "t", createdAt: "2023-11-14T22:13:20Z" })],
    ["a createdAt that is no RFC 3339", frame({ type: "t", createdAt: "yesterday", data: {} })],
    ["a non-string text", frame(ev({}, { text: 5 as unknown as string }))],
  ])("refuses %s", (_what, text) => {
    expect(() => decodeTraceFrame(text)).toThrow(DecodeError);
  });

  it.each(['[{"id":"a","type":"gauge","value":1.5}]', '[{"id":"a","type":"gauge","value":-1}]', '[{"id":"a","type":"gauge","value":1e3}]', '[{"id":"a","type":"rate","value":1}]', '[{"id":"a","type":"counter","value":18446744073709551616}]'])(
    "refuses a metrics frame %s",
    (text) => expect(() => decodeMetricsFrame(text)).toThrow(DecodeError),
  );
});

// Values of every JSON (and not-quite-JSON) kind a source or operator can put into data.
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 2 ** 64, 1e21, Number.MAX_SAFE_INTEGER),
    fc.bigInt(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;
const anyKey = fc.oneof(fc.constantFrom(...STALWART_KEYS, "sessionId", "durationMs", "latencyMs", "message", "__proto__", "constructor"), fc.string({ maxLength: 12 }));
const anyEvent = fc.record(
  {
    type: fc.string({ minLength: 1, maxLength: 20 }),
    text: fc.string(),
    details: fc.string(),
    data: fc.dictionary(anyKey, anyValue, { maxKeys: 12 }),
  },
  { requiredKeys: ["type", "data"] },
);

describe("toStalwartEvent", () => {
  it("every event, however adversarial, decodes, and every data key is in data or in details", () => {
    fc.assert(
      fc.property(anyEvent, (input) => {
        const e = toStalwartEvent({ id: "1-1", createdAt: "2026-11-24T11:50:00.123Z", ...input });
        expect(decodeTraceFrame(frame(e))).toBe(1);
        expect(typeof e.text).toBe("string");
        const lines = (e.details ?? "").split("\n");
        for (const key of Object.keys(input.data)) {
          if (input.data[key] === undefined) continue;
          const shown =
            Object.prototype.hasOwnProperty.call(e.data, key) ||
            lines.some((l) => l.startsWith(`${key}=`)) ||
            (key === "message" && e.text === input.data[key]) ||
            (key === "sessionId" && e.data.spanId === input.data[key]) ||
            ((key === "durationMs" || key === "latencyMs") && e.data.elapsed === input.data[key]);
          expect(shown, key).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("keeps Stalwart keys, maps the session to the span, folds the rest into details", () => {
    const e = toStalwartEvent(
      ev(
        { sessionId: "ab12", remoteIp: "192.0.2.7", tls: true, size: 1200, level: "info", score: 4.5, structuredData: { a: { b: "c" } }, to: ["x@y"], reason: null },
        { text: "SMTP connection", details: "first" },
      ),
    );
    expect(e.data).toEqual({ spanId: "ab12", remoteIp: "192.0.2.7", tls: true, size: 1200, to: ["x@y"] });
    expect(e.details).toBe('first\nlevel=info\nscore=4.5\nstructuredData={"a":{"b":"c"}}\nreason=null');
    expect(e.text).toBe("SMTP connection");
  });

  it("an event of its own spanId keeps it, and sessionId goes to details", () => {
    const e = toStalwartEvent(ev({ spanId: 7, sessionId: "s" }));
    expect(e.data).toEqual({ spanId: 7 });
    expect(e.details).toBe("sessionId=s");
  });

  it("a syslog line without text shows its message as text, else the type", () => {
    expect(toStalwartEvent(ev({ message: "hello", appName: "cron" }, { type: "syslog.message" }))).toMatchObject({ text: "hello", details: "appName=cron", data: {} });
    expect(toStalwartEvent(ev({}, { type: "file.line" })).text).toBe("file.line");
  });
});

describe("compat metrics", () => {
  it("rounds to whole non-negative numbers and leaves non-finite values out", () => {
    const out = toStalwartMetrics([
      { id: "a", type: "gauge", value: 1.6 },
      { id: "b", type: "gauge", value: -3 },
      { id: "c", type: "gauge", value: Number.NaN },
      { id: "d", type: "histogram", count: 3, sum: 10.4 },
      { id: "e", type: "counter", value: Infinity },
    ]);
    expect(out).toEqual([
      { id: "a", type: "gauge", value: 2 },
      { id: "b", type: "gauge", value: 0 },
      { id: "d", type: "histogram", count: 3, sum: 10 },
    ]);
    expect(decodeMetricsFrame(JSON.stringify(out))).toBe(3);
  });

  it("any registry snapshot decodes after shaping", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("counter", "gauge", "histogram"), fc.double(), fc.double())), (list) => {
        const samples = list.map(([type, a, b], i) => (type === "histogram" ? { id: `m${i}`, type, count: a, sum: b } : { id: `m${i}`, type, value: a }));
        decodeMetricsFrame(JSON.stringify(toStalwartMetrics(samples as never[])));
      }),
    );
  });
});

describe("compat filters (CONTRACT 11)", () => {
  const f = (q: string) => compileStalwartFilter(new URLSearchParams(q));
  const e = toStalwartEvent(ev({ sessionId: "s1", remoteIp: "192.0.2.7", size: 1234, tls: true, domain: "example.org" }, { type: "smtp.mail-from" }));

  it("`filter` matches strings and booleans, never numbers", () => {
    expect(f("filter=192.0.2").predicate(e)).toBe(true);
    expect(f("filter=true").predicate(e)).toBe(true);
    expect(f("filter=1234").predicate(e)).toBe(false);
  });

  it("`filter` OR the AND of key filters; unknown keys are ignored, never a 400", () => {
    expect(f("filter=nothing&domain=example").predicate(e)).toBe(true);
    expect(f("filter=example&domain=nothing").predicate(e)).toBe(true);
    expect(f("filter=nothing&domain=nothing").predicate(e)).toBe(false);
    expect(f("domain=example&remote-ip=192.0.2.7").predicate(e)).toBe(true);
    expect(f("domain=example&remote-ip=10.").predicate(e)).toBe(false);
    expect(f("size=1234").predicate(e)).toBe(true);
    expect(f("no-such-key=x&Bad_Name=y").matchesAll).toBe(true);
  });

  it("`type` is a data key, not the event type", () => {
    expect(f("type=smtp").predicate(e)).toBe(false);
    expect(f("type=queue").predicate(toStalwartEvent(ev({ type: "queue.x" })))).toBe(true);
  });

  it("follows the span: later events of a matched spanId pass, for followSeconds", () => {
    let now = 0;
    const filter = compileStalwartFilter(new URLSearchParams("remote-ip=192.0.2.7"));
    const followed = { predicate: following(filter.predicate, { field: "spanId", maxFollowed: 2, followMs: 300_000 }, () => now) };
    const later = toStalwartEvent(ev({ sessionId: "s1", from: "a@b" }));
    const other = toStalwartEvent(ev({ sessionId: "s2", from: "a@b" }));
    expect(followed.predicate(later)).toBe(false); // not matched yet
    expect(followed.predicate(e)).toBe(true);
    expect(followed.predicate(later)).toBe(true);
    expect(followed.predicate(other)).toBe(false);
    now += 300_001;
    expect(followed.predicate(later)).toBe(false);
  });
});

describe("FollowedValues", () => {
  it("forgets the least recently seen past maxFollowed", () => {
    const s = new FollowedValues(2, 10_000);
    s.follow("a", 0);
    s.follow("b", 0);
    expect(s.has("a", 0)).toBe(true); // a is now the most recent
    s.follow("c", 0);
    expect(s.size).toBe(2);
    expect(s.has("b", 0)).toBe(false);
    expect(s.has("a", 0)).toBe(true);
    expect(s.has("c", 0)).toBe(true);
  });
});

describe("metrics history", () => {
  it("keeps counter and histogram deltas and gauge values per round, bounded, after a time", () => {
    const clock = new VirtualTimeScheduler();
    const metrics = new MetricsRegistry();
    const c = metrics.counter("events.received");
    const g = metrics.gauge("server.memory");
    const h = metrics.histogram("event.latency", "", [1, 10]);
    const history = new MetricsHistory({ metricsHistorySeconds: 180, metricsHistoryIntervalSeconds: 60 }, metrics, clock);
    c.inc(5);
    history.start(); // baseline: the 5 before start are not history
    c.inc(3);
    g.set(100.5);
    h.observe(2);
    clock.maxFrames = 60_000;
    clock.flush();
    expect(history.after(-Infinity)).toEqual([
      { type: "counter", id: "events.received", timestamp: "1970-01-01T00:01:00Z", value: 3 },
      { type: "histogram", id: "event.latency", timestamp: "1970-01-01T00:01:00Z", count: 1, sum: 2 },
      { type: "gauge", id: "server.memory", timestamp: "1970-01-01T00:01:00Z", value: 100.5 },
    ].sort((a, b) => (a.id < b.id ? -1 : 1)));
    for (let i = 0; i < 5; i++) {
      clock.maxFrames += 60_000;
      clock.flush();
    }
    expect(history.size).toBe(3); // 180 s of 60 s rounds
    expect(history.after(6 * 60_000 - 1).map((s) => s.id)).toEqual(["server.memory"]); // the last round; unchanged counters are left out
    history.stop();
    const body = JSON.stringify({ data: toStalwartMetrics(history.after(-Infinity)) });
    expect(decodeMetricsHistory(body)).toBe(3);
  });

  it("keeps at most MAX_SAMPLES_PER_ROUND a round: gauges first, then the counters that grew most", () => {
    const clock = new VirtualTimeScheduler();
    const metrics = new MetricsRegistry();
    const history = new MetricsHistory({ metricsHistorySeconds: 60, metricsHistoryIntervalSeconds: 60 }, metrics, clock);
    history.start();
    metrics.gauge("zz.memory").set(1);
    for (let i = 0; i < MAX_SAMPLES_PER_ROUND + 100; i++) metrics.counter(`type.t${String(i).padStart(3, "0")}`).inc(i + 1);
    history.sample();
    const ids = history.after(-Infinity).map((x) => x.id);
    expect(ids.length).toBe(MAX_SAMPLES_PER_ROUND);
    expect(ids[0]).toBe("zz.memory");
    expect(ids).toContain(`type.t${MAX_SAMPLES_PER_ROUND + 99}`);
    expect(ids).not.toContain("type.t000");
  });

  it("parses after= as RFC 3339 only", () => {
    expect(parseAfter("2026-11-24T11:50:00Z")).toBe(Date.UTC(2026, 10, 24, 11, 50));
    expect(parseAfter(undefined)).toBe(-Infinity);
    expect(typeof parseAfter("yesterday")).toBe("string");
  });
});

describe("WebAdmin's login", () => {
  it("a code is exchanged once for a token accepted until it expires", () => {
    let now = 1_000_000;
    const login = new StalwartLogin(3600, () => now);
    const { code, permissions } = decodeOAuthCode(JSON.stringify({ data: login.issueCode() }));
    expect(permissions).toEqual(expect.arrayContaining(["tracing-live", "metrics-list", "metrics-live"]));
    const body = `grant_type=authorization_code&client_id=webadmin&code=${encodeURIComponent(code)}&redirect_uri=stalwart%3A%2F%2Fauth`;
    const grant = login.exchange(body);
    const { accessToken, expiresIn } = decodeOAuthGrant(JSON.stringify(grant));
    expect(expiresIn).toBe(3600);
    expect(login.accepts(accessToken)).toBe(true);
    expect(login.exchange(body)).toMatchObject({ error: "invalid_grant" }); // single use
    expect(login.accepts(accessToken.slice(0, -2) + (accessToken.endsWith("AA") ? "BB" : "AA"))).toBe(false);
    expect(new StalwartLogin(3600, () => now).accepts(accessToken)).toBe(false); // another sink's key
    now += 3600_000;
    expect(login.accepts(accessToken)).toBe(false);
  });

  it("tokens signed with a tokenKey are accepted by every login sharing it, and only by those", () => {
    const now = 1_000_000;
    const key = "k".repeat(32);
    const tokenOf = (login: StalwartLogin) => (login.exchange(`grant_type=authorization_code&code=${login.issueCode().code}`) as { access_token: string }).access_token;
    const token = tokenOf(new StalwartLogin(3600, () => now, key));
    expect(new StalwartLogin(3600, () => now, key).accepts(token)).toBe(true); // a restart, or another node
    expect(new StalwartLogin(3600, () => now, "j".repeat(32)).accepts(token)).toBe(false);
    expect(new StalwartLogin(3600, () => now).accepts(token)).toBe(false);
    expect(new StalwartLogin(3600, () => now, key).accepts(tokenOf(new StalwartLogin(3600, () => now)))).toBe(false);
  });

  it("codes expire after 60 s and are bounded", () => {
    let now = 0;
    const login = new StalwartLogin(60, () => now);
    const first = login.issueCode().code;
    for (let i = 0; i < 1500; i++) login.issueCode();
    expect(login.exchange(`grant_type=authorization_code&code=${first}`)).toMatchObject({ error: "invalid_grant" });
    const late = login.issueCode().code;
    now += 60_001;
    expect(login.exchange(`grant_type=authorization_code&code=${late}`)).toMatchObject({ error: "invalid_grant" });
    expect(login.exchange("grant_type=password")).toMatchObject({ error: "unsupported_grant_type" });
  });
});
