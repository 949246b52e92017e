import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import pino from "pino";
import { hashPassword, verifyPassword } from "../../../core/kit.js";
import { MetricsRegistry } from "../../../core/testing.js";
import type { StoredAt } from "../../../core/index.js";
import { until } from "../../../test/support/until.js";
import { AuthOptions, StreamAuth, type AuthRequest, type StreamEndpoint } from "./auth.js";

vi.mock("../../../core/kit.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../core/kit.js")>();
  return { ...real, verifyPassword: vi.fn(real.verifyPassword) };
});
const scryptChecks = vi.mocked(verifyPassword);
const realVerify = (await vi.importActual<typeof import("../../../core/kit.js")>("../../../core/kit.js")).verifyPassword;
beforeEach(() => {
  scryptChecks.mockReset();
  scryptChecks.mockImplementation(realVerify);
});

const TOKEN = "s3cret-token-0123456789";
const OTHER = "another-token-0123456789";
const basicHeader = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;
const req = (headers: AuthRequest["headers"] = {}, query: AuthRequest["query"] = {}): AuthRequest => ({ headers, query });

let opsHash: string;
beforeAll(async () => {
  opsHash = await hashPassword("hunter2 but longer");
});

function setup(extra: Partial<z.input<typeof AuthOptions>> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const opts = AuthOptions.parse({ bearer: [TOKEN, OTHER], basic: [{ user: "ops", passwordHash: opsHash }], ...extra });
  return { clock, auth: new StreamAuth(opts, () => clock.now) };
}

describe("StreamAuth.check", () => {
  type Case = {
    name: string;
    request: (auth: StreamAuth, clock: { now: number }) => AuthRequest;
    endpoint?: StreamEndpoint | "api";
    resuming?: boolean;
    ok: boolean;
    details?: RegExp;
  };
  const withToken = (issuedFor: StreamEndpoint, ageMs = 0) => (auth: StreamAuth, clock: { now: number }) => {
    const t = auth.issueToken(issuedFor);
    clock.now += ageMs;
    return req({}, { token: t });
  };
  const cases: Case[] = [
    { name: "no credentials", request: () => req(), ok: false, details: /credentials required.*tracing-token/ },
    { name: "right bearer token", request: () => req({ authorization: `Bearer ${TOKEN}` }), ok: true },
    { name: "second bearer token", request: () => req({ authorization: `Bearer ${OTHER}` }), endpoint: "api", ok: true },
    { name: "scheme is case-insensitive", request: () => req({ authorization: `bearer ${TOKEN}` }), ok: true },
    { name: "wrong bearer token", request: () => req({ authorization: `Bearer ${TOKEN}x` }), ok: false, details: /bearer token not accepted/ },
    { name: "prefix of a bearer token", request: () => req({ authorization: `Bearer ${TOKEN.slice(0, 10)}` }), ok: false },
    { name: "empty bearer", request: () => req({ authorization: "Bearer " }), ok: false, details: /malformed/ },
    { name: "garbage header", request: () => req({ authorization: "\u0000\u00ff garbage !!" }), ok: false, details: /malformed/ },
    { name: "unknown scheme", request: () => req({ authorization: "Digest abc" }), ok: false, details: /unsupported Authorization scheme/ },
    { name: "basic good", request: () => req({ authorization: basicHeader("ops", "hunter2 but longer") }), endpoint: "api", ok: true },
    { name: "basic wrong password", request: () => req({ authorization: basicHeader("ops", "hunter3") }), ok: false, details: /wrong user or password/ },
    { name: "basic unknown user", request: () => req({ authorization: basicHeader("root", "hunter2 but longer") }), ok: false, details: /wrong user or password/ },
    { name: "basic not base64", request: () => req({ authorization: "Basic ***" }), ok: false, details: /wrong user or password/ },
    { name: "basic without colon", request: () => req({ authorization: `Basic ${Buffer.from("ops").toString("base64")}` }), ok: false },
    { name: "fresh token for its stream", request: withToken("traces"), ok: true },
    { name: "fresh metrics token", request: withToken("metrics"), endpoint: "metrics", ok: true },
    { name: "token for the other endpoint", request: withToken("metrics"), endpoint: "traces", ok: false, details: /invalid token.*issued for the metrics stream, not traces/ },
    { name: "token on an API endpoint", request: withToken("traces"), endpoint: "api", ok: false, details: /only the stream/ },
    { name: "token at the end of its ttl", request: withToken("traces", 60_000), ok: true },
    { name: "expired token", request: withToken("traces", 61_000), ok: false, details: /token expired: issued 61 s ago/ },
    { name: "expired token, resuming within grace", request: withToken("traces", 3_000_000), resuming: true, ok: true },
    { name: "token past the grace, resuming", request: withToken("traces", 3_601_000), resuming: true, ok: false, details: /token expired/ },
    { name: "future-dated token", request: withToken("traces", -60_000), ok: false, details: /invalid token: it is dated in the future/ },
    {
      name: "tampered signature",
      request: (auth) => {
        const [p, s] = auth.issueToken("traces").split(".");
        return req({}, { token: `${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}` });
      },
      ok: false,
      details: /^invalid token \(not issued by this server/,
    },
    {
      name: "tampered payload (endpoint swapped, old signature)",
      request: (auth) => {
        const [p, s] = auth.issueToken("metrics").split(".");
        const forged = Buffer.from(Buffer.from(p, "base64url").toString().replace("metrics", "traces")).toString("base64url");
        return req({}, { token: `${forged}.${s}` });
      },
      ok: false,
      details: /^invalid token \(/,
    },
    {
      name: "token from another instance (another process)",
      request: () => req({}, { token: new StreamAuth(AuthOptions.parse({ bearer: [TOKEN] }), () => 1_700_000_000_000).issueToken("traces") }),
      ok: false,
      details: /^invalid token/,
    },
    { name: "garbage token", request: () => req({}, { token: "not a token" }), ok: false, details: /^invalid token/ },
    { name: "empty token is ignored", request: () => req({}, { token: "" }), ok: false, details: /credentials required/ },
    {
      name: "repeated token: the last one wins",
      request: (auth) => req({}, { token: ["garbage", auth.issueToken("traces")] }),
      ok: true,
    },
    {
      name: "bad header but good token passes",
      request: (auth) => req({ authorization: "Bearer nope-nope-nope-nope" }, { token: auth.issueToken("traces") }),
      ok: true,
    },
    {
      name: "bad header and bad token report both",
      request: () => req({ authorization: "Bearer nope-nope-nope-nope" }, { token: "x.y" }),
      ok: false,
      details: /bearer token not accepted; invalid token/,
    },
  ];

  it.each(cases)("$name", async (c) => {
    const { auth, clock } = setup();
    const r = c.request(auth, clock);
    const d = await auth.check(r, c.endpoint ?? "traces", c.resuming ? `${clock.now}-1` : undefined);
    expect(d.ok).toBe(c.ok);
    if (!d.ok) {
      expect(d.status).toBe(401);
      expect(d.status === 401 && d.wwwAuthenticate).toBe('Bearer realm="livetap", Basic realm="livetap"');
      if (c.details) expect(d.details).toMatch(c.details);
    }
  });

  it("is a no-op when auth is disabled, even with a bogus token", async () => {
    const auth = new StreamAuth(undefined, () => 0);
    expect(auth.enabled).toBe(false);
    expect(await auth.check(req({}, { token: "bogus" }), "traces", undefined)).toEqual({ ok: true });
    expect(await auth.check(req({ authorization: "Bearer x" }), "api", undefined)).toEqual({ ok: true });
  });

  it("challenges with Bearer only when there are no basic users, and refuses Basic then", async () => {
    const auth = new StreamAuth(AuthOptions.parse({ bearer: [TOKEN] }), () => 0);
    expect(auth.enabled).toBe(true);
    const d = await auth.check(req({ authorization: basicHeader("ops", "x") }), "api", undefined);
    expect(d).toEqual({
      ok: false,
      status: 401,
      wwwAuthenticate: 'Bearer realm="livetap"',
      details: expect.stringMatching(/Basic credentials are not accepted here/),
    });
  });

  it("honours configured token lifetimes", async () => {
    const { auth, clock } = setup({ tokenTtlSeconds: 5, reconnectGraceSeconds: 10 });
    const t = auth.issueToken("traces");
    clock.now += 6_000;
    expect((await auth.check(req({}, { token: t }), "traces", undefined)).ok).toBe(false);
    expect((await auth.check(req({}, { token: t }), "traces", `${clock.now}-1`)).ok).toBe(true);
    clock.now += 5_000;
    expect((await auth.check(req({}, { token: t }), "traces", `${clock.now}-1`)).ok).toBe(false);
  });

  it("stretches a token's life only for a well-formed event id dated after the token and not in the future", async () => {
    const { auth, clock } = setup({ tokenTtlSeconds: 1 });
    const issuedAt = clock.now;
    const t = auth.issueToken("traces");
    clock.now += 2_500;
    const resume = (id: string) => auth.check(req({}, { token: t }), "traces", id);
    expect((await resume(`${issuedAt + 2_000}-17`)).ok).toBe(true);
    for (const [id, why] of [
      ["x", /not an event id of this stream/],
      ["garbage garbage", /not an event id/],
      ["12-", /not an event id/],
      [`${issuedAt - 61_000}-1`, /older than the token/],
      [`${clock.now + 60_000}-1`, /dated in the future/],
    ] as const) {
      const d = await resume(id);
      expect(d.ok, id).toBe(false);
      expect(!d.ok && d.details).toMatch(/^token expired: issued 3 s ago/);
      expect(!d.ok && d.details).toMatch(why);
    }
  });

  describe("a stream id <E>-<S> of the sink's history (E: the stream's creation, older than any token)", () => {
    const E = 1_600_000_000_000;
    function streamSetup(stored: Map<number, number>, storedAt?: (id: string) => Promise<StoredAt | undefined>) {
      const clock = { now: 1_700_000_000_000 };
      const asked: string[] = [];
      const lookUp =
        storedAt ??
        ((id: string) => {
          asked.push(id);
          const [e, s] = id.split("-").map(Number);
          return Promise.resolve(e !== E ? undefined : (stored.get(s!) ?? "missing"));
        });
      const auth = new StreamAuth(AuthOptions.parse({ bearer: [TOKEN], tokenTtlSeconds: 1 }), () => clock.now, undefined, lookUp);
      return { clock, auth, asked };
    }

    it("stretches the token when the stream stored event S no earlier than the token's issue (less the batch window)", async () => {
      const issuedAt = 1_700_000_000_000;
      const stored = new Map([
        [10, issuedAt - 120_000],
        [11, issuedAt - 59_000],
        [12, issuedAt + 2_000],
      ]);
      const { auth, clock, asked } = streamSetup(stored);
      const t = auth.issueToken("traces");
      clock.now += 2_500;
      const resume = (id: string) => auth.check(req({}, { token: t }), "traces", id);
      expect((await resume(`${E}-12`)).ok).toBe(true);
      expect((await resume(`${E}-11`)).ok).toBe(true);
      const old = await resume(`${E}-10`);
      expect(!old.ok && old.details).toMatch(/^token expired: issued 3 s ago.*reconnect grace does not apply: Last-Event-ID is older than the token \(the stream stored that event before the token was issued\)/);
      const gone = await resume(`${E}-9`);
      expect(!gone.ok && gone.details).toMatch(/names no event the stream holds \(past its retention, or never stored\)/);
      const future = await resume(`${E}-99`);
      expect(future.ok).toBe(false);
      expect(asked).toEqual([`${E}-12`, `${E}-11`, `${E}-10`, `${E}-9`, `${E}-99`]);
    });

    it("still dates ids the history does not know by their <ms> part, and never asks for garbage", async () => {
      const { auth, clock, asked } = streamSetup(new Map());
      const issuedAt = clock.now;
      const t = auth.issueToken("traces");
      clock.now += 2_500;
      const resume = (id: string) => auth.check(req({}, { token: t }), "traces", id);
      expect((await resume(`${issuedAt + 1_000}-3`)).ok).toBe(true);
      expect((await resume(`${E + 1}-3`)).ok).toBe(false);
      expect((await resume("not-an-id")).ok).toBe(false);
      expect(asked).toEqual([`${issuedAt + 1_000}-3`, `${E + 1}-3`]);
    });

    it("asks nothing while the token is fresh or past the grace", async () => {
      const { auth, clock, asked } = streamSetup(new Map([[1, 1_700_000_000_000]]));
      const t = auth.issueToken("traces");
      expect((await auth.check(req({}, { token: t }), "traces", `${E}-1`)).ok).toBe(true);
      clock.now += 3_601_000;
      expect((await auth.check(req({}, { token: t }), "traces", `${E}-1`)).ok).toBe(false);
      expect(asked).toEqual([]);
    });

    it("refuses, saying why, when the stream cannot be asked, and bounds the checks waiting at once", async () => {
      const failing = streamSetup(new Map(), () => Promise.reject(new Error("JetStream request timed out")));
      const t = failing.auth.issueToken("traces");
      failing.clock.now += 2_500;
      const d = await failing.auth.check(req({}, { token: t }), "traces", `${E}-1`);
      expect(!d.ok && d.details).toMatch(/Last-Event-ID could not be checked against the stream \(JetStream request timed out\)/);

      const waiting: (() => void)[] = [];
      const slow = streamSetup(new Map(), () => new Promise((resolve) => waiting.push(() => resolve(1_700_000_000_000))));
      const t2 = slow.auth.issueToken("traces");
      slow.clock.now += 2_500;
      const pending = Array.from({ length: 256 }, () => slow.auth.check(req({}, { token: t2 }), "traces", `${E}-1`));
      await until(() => waiting.length === 256, "256 lookups in flight");
      const over = await slow.auth.check(req({}, { token: t2 }), "traces", `${E}-1`);
      expect(!over.ok && over.details).toMatch(/too many reconnects are being checked right now/);
      for (const w of waiting) w();
      expect((await Promise.all(pending)).every((p) => p.ok)).toBe(true);
      const after = slow.auth.check(req({}, { token: t2 }), "traces", `${E}-1`);
      await until(() => waiting.length === 257, "the next lookup once the others finished");
      waiting.at(-1)!();
      expect((await after).ok).toBe(true);
    });
  });

  it("refuses a signature with its spare bits flipped (one spelling per signature)", async () => {
    const { auth } = setup();
    const token = auth.issueToken("traces");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(token.at(-1)!);
    // A 32-byte signature is 43 characters: the last one carries 4 bits and 2 ignored ones.
    const variants = [1, 2, 3].map((bits) => token.slice(0, -1) + alphabet[last ^ bits]);
    for (const v of variants) expect(Buffer.from(v.split(".")[1], "base64url")).toEqual(Buffer.from(token.split(".")[1], "base64url"));
    expect((await auth.check(req({}, { token }), "traces", undefined)).ok).toBe(true);
    for (const v of variants) expect((await auth.check(req({}, { token: v }), "traces", undefined)).ok, v).toBe(false);
  });

  it("accepts tokens from another instance (a restart, another node) that shares tokenKey, and only those", async () => {
    const key = "k".repeat(16) + "-shared-key-0123456789";
    const a = setup({ tokenKey: key });
    const b = setup({ tokenKey: key });
    const other = setup({ tokenKey: `${key}!` });
    const t = a.auth.issueToken("traces");
    expect((await b.auth.check(req({}, { token: t }), "traces", undefined)).ok).toBe(true);
    expect((await other.auth.check(req({}, { token: t }), "traces", undefined)).ok).toBe(false);
    expect((await setup().auth.check(req({}, { token: t }), "traces", undefined)).ok).toBe(false);
  });

  it("brakes an address after repeated failures: 429 with a wait, not even checked, counted and logged rate-limited", async () => {
    const clock = { now: 1_700_000_000_000 };
    const counter = new MetricsRegistry().counter("sse.auth-failures");
    const logged: Record<string, unknown>[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) });
    const auth = new StreamAuth(AuthOptions.parse({ bearer: [TOKEN], basic: [{ user: "ops", passwordHash: opsHash }] }), () => clock.now, { counter, log });
    scryptChecks.mockResolvedValue(false);
    const attempt = (address: string, pw: string) => auth.check({ headers: { authorization: basicHeader("ops", pw) }, query: {}, remoteAddress: address }, "api", undefined);
    const answers: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = await attempt("192.0.2.9", `guess${i}`);
      answers.push(d.ok ? 200 : d.status);
    }
    expect(answers).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    const braked = await attempt("192.0.2.9", "guess");
    expect(braked).toMatchObject({ ok: false, status: 429, retryAfterSeconds: 1 });
    expect(scryptChecks).toHaveBeenCalledTimes(6); // the braked ones were never verified
    expect(counter.value).toBe(6);
    // One line per 10 s, with the address; never the password.
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ remoteAddress: "192.0.2.9", msg: expect.stringMatching(/^authentication failed: wrong user or password/) });
    expect(JSON.stringify(logged)).not.toMatch(/guess/);
    // Another address is not braked; a request without credentials is not a failure.
    expect((await attempt("192.0.2.10", "x")).ok === false && (await attempt("192.0.2.10", "x")).ok).toBe(false);
    await auth.check({ headers: {}, query: {}, remoteAddress: "192.0.2.11" }, "api", undefined);
    expect(counter.value).toBe(8);
    clock.now += 10_000;
    await attempt("192.0.2.10", "y");
    expect(logged).toHaveLength(2);
    expect(logged[1]).toMatchObject({ remoteAddress: "192.0.2.10", notLoggedSinceLast: 7 });
    // After the wait the address is heard again, and a success clears its record.
    clock.now += 60_000;
    scryptChecks.mockImplementation(realVerify);
    expect((await attempt("192.0.2.9", "hunter2 but longer")).ok).toBe(true);
    expect(auth.trackedAddresses).toBe(1);
  });

  it("issues distinct tokens", () => {
    const { auth } = setup();
    expect(auth.issueToken("traces")).not.toBe(auth.issueToken("traces"));
  });

  it("caches a successful Basic check so reconnect storms cost one scrypt", async () => {
    const { auth } = setup();
    const h = { authorization: basicHeader("ops", "hunter2 but longer") };
    // Concurrent first requests share one verification, later ones hit the cache.
    const all = await Promise.all(Array.from({ length: 50 }, () => auth.check(req(h), "traces", undefined)));
    expect((await auth.check(req(h), "api", undefined)).ok).toBe(true);
    expect(all.every((d) => d.ok)).toBe(true);
    expect(scryptChecks).toHaveBeenCalledTimes(1);
  });

  it("spends a scrypt verification on unknown users too (no user enumeration by timing)", async () => {
    const { auth } = setup();
    await auth.check(req({ authorization: basicHeader("nobody", "x") }), "api", undefined);
    expect(scryptChecks).toHaveBeenCalledTimes(1);
  });

  it("keeps the Basic cache bounded", async () => {
    const { auth } = setup();
    scryptChecks.mockResolvedValue(false); // the real scrypt would take a minute here
    for (let i = 0; i < 1_005; i++) await auth.check(req({ authorization: basicHeader("nobody", `pw${i}`) }), "api", undefined);
    expect((auth as unknown as { basicCache: Map<string, unknown> }).basicCache.size).toBe(1_000);
  });

  it("re-verifies a Basic header after the cache entry expired", async () => {
    const { auth, clock } = setup();
    const h = { authorization: basicHeader("ops", "hunter2 but longer") };
    expect((await auth.check(req(h), "api", undefined)).ok).toBe(true);
    clock.now += 61_000;
    expect((await auth.check(req(h), "api", undefined)).ok).toBe(true);
    expect(scryptChecks).toHaveBeenCalledTimes(2);
  });
});

describe("AuthOptions", () => {
  const issues = (v: unknown) => {
    const r = AuthOptions.safeParse(v);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("applies the documented defaults", () => {
    expect(AuthOptions.parse({ bearer: [TOKEN] })).toEqual({ bearer: [TOKEN], tokenTtlSeconds: 60, maxTokenTtlSeconds: 86_400, reconnectGraceSeconds: 3600 });
  });

  it("needs at least one credential", () => {
    expect(issues({})).toEqual([expect.stringMatching(/^: auth needs at least one credential/)]);
    expect(issues({ bearer: [] }).length).toBeGreaterThan(0);
  });

  it("refuses a tokenKey under 32 bytes without echoing it", () => {
    const short = "short-secret-value-0123456789ab"; // 31 bytes
    const found = issues({ bearer: [TOKEN], tokenKey: short });
    expect(found).toEqual([expect.stringMatching(/^tokenKey: tokenKey is shorter than 32 bytes/)]);
    expect(found.join()).not.toContain(short);
    expect(issues({ bearer: [TOKEN], tokenKey: `${short}c` })).toEqual([]);
  });

  it("refuses short bearer tokens (an unset environment variable included)", () => {
    expect(issues({ bearer: [""] })).toEqual([expect.stringMatching(/^bearer\.0: .*shorter than 16.*environment variable/)]);
    expect(issues({ bearer: ["has a space in it!!"] })).toEqual([expect.stringMatching(/printable ASCII/)]);
  });

  it("refuses a password instead of a hash and says how to make one", () => {
    expect(issues({ basic: [{ user: "ops", passwordHash: "hunter2" }] })).toEqual([
      expect.stringMatching(/^basic\.0\.passwordHash: .*livetap hash-password/),
    ]);
  });

  it("refuses duplicate users, ':' in names and unknown keys", () => {
    expect(issues({ basic: [{ user: "ops", passwordHash: opsHash }, { user: "ops", passwordHash: opsHash }] })).toEqual([
      'basic.1.user: user "ops" is listed twice',
    ]);
    expect(issues({ basic: [{ user: "a:b", passwordHash: opsHash }] })).toEqual([expect.stringMatching(/^basic\.0\.user: .*':'/)]);
    expect(issues({ bearer: [TOKEN], tokenTTL: 5 }).join()).toMatch(/tokenTTL/);
  });

  it("describes every option", () => {
    const shape = AuthOptions.shape;
    for (const [k, v] of Object.entries(shape)) expect(v.description, k).toBeTruthy();
    const user = (shape.basic.unwrap() as z.ZodArray<z.ZodObject>).element.shape;
    for (const [k, v] of Object.entries(user)) expect((v as z.ZodType).description, k).toBeTruthy();
  });
});
