import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { PATHS } from "./paths.js";
import type { Counter, Logger, StoredAt } from "../../../core/index.js";
import { FailureBackoff, isPasswordHash, SecretSet, verifyPassword } from "../../../core/kit.js";
import { parseScope, SCOPE_EXAMPLE } from "./scope.js";

const bearerToken = z
  .string()
  .min(16, "bearer token is shorter than 16 characters (is its environment variable set?)")
  .regex(/^[\x21-\x7e]*$/, "bearer token must be printable ASCII without spaces (it travels in an HTTP header)")
  // A secret: problems give its length, never its value.
  .meta({ writeOnly: true });

const scopeOption = z
  .string()
  .min(1)
  .max(2048)
  .superRefine((scope, ctx) => {
    const problem = parseScope(scope);
    if (typeof problem === "string") ctx.addIssue({ code: "custom", message: problem });
  })
  .describe(
    `Filters (the traces stream's query syntax, e.g. "${SCOPE_EXAMPLE}") ANDed into every stream this token opens (traces, top, outputs-of): it can narrow them, never widen. A scoped token gets 403 on /metrics, /api/pipeline and the metrics stream.`,
  );

/** CONTRACT 4 "Auth": credentials for one `sse` sink. */
export const AuthOptions = z
  .strictObject({
    bearer: z
      .array(
        z.union([
          bearerToken,
          z.strictObject({
            token: bearerToken.describe('The token, as in a plain entry (at least 16 printable ASCII characters; pass it as "${TENANT_TOKEN}").'),
            scope: scopeOption,
          }),
        ]),
      )
      .min(1)
      .optional()
      .describe(
        "Static tokens accepted as `Authorization: Bearer <token>`; an entry `{ \"token\", \"scope\" }` is a scoped token (CONTRACT 9). Each at least 16 printable ASCII " +
          "characters (about 96 bits when random, so it cannot be guessed online); generate one with " +
          '`openssl rand -base64 24` and pass it as "${LIVE_TOKEN}" rather than writing it into the file.',
      ),
    basic: z
      .array(
        z.strictObject({
          user: z
            .string()
            .min(1)
            .max(256)
            // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
            .regex(/^[^:\x00-\x1f\x7f]+$/, "user must not contain ':' or control characters (HTTP Basic splits at ':')")
            .describe("User name for `Authorization: Basic`; no ':' in it."),
          passwordHash: z
            .string()
            .refine(isPasswordHash, {
              message: "not a livetap password hash: run `livetap hash-password` and paste what it prints (scrypt$...)",
            })
            .describe("The user's password as printed by `livetap hash-password` (`scrypt$N$r$p$salt$hash`), never the password itself."),
        }),
      )
      .min(1)
      .superRefine((users, ctx) => {
        const seen = new Set<string>();
        users.forEach((u, i) => {
          if (seen.has(u.user)) ctx.addIssue({ code: "custom", path: [i, "user"], message: `user "${u.user}" is listed twice` });
          seen.add(u.user);
        });
      })
      .optional()
      .describe(
        "Users accepted as `Authorization: Basic` (browsers ask for these when the dashboard gets a 401). " +
          "Successful checks are cached for 60 s so reconnecting clients do not pay for scrypt each time.",
      ),
    tokenTtlSeconds: z
      .number()
      .positive()
      .max(86_400)
      .default(60)
      .describe("Seconds a `?token=` from the token endpoints can open a stream after it was issued; default 60, at most 86400."),
    maxTokenTtlSeconds: z
      .number()
      .int()
      .positive()
      .max(30 * 86_400)
      .default(86_400)
      .describe(
        "Longest life a token endpoint grants when asked for one with `?ttl=SECONDS` (the dashboard's share links ask for a day); a longer ask is cut " +
          "to this, and the answer's `expiresIn` says what was granted. Default 86400 (1 day), at most 2592000 (30 days).",
      ),
    tokenKey: z
      .string()
      .refine((k) => Buffer.byteLength(k) >= 32, "tokenKey is shorter than 32 bytes (is its environment variable set? make one with `openssl rand -base64 32`)")
      .optional()
      .describe(
        'Secret (at least 32 bytes, from "${LIVE_TOKEN_KEY}", never written into the file) that signs `?token=` tokens, so they stay valid ' +
          "across restarts and on every node that shares it (any-node resume behind a load balancer). Absent: a random key per process, " +
          "and tokens die with it.",
      ),
    reconnectGraceSeconds: z
      .number()
      .min(0)
      .max(30 * 86_400)
      .default(3600)
      .describe(
        "Seconds a `?token=` stays good for a reconnect (a request with `Last-Event-ID`), so a browser " +
          "EventSource survives dropped connections; only for a well-formed event id dated after the token was issued (`<ms>-<seq>`; a nats source's `<E>-<S>`: event S stored by the stream after it) " +
          "and not in the future. Default 3600, at most 2592000 (30 days); 0 = no grace.",
      ),
  })
  .refine((o) => (o.bearer?.length ?? 0) + (o.basic?.length ?? 0) > 0, {
    message: "auth needs at least one credential: list tokens in `bearer` or users in `basic` (or remove `auth` on a loopback address)",
  })
  .describe("Require credentials on every endpoint except /healthz and the dashboard page (CONTRACT 4 Auth).");
export type AuthOptions = z.infer<typeof AuthOptions>;

export type StreamEndpoint = "traces" | "metrics";
/** `scope`: the filters a scoped credential ANDs into what it opens (each a query string); absent: unscoped. */
export type AuthDecision =
  | { ok: true; scope?: readonly string[] }
  | { ok: false; status: 401; wwwAuthenticate: string; details: string }
  | { ok: false; status: 429; retryAfterSeconds: number; details: string };

export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  /** The peer's address, for the failure brake and the log; absent in unit tests of credentials. */
  remoteAddress?: string;
}

/** Where failures are counted and told. */
export interface AuthFailureSink {
  counter: Counter;
  log: Logger;
}

const TOKEN_PATHS: Record<StreamEndpoint, string> = { traces: PATHS.tracingToken, metrics: PATHS.metricsToken };
// A token dated this far ahead of our clock is refused; a little slack covers a wall clock
// stepped back (NTP) between issue and use.
const FUTURE_SKEW_MS = 5_000;
const BASIC_CACHE_MAX = 1_000;
const BASIC_CACHE_TTL_MS = 60_000;
const MAX_HEADER_CHARS = 8_192;
// Events are stamped when they arrive and sent after the batch window (at most 60 s): an id
// this much older than its token can still be the first one a fresh stream received.
const ID_BEFORE_TOKEN_MS = 60_000;
const EVENT_ID = /^(\d{1,15})-\d{1,15}$/;
// Reconnect checks that wait for the stream at once; more are refused (and retried by the client).
const MAX_STORED_LOOKUPS = 256;
// One warning per this many ms at most, however many failures (a guessing run must not flood the log).
const FAILURE_LOG_INTERVAL_MS = 10_000;
// Verified for unknown users so that the answer takes as long as for a known user with a
// wrong password (no user enumeration by timing). Hash of a random, discarded password.
const DUMMY_HASH = "scrypt$16384$8$1$op6VcTWdckofrk4d3kZ6xQ$ST-i8QSf45MJgDd3-1_P9icMUBVX_t3YY5DU9O7jzWU";

type Verdict = { ok: true; scope?: readonly string[] } | { ok: false; details: string };
const OK: Verdict = { ok: true };
const fail = (details: string): Verdict => ({ ok: false, details });

/** The last non-empty value of a repeated query parameter (CONTRACT 4: the last one wins, empty ignored). */
function lastValue(v: unknown): string | undefined {
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof s === "string" && s !== "" ? s : undefined;
}

/**
 * Checks one `sse` sink's credentials (CONTRACT 4 "Auth") and issues its `?token=` tokens.
 *
 * `check()` is async because Basic credentials are verified with scrypt off the main thread;
 * Bearer and token checks settle at once. Every secret comparison is constant-time. Tokens are
 * signed with a key derived from `tokenKey` (so every node sharing it accepts them) or a
 * random one per instance (tokens die with the process). Repeated failures from one address
 * are counted, logged at most every 10 s, and answered 429 for a doubling while (FailureBackoff).
 */
export class StreamAuth {
  readonly enabled: boolean;
  private readonly key: Buffer;
  private readonly bearer: SecretSet;
  private readonly bearerScopes: (readonly string[] | undefined)[];
  private readonly users: Map<string, string>;
  private readonly challenge: string;
  private readonly ttlMs: number;
  /** Longest `?ttl=` a token endpoint grants, in seconds. */
  readonly maxTokenTtlSeconds: number;
  private readonly graceMs: number;
  // HMAC(header) -> verification in flight or done; holds no password, bounded, insertion-ordered.
  private readonly basicCache = new Map<string, { until: number; ok: Promise<boolean> }>();

  private readonly backoff: FailureBackoff;
  private lastFailureLogAt = -Infinity;
  private failuresNotLogged = 0;

  /** Reconnect checks waiting for `storedAt` now (at most MAX_STORED_LOOKUPS). */
  private lookups = 0;

  /**
   * `storedAt`: when the sink's history stored an event id (a nats source's `<E>-<S>` carries no
   * time of its own); absent: ids are dated by their `<ms>` part only.
   */
  constructor(
    opts: AuthOptions | undefined,
    private readonly nowMs: () => number,
    private readonly failures?: AuthFailureSink,
    private readonly storedAt?: (id: string) => Promise<StoredAt | undefined>,
  ) {
    this.enabled = opts !== undefined;
    // Derived, not the secret itself: the same tokenKey may sign other things elsewhere.
    this.key = opts?.tokenKey === undefined ? randomBytes(32) : Buffer.from(hkdfSync("sha256", opts.tokenKey, "livetap", "sse stream tokens", 32));
    this.backoff = new FailureBackoff(nowMs);
    const bearer = opts?.bearer ?? [];
    this.bearer = new SecretSet(bearer.map((b) => (typeof b === "string" ? b : b.token)));
    this.bearerScopes = bearer.map((b) => (typeof b === "string" ? undefined : [b.scope]));
    this.users = new Map((opts?.basic ?? []).map((u) => [u.user, u.passwordHash]));
    this.challenge = this.users.size > 0 ? 'Bearer realm="livetap", Basic realm="livetap"' : 'Bearer realm="livetap"';
    this.ttlMs = (opts?.tokenTtlSeconds ?? 60) * 1000;
    this.maxTokenTtlSeconds = opts?.maxTokenTtlSeconds ?? 86_400;
    this.graceMs = (opts?.reconnectGraceSeconds ?? 3600) * 1000;
  }

  /**
   * Whether `req` may use `endpoint`. `resuming`: the request carries `Last-Event-ID` (header
   * or `lastEventId` query), which stretches a token's life to `reconnectGraceSeconds`.
   * Passes when any credential it presents is valid. Never rejects.
   */
  async check(req: AuthRequest, endpoint: StreamEndpoint | "api", lastEventId: string | undefined): Promise<AuthDecision> {
    if (!this.enabled) return { ok: true };
    const address = req.remoteAddress;
    const wait = address === undefined ? 0 : this.backoff.retryAfterMs(address);
    if (wait > 0) {
      // Not even checked: a guess made while braked tells nothing, right or wrong.
      const retryAfterSeconds = Math.ceil(wait / 1000);
      return { ok: false, status: 429, retryAfterSeconds, details: `too many failed authentication attempts from this address: retry in ${retryAfterSeconds} s` };
    }
    const decision = await this.verify(req, endpoint, lastEventId);
    if (address !== undefined && !decision.ok && decision.presented) this.countFailure(address, endpoint, decision.details);
    else if (address !== undefined && decision.ok) this.backoff.succeeded(address);
    return decision.ok ? { ok: true, scope: decision.scope } : { ok: false, status: 401, wwwAuthenticate: this.challenge, details: decision.details };
  }

  /** Addresses the failure brake tracks now (at most 10000). */
  get trackedAddresses(): number {
    return this.backoff.size;
  }

  private countFailure(address: string, endpoint: string, details: string): void {
    const inARow = this.backoff.failed(address);
    if (!this.failures) return;
    this.failures.counter.inc();
    const now = this.nowMs();
    if (now - this.lastFailureLogAt < FAILURE_LOG_INTERVAL_MS) {
      this.failuresNotLogged++;
      return;
    }
    this.failures.log.warn({ remoteAddress: address, endpoint, failuresInARow: inARow, notLoggedSinceLast: this.failuresNotLogged }, `authentication failed: ${details}`);
    this.lastFailureLogAt = now;
    this.failuresNotLogged = 0;
  }

  /** `presented`: some credential was given (a request with none is a browser's first try, not a guess). */
  private async verify(req: AuthRequest, endpoint: StreamEndpoint | "api", lastEventId: string | undefined): Promise<{ ok: true; scope?: readonly string[] } | { ok: false; presented: boolean; details: string }> {
    const problems: string[] = [];
    const header = this.authorizationHeader(req.headers);
    if (header !== undefined) {
      const v = await this.checkHeader(header);
      if (v.ok) return v;
      problems.push(v.details);
    }
    const token = lastValue(req.query?.token);
    if (token !== undefined) {
      const v = endpoint === "api" ? fail("?token= opens only the stream it was issued for; use an Authorization header here") : await this.checkToken(token, endpoint, lastEventId);
      if (v.ok) return v;
      problems.push(v.details);
    }
    const presented = problems.length > 0;
    if (!presented) {
      const ways = this.users.size > 0 ? "Authorization: Bearer or Basic" : "Authorization: Bearer";
      problems.push(
        endpoint === "api"
          ? `credentials required (${ways})`
          : `credentials required (${ways}, or ?token= from ${TOKEN_PATHS[endpoint]})`,
      );
    }
    return { ok: false, presented, details: problems.join("; ") };
  }

  /**
   * A token that opens `endpoint` for `tokenTtlSeconds`, or for `ttlSeconds` when given (cut to
   * `maxTokenTtlSeconds`), and for `reconnectGraceSeconds` when resuming.
   */
  issueToken(endpoint: StreamEndpoint, scope?: readonly string[], ttlSeconds?: number): string {
    return this.issue(endpoint, scope, ttlSeconds).token;
  }

  /** `issueToken` with the life granted, in seconds (the token endpoints' `expiresIn`). */
  issue(endpoint: StreamEndpoint, scope?: readonly string[], ttlSeconds?: number): { token: string; expiresIn: number } {
    // A scope and a life travel signed inside the token, so neither can be removed or changed.
    const scoped = scope && scope.length > 0 ? `.${Buffer.from(JSON.stringify(scope)).toString("base64url")}` : "";
    const life = ttlSeconds === undefined ? undefined : Math.min(Math.floor(ttlSeconds), this.maxTokenTtlSeconds);
    const lived = life === undefined ? "" : `.ttl${life}`;
    const payload = Buffer.from(`${endpoint}.${Math.floor(this.nowMs())}.${randomBytes(12).toString("base64url")}${scoped}${lived}`).toString("base64url");
    return { token: `${payload}.${this.sign(payload).toString("base64url")}`, expiresIn: life ?? this.ttlMs / 1000 };
  }

  private sign(payload: string): Buffer {
    return createHmac("sha256", this.key).update(`token:${payload}`).digest();
  }

  private authorizationHeader(headers: AuthRequest["headers"]): string | undefined {
    const h = headers?.authorization;
    if (Array.isArray(h)) return h.length === 1 ? h[0] : "";
    return h;
  }

  private async checkHeader(header: string): Promise<Verdict> {
    if (header.length > MAX_HEADER_CHARS) return fail("Authorization header too long");
    const m = /^([A-Za-z]+) +(\S+) *$/.exec(header);
    if (!m) return fail("malformed Authorization header (expected `Bearer <token>` or `Basic <base64 user:password>`)");
    const scheme = m[1].toLowerCase();
    if (scheme === "bearer") return this.checkBearer(m[2]);
    if (scheme === "basic") {
      if (this.users.size === 0) return fail("Basic credentials are not accepted here (no basic users configured)");
      return this.checkBasic(m[2]);
    }
    return fail(`unsupported Authorization scheme "${m[1].slice(0, 20)}" (use Bearer${this.users.size > 0 ? " or Basic" : ""})`);
  }

  private checkBearer(token: string): Verdict {
    const i = this.bearer.indexOf(token);
    if (i < 0) return fail("bearer token not accepted");
    const scope = this.bearerScopes[i];
    return scope === undefined ? OK : { ok: true, scope };
  }

  private async checkBasic(b64: string): Promise<Verdict> {
    const cacheKey = createHmac("sha256", this.key).update(`basic:${b64}`).digest("base64url");
    const now = this.nowMs();
    let entry = this.basicCache.get(cacheKey);
    if (entry && entry.until <= now) {
      this.basicCache.delete(cacheKey);
      entry = undefined;
    }
    if (!entry) {
      entry = { until: now + BASIC_CACHE_TTL_MS, ok: this.verifyBasic(b64) };
      if (this.basicCache.size >= BASIC_CACHE_MAX) this.basicCache.delete(this.basicCache.keys().next().value!);
      this.basicCache.set(cacheKey, entry);
    }
    return (await entry.ok) ? OK : fail("wrong user or password");
  }

  private async verifyBasic(b64: string): Promise<boolean> {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return false;
    const decoded = Buffer.from(b64, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    const hash = this.users.get(decoded.slice(0, colon));
    const ok = await verifyPassword(decoded.slice(colon + 1), hash ?? DUMMY_HASH);
    return ok && hash !== undefined;
  }

  private async checkToken(token: string, endpoint: StreamEndpoint, lastEventId: string | undefined): Promise<Verdict> {
    const invalid = fail("invalid token (not issued by this server, altered, or from before a restart): fetch a new one from " + TOKEN_PATHS[endpoint]);
    const parts = token.split(".");
    if (token.length > 8192 || parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return invalid;
    // Compared as text: decoding would accept several spellings of one signature (the spare
    // low bits of the last base64url character are ignored by the decoder).
    const sig = Buffer.from(parts[1]);
    const expected = Buffer.from(this.sign(parts[0]).toString("base64url"));
    if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) return invalid;
    // A scope segment is base64url JSON (it starts "WyJ"), never "ttl<digits>".
    const m = /^(traces|metrics)\.(\d{1,15})\.[A-Za-z0-9_-]+(?:\.(?!ttl\d)([A-Za-z0-9_-]+))?(?:\.ttl(\d{1,7}))?$/.exec(Buffer.from(parts[0], "base64url").toString("utf8"));
    if (!m) return invalid;
    const issuedFor = m[1] as StreamEndpoint;
    // Signed, so ours: the scope the token was issued with (scoped credentials, CONTRACT 9).
    const valid: Verdict = m[3] === undefined ? OK : { ok: true, scope: JSON.parse(Buffer.from(m[3], "base64url").toString("utf8")) as string[] };
    if (issuedFor !== endpoint) {
      return fail(`invalid token: it was issued for the ${issuedFor} stream, not ${endpoint} (fetch one from ${TOKEN_PATHS[endpoint]})`);
    }
    const issuedAt = Number(m[2]);
    const now = this.nowMs();
    const age = now - issuedAt;
    if (age < -FUTURE_SKEW_MS) return fail("invalid token: it is dated in the future");
    const ttlMs = m[4] === undefined ? this.ttlMs : Number(m[4]) * 1000;
    if (age <= ttlMs) return valid;
    const s = (ms: number) => `${Math.round(ms / 1000)} s`;
    const expired = `token expired: issued ${s(age)} ago; ${m[4] === undefined ? "a token" : "this token"} opens a stream within ${s(ttlMs)} of issue`;
    const fetch = `fetch a new one from ${TOKEN_PATHS[endpoint]}`;
    if (lastEventId === undefined || age > this.graceMs) return fail(`${expired} (${s(this.graceMs)} when reconnecting with Last-Event-ID); ${fetch}`);
    const resumable = await this.resumableId(lastEventId, issuedAt, now);
    if (resumable !== undefined) return fail(`${expired}, and the reconnect grace does not apply: ${resumable}; ${fetch}`);
    return valid;
  }

  /**
   * Why `Last-Event-ID` cannot stretch a token's life, or undefined when it can: it must be an
   * event id of ours, not dated before the token was issued (less the batch window) nor after
   * now. A `<ms>-<seq>` id carries its date; a stream id `<E>-<S>` of the sink's history (E is
   * the stream's creation) is dated by when the stream stored event S, so it must name an
   * event the stream holds. Garbage or an old id no longer turns an old token into a new one;
   * a forged well-formed id (a recent `<ms>`, a recent `S`) still can within the grace (the
   * trade-off CONTRACT 4 accepts for browsers, whose EventSource resends its original URL).
   */
  private async resumableId(id: string, issuedAt: number, now: number): Promise<string | undefined> {
    const m = EVENT_ID.exec(id);
    if (!m) return "Last-Event-ID is not an event id of this stream";
    const stored = await this.lookUpStoredAt(id);
    if (typeof stored === "string") return stored;
    if (stored !== undefined) {
      return stored < issuedAt - ID_BEFORE_TOKEN_MS ? "Last-Event-ID is older than the token (the stream stored that event before the token was issued)" : undefined;
    }
    const at = Number(m[1]);
    if (at < issuedAt - ID_BEFORE_TOKEN_MS) return "Last-Event-ID is older than the token";
    if (at > now + FUTURE_SKEW_MS) return "Last-Event-ID is dated in the future";
    return undefined;
  }

  /** The stored time of `id` in the sink's history, undefined when it does not know the id, or why it cannot be told. */
  private async lookUpStoredAt(id: string): Promise<number | string | undefined> {
    if (!this.storedAt) return undefined;
    // Each check is one JetStream request (bounded by its timeout); a storm of reconnects must not queue without end.
    if (this.lookups >= MAX_STORED_LOOKUPS) return "too many reconnects are being checked right now; retry in a moment";
    this.lookups++;
    try {
      const at = await this.storedAt(id);
      return at === "missing" ? "Last-Event-ID names no event the stream holds (past its retention, or never stored)" : at;
    } catch (err) {
      return `Last-Event-ID could not be checked against the stream (${err instanceof Error ? err.message : String(err)})`;
    } finally {
      this.lookups--;
    }
  }
}
