import { describe, expect, it } from "vitest";
import { hashPassword, isPasswordHash, verifyPassword } from "./password.js";

describe("password hashes", () => {
  it("hashes into the documented scrypt format and verifies the same password", async () => {
    const h = await hashPassword("correct horse battery staple");
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(isPasswordHash(h)).toBe(true);
    expect(await verifyPassword("correct horse battery staple", h)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", h)).toBe(false);
    expect(await verifyPassword("", h)).toBe(false);
  });

  it("salts: the same password hashes differently each time", async () => {
    const [a, b] = await Promise.all([hashPassword("pw"), hashPassword("pw")]);
    expect(a).not.toBe(b);
    expect(await verifyPassword("pw", b)).toBe(true);
  });

  it("treats unicode normalisation forms of one password as the same password", async () => {
    const h = await hashPassword("caf\u00e9");
    expect(await verifyPassword("cafe\u0301", h)).toBe(true);
  });

  it("refuses to hash an empty password", async () => {
    await expect(hashPassword("")).rejects.toThrow(/non-empty/);
  });

  it("verifies hashes with other (bounded) parameters", async () => {
    // scrypt N=16, r=1, p=1 of "pw" with salt "salt-salt" (16 bytes of key), computed with node:crypto.
    const { scryptSync } = await import("node:crypto");
    const salt = Buffer.from("salt-salt");
    const key = scryptSync("pw", salt, 16, { N: 16, r: 1, p: 1 });
    const h = `scrypt$16$1$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
    expect(isPasswordHash(h)).toBe(true);
    expect(await verifyPassword("pw", h)).toBe(true);
  });

  const good = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  it.each([
    ["empty", ""],
    ["another scheme", good.replace("scrypt", "bcrypt")],
    ["too few fields", "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA"],
    ["N not a power of two", good.replace("16384", "16385")],
    ["N too large (would hang)", good.replace("16384", String(1 << 24))],
    ["r too large", good.replace("$8$", "$1000$")],
    ["p too large", good.replace("$8$1$", "$8$4096$")],
    ["cost product too large", good.replace("$8$1$", "$8$16$")],
    ["zero r", good.replace("$8$", "$0$")],
    ["leading zero", good.replace("$8$", "$08$")],
    ["non-decimal N", good.replace("16384", "0x4000")],
    ["salt not base64url", good.replace("AAAAAAAAAAAAAAAAAAAAAA$", "AAAAAAAAAAAAAAAAAAAA+/$")],
    ["salt too short", "scrypt$16384$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["key too short", "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA"],
    ["non-canonical base64url", good.replace(/A\$A/, "B$A")],
    ["huge string", "scrypt$" + "A".repeat(10_000)],
  ])("rejects a malformed hash (%s) without throwing", async (_name, h) => {
    expect(isPasswordHash(h)).toBe(false);
    await expect(verifyPassword("pw", h)).resolves.toBe(false);
  });

  it("accepts the fixture used above as well-formed", () => {
    expect(isPasswordHash(good)).toBe(true);
  });

  it("isPasswordHash is false for non-strings", () => {
    expect(isPasswordHash(undefined)).toBe(false);
    expect(isPasswordHash(42)).toBe(false);
  });
});
