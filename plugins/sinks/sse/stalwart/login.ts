/**
 * The login Stalwart's WebAdmin performs (CONTRACT 11), against the sink's own credentials:
 * 1. `POST /api/oauth` with a credential the sink accepts (WebAdmin sends `Authorization:
 *    Basic` of the user's login) answers a one-time code;
 * 2. `POST /auth/token` (urlencoded, `grant_type=authorization_code&code=...`) exchanges it for
 *    a signed access token WebAdmin then sends as `Authorization: Bearer`, good until it expires.
 *
 * Codes live 60 s, are used once and at most MAX_CODES are outstanding (the oldest are
 * forgotten). Access tokens hold no state: an HMAC over their expiry, with a key derived from
 * `auth.tokenKey` when the sink has one (so tokens hold across restarts and on every node
 * sharing it, as the stream tokens do), else random per sink instance (tokens die with the
 * process; WebAdmin then shows its login again). Codes stay in the process that issued them:
 * WebAdmin exchanges one at once. No refresh token is issued, so WebAdmin does not try to refresh.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

const CODE_TTL_MS = 60_000;
const MAX_CODES = 1000;
const TOKEN_PREFIX = "lt1";

/** What `/api/oauth` answers inside `{"data": ...}`. */
export interface OAuthCode {
  code: string;
  permissions: string[];
  isEnterprise: true;
  version: string;
}

/**
 * Permissions WebAdmin needs to show its dashboard and live tracing (names of its
 * `Permission` enum, kebab-case; an unknown name would fail WebAdmin's decoding).
 */
export const PERMISSIONS = ["tracing-live", "metrics-list", "metrics-live"];
/**
 * The Stalwart API version announced: WebAdmin v0.1.33 refuses servers below 0.13.0, and
 * 0.15.5 is the last server version whose live-telemetry API this sink was checked against.
 */
export const STALWART_API_VERSION = "0.15.5";

export type TokenGrant = { access_token: string; token_type: "bearer"; expires_in: number } | { error: string; error_description: string };

export class StalwartLogin {
  private readonly key: Buffer;
  private readonly codes = new Map<string, number>(); // code -> expiry (ms), in issue order

  constructor(
    private readonly tokenSeconds: number,
    private readonly now: () => number,
    tokenKey?: string,
  ) {
    // Derived with its own label: a stream token never passes as a login token, nor back.
    this.key = tokenKey === undefined ? randomBytes(32) : Buffer.from(hkdfSync("sha256", tokenKey, "livetap", "stalwart webadmin login tokens", 32));
  }

  /** A fresh one-time code (the caller has checked the credentials). */
  issueCode(): OAuthCode {
    const now = this.now();
    for (const [c, until] of this.codes) {
      if (until > now && this.codes.size < MAX_CODES) break;
      this.codes.delete(c); // expired, or the oldest when full
    }
    const code = randomBytes(24).toString("base64url");
    this.codes.set(code, now + CODE_TTL_MS);
    return { code, permissions: PERMISSIONS, isEnterprise: true, version: STALWART_API_VERSION };
  }

  /** `/auth/token`: the urlencoded body as text. */
  exchange(body: string): TokenGrant {
    const form = new URLSearchParams(body.length > 8192 ? "" : body);
    const grant = form.get("grant_type");
    if (grant !== "authorization_code") {
      return { error: "unsupported_grant_type", error_description: `grant_type "${(grant ?? "").slice(0, 40)}" is not supported (only authorization_code)` };
    }
    const code = form.get("code") ?? "";
    const until = this.codes.get(code);
    if (until === undefined) return { error: "invalid_grant", error_description: "unknown or already used code: log in again" };
    this.codes.delete(code); // single use, also when expired
    const now = this.now();
    if (until <= now) return { error: "invalid_grant", error_description: "code expired: log in again" };
    const expires = now + this.tokenSeconds * 1000;
    const payload = `${TOKEN_PREFIX}.${Math.floor(expires)}.${randomBytes(9).toString("base64url")}`;
    return { access_token: `${payload}.${this.sign(payload)}`, token_type: "bearer", expires_in: this.tokenSeconds };
  }

  /** Whether `token` is an access token of this sink that has not expired. */
  accepts(token: string): boolean {
    if (token.length > 256 || !token.startsWith(`${TOKEN_PREFIX}.`)) return false;
    const cut = token.lastIndexOf(".");
    const payload = token.slice(0, cut);
    const sig = Buffer.from(token.slice(cut + 1), "base64url");
    const expected = Buffer.from(this.sign(payload), "base64url");
    if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) return false;
    const expires = Number(payload.split(".")[1]);
    return Number.isFinite(expires) && this.now() < expires;
  }

  private sign(payload: string): string {
    return createHmac("sha256", this.key).update(`webadmin:${payload}`).digest("base64url");
  }
}
