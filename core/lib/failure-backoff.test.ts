import { describe, expect, it } from "vitest";
import { FailureBackoff } from "./failure-backoff.js";

const setup = (opts: Partial<ConstructorParameters<typeof FailureBackoff>[1]> = {}) => {
  const clock = { now: 1_000_000 };
  const b = new FailureBackoff(() => clock.now, { freeFailures: 3, baseMs: 1_000, maxMs: 8_000, forgetMs: 60_000, maxAddresses: 100, ...opts });
  return { clock, b };
};

describe("FailureBackoff", () => {
  it("lets the first failures through, then blocks for doubling times up to the cap", () => {
    const { b } = setup();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.failed("192.0.2.1");
      waits.push(b.retryAfterMs("192.0.2.1"));
    }
    expect(waits).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(b.retryAfterMs("192.0.2.2")).toBe(0);
  });

  it("unblocks when the wait is over, and forgets a quiet address", () => {
    const { clock, b } = setup();
    for (let i = 0; i < 4; i++) b.failed("a");
    expect(b.retryAfterMs("a")).toBe(1_000);
    clock.now += 1_000;
    expect(b.retryAfterMs("a")).toBe(0);
    expect(b.failed("a")).toBe(5);
    clock.now += 60_000;
    expect(b.failed("a")).toBe(1);
  });

  it("starts afresh after a success", () => {
    const { b } = setup();
    for (let i = 0; i < 5; i++) b.failed("a");
    b.succeeded("a");
    expect(b.retryAfterMs("a")).toBe(0);
    expect(b.failed("a")).toBe(1);
  });

  it("tracks at most maxAddresses, forgetting the stalest", () => {
    const { b } = setup({ maxAddresses: 100 });
    for (let i = 0; i < 5; i++) b.failed("attacker");
    for (let i = 0; i < 99; i++) b.failed(`198.51.100.${i}`);
    expect(b.size).toBe(100);
    expect(b.retryAfterMs("attacker")).toBeGreaterThan(0);
    b.failed("203.0.113.1");
    expect(b.size).toBe(100);
    expect(b.retryAfterMs("attacker")).toBe(0);
  });
});
