import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Password hashes for config files (`auth.basic[].passwordHash`), made by
 * `livetap hash-password`:
 *
 *     scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>
 *
 * The parameters travel with the hash so they can be raised later without breaking old
 * hashes. They are bounded (see below) because a hash comes from a config file: a typo such
 * as N=2^30 must not turn every login into minutes of CPU and gigabytes of memory.
 */

/** Parameters for new hashes: OWASP's scrypt minimum (16 MiB, ~50 ms). */
export const SCRYPT_N = 16384;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

// Accepted when verifying. Cost N*r*p at most 8x the default (~0.4 s), memory 128*N*r at
// most 64 MiB, so a hostile or mistyped hash cannot make verification hang.
const MAX_N = 1 << 19;
const MAX_R = 64;
const MAX_P = 16;
const MAX_COST = SCRYPT_N * SCRYPT_R * SCRYPT_P * 8;
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;
const MIN_SALT_BYTES = 8;
const MAX_SALT_BYTES = 64;
const MIN_KEY_BYTES = 16;
const MAX_KEY_BYTES = 64;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const DECIMAL = /^[1-9][0-9]{0,9}$/;

function decodeB64url(s: string): Buffer | undefined {
  if (!B64URL.test(s)) return undefined;
  const b = Buffer.from(s, "base64url");
  // Non-canonical encodings (stray trailing bits, length 4k+1) are rejected, so one hash has one spelling.
  return b.toString("base64url") === s ? b : undefined;
}

function parseHash(encoded: string): ParsedHash | undefined {
  if (typeof encoded !== "string" || encoded.length > 512) return undefined;
  const parts = encoded.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
  const [, ns, rs, ps, saltS, hashS] = parts;
  if (!DECIMAL.test(ns) || !DECIMAL.test(rs) || !DECIMAL.test(ps)) return undefined;
  const N = Number(ns), r = Number(rs), p = Number(ps);
  // scrypt needs N a power of two above 1.
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return undefined;
  if (r > MAX_R || p > MAX_P || N * r * p > MAX_COST || 128 * N * r > MAX_MEMORY_BYTES) return undefined;
  const salt = decodeB64url(saltS);
  const hash = decodeB64url(hashS);
  if (!salt || salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) return undefined;
  if (!hash || hash.length < MIN_KEY_BYTES || hash.length > MAX_KEY_BYTES) return undefined;
  return { N, r, p, salt, hash };
}

function derive(password: string, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, keylen, o, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function scryptOptions(N: number, r: number, p: number): ScryptOptions {
  // Node's default maxmem (32 MiB) is below what accepted parameters may need.
  return { N, r, p, maxmem: 128 * N * r * 2 + 1024 * 1024 };
}

/**
 * True when `s` is a hash `verifyPassword` accepts (format and bounded parameters), so a
 * config is checked at load time instead of failing every login.
 */
export function isPasswordHash(s: unknown): s is string {
  return typeof s === "string" && parseHash(s) !== undefined;
}

/**
 * A new salted scrypt hash of `password` (NFC-normalised, so the same password typed on
 * different systems matches). Empty passwords are refused.
 */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== "string" || password.length === 0) throw new TypeError("password must be a non-empty string");
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, scryptOptions(SCRYPT_N, SCRYPT_R, SCRYPT_P));
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/**
 * Whether `password` matches `encoded`. Never throws: a malformed or out-of-bounds hash is
 * simply false. The key comparison is constant-time.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (typeof password !== "string") return false;
  const h = parseHash(encoded);
  if (!h) return false;
  let key: Buffer;
  try {
    key = await derive(password, h.salt, h.hash.length, scryptOptions(h.N, h.r, h.p));
  } catch {
    return false;
  }
  return timingSafeEqual(key, h.hash);
}
