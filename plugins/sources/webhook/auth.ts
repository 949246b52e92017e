import { createHmac, timingSafeEqual } from "node:crypto";
import { SecretSet } from "../../../core/kit.js";
import type { WebhookAuthOptions } from "./options.js";

export type AuthVerdict = { ok: true } | { ok: false; details: string };
const OK: AuthVerdict = { ok: true };

type Headers = Record<string, string | string[] | undefined>;

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const MAX_HEADER_CHARS = 8_192;

/**
 * CONTRACT 5 credentials of one webhook source. A request passes with any configured
 * credential: a listed bearer token, or a valid `sha256=<hex>` HMAC of its raw body. Every
 * secret comparison is constant-time, and bearer tokens are compared as HMAC digests under a
 * random per-instance key, so neither a token nor its length leaks by timing.
 */
export class WebhookAuth {
  /** Whether the decision needs the body (an hmac secret is set); else it is made before reading it. */
  readonly needsBody: boolean;
  /** The WWW-Authenticate challenge of a 401, when there is a standard one. */
  readonly challenge: string | undefined;
  private readonly bearer: SecretSet;
  private readonly hmacSecret: string | undefined;
  private readonly hmacHeader: string;

  constructor(opts: WebhookAuthOptions) {
    this.bearer = new SecretSet(opts.bearer ?? []);
    this.hmacSecret = opts.hmac?.secret;
    this.hmacHeader = (opts.hmac?.header ?? "x-signature-256").toLowerCase();
    this.needsBody = this.hmacSecret !== undefined;
    this.challenge = this.bearer.size > 0 ? 'Bearer realm="livetap"' : undefined;
  }

  /** Checks the headers, and the raw body against the signature when an hmac secret is set. */
  check(headers: Headers, body: Buffer | undefined): AuthVerdict {
    const problems: string[] = [];
    if (this.bearer.size > 0) {
      const v = this.checkBearer(headers.authorization);
      if (v.ok) return v;
      problems.push(v.details);
    }
    if (this.hmacSecret !== undefined) {
      const v = this.checkSignature(headers[this.hmacHeader], body ?? Buffer.alloc(0));
      if (v.ok) return v;
      problems.push(v.details);
    }
    return { ok: false, details: problems.join("; ") };
  }

  private checkBearer(header: string | string[] | undefined): AuthVerdict {
    if (header === undefined) return { ok: false, details: "missing Authorization: Bearer <token>" };
    if (Array.isArray(header) || header.length > MAX_HEADER_CHARS) return { ok: false, details: "malformed Authorization header" };
    const m = /^bearer +(\S+) *$/i.exec(header);
    if (!m) return { ok: false, details: "malformed Authorization header (expected `Bearer <token>`)" };
    return this.bearer.has(m[1]) ? OK : { ok: false, details: "bearer token not accepted" };
  }

  private checkSignature(header: string | string[] | undefined, body: Buffer): AuthVerdict {
    if (header === undefined) return { ok: false, details: `missing ${this.hmacHeader}: sha256=<hex HMAC-SHA256 of the body>` };
    const m = typeof header === "string" ? SIGNATURE.exec(header.trim()) : null;
    if (!m) return { ok: false, details: `malformed ${this.hmacHeader} (expected sha256=<64 hex digits>)` };
    const expected = createHmac("sha256", this.hmacSecret!).update(body).digest();
    return timingSafeEqual(Buffer.from(m[1], "hex"), expected) ? OK : { ok: false, details: `${this.hmacHeader} does not match the body` };
  }
}

/** `sha256=<hex>` of `body` under `secret`: what a sender puts in the signature header. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
