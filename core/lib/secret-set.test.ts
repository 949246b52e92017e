import { describe, expect, it } from "vitest";
import { SecretSet } from "./secret-set.js";

describe("SecretSet", () => {
  it("holds exactly its members, whatever the candidate's length", () => {
    const s = new SecretSet(["0123456789abcdef", "another-long-token-value"]);
    expect(s.size).toBe(2);
    expect(s.has("0123456789abcdef")).toBe(true);
    expect(s.has("another-long-token-value")).toBe(true);
    for (const wrong of ["", "0123456789abcdeF", "0123456789abcdef0", "x".repeat(10_000)]) expect(s.has(wrong)).toBe(false);
    expect(new SecretSet([]).has("anything")).toBe(false);
  });
});
