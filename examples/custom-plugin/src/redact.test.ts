import { describe, expect, it } from "vitest";
import { TestScheduler } from "rxjs/testing";
import type { LiveEvent } from "livetap";
import { mask, redact } from "./redact.js";
import { RedactOptions } from "./options.js";
import definition from "./index.js";

const ev = (data: Record<string, unknown>): LiveEvent => ({ id: "1-1", type: "smtp.mail-from", createdAt: "2026-11-25T10:00:00.000Z", data });

describe("redact operator", () => {
  it.each([
    ["192.0.2.77", "192.0.2.x"],
    ["2001:db8:1:2::7", "2001:db8:1:x"],
    ["jane@example.org", "j***@example.org"],
    ["secret", "***"],
  ])("masks %s as %s", (input, out) => {
    expect(mask(input)).toBe(out);
  });

  it("replaces only the listed fields and leaves the input event untouched", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const a = ev({ remoteIp: "192.0.2.7", domain: "example.org" });
    const b = ev({ domain: "example.net" });
    ts.run(({ cold, expectObservable }) => {
      const o = RedactOptions.parse({ fields: ["remoteIp"] });
      expectObservable(cold("a b|", { a, b }).pipe(redact(o))).toBe("a b|", {
        a: { ...a, data: { remoteIp: "192.0.2.x", domain: "example.org" } },
        b,
      });
    });
    expect(a.data.remoteIp).toBe("192.0.2.7");
  });

  it("hashes equal values to equal tokens", () => {
    const o = RedactOptions.parse({ fields: ["from"], mode: "hash", hashKey: "0123456789abcdef" });
    const out: LiveEvent[] = [];
    new TestScheduler(() => undefined).run(({ cold }) => {
      cold("ab|", { a: ev({ from: "x@example.org" }), b: ev({ from: "x@example.org" }) }).pipe(redact(o)).subscribe((e) => out.push(e));
    });
    expect(out[0].data.from).toMatch(/^hmac:[0-9a-f]{16}$/);
    expect(out[0].data.from).toBe(out[1].data.from);
  });

  it("exports a livetap operator definition", () => {
    expect(definition).toMatchObject({ kind: "operator", type: "redact" });
    expect(RedactOptions.safeParse({ fields: [] }).success).toBe(false);
  });
});

describe("redact mode drop", () => {
  it("drops events carrying a listed field and tells the hook which", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const a = ev({ remoteIp: "192.0.2.7" });
    const b = ev({ domain: "example.net" });
    const dropped: LiveEvent[] = [];
    ts.run(({ cold, expectObservable }) => {
      const o = RedactOptions.parse({ fields: ["remoteIp"], mode: "drop" });
      expectObservable(cold("a b|", { a, b }).pipe(redact(o, undefined, (e) => dropped.push(e)))).toBe("- b|", { b });
    });
    expect(dropped).toEqual([a]);
  });

  it("tells the replace hook each copy it emits", () => {
    const a = ev({ remoteIp: "192.0.2.7" });
    const pairs: [LiveEvent, LiveEvent][] = [];
    const ts = new TestScheduler((x, y) => expect(x).toEqual(y));
    ts.run(({ cold, expectObservable }) => {
      const o = RedactOptions.parse({ fields: ["remoteIp"] });
      const op = redact(o, (from, to) => (pairs.push([from, to]), to));
      expectObservable(cold("a|", { a }).pipe(op)).toBe("a|", { a: { ...a, data: { remoteIp: "192.0.2.x" } } });
    });
    expect(pairs).toHaveLength(1);
    expect(pairs[0][0]).toBe(a);
  });
});
