import { describe, expect, it } from "vitest";
import { TestScheduler } from "rxjs/testing";
import type { LiveEvent } from "../../../core/index.js";
import { compileFilter, isFilterError } from "../../../core/kit.js";
import { FollowedValues, followKey } from "./follow.js";
import { selection } from "./selection.js";

describe("FollowedValues", () => {
  it("follows a value until ttl after the last event that carried it", () => {
    const f = new FollowedValues(10, 1000);
    f.follow("a", 0);
    expect(f.has("a", 900)).toBe(true); // refreshed at 900
    expect(f.has("a", 1900)).toBe(true);
    expect(f.has("a", 2901)).toBe(false); // 1001 ms after the last
    expect(f.size).toBe(0);
  });

  it("forgets the least recently seen value past maxValues", () => {
    const f = new FollowedValues(2, 10_000);
    f.follow("a", 0);
    f.follow("b", 1);
    expect(f.has("a", 2)).toBe(true); // a is now the most recent
    f.follow("c", 3); // evicts b
    expect([f.has("a", 4), f.has("b", 4), f.has("c", 4)]).toEqual([true, false, true]);
    for (let i = 0; i < 1000; i++) f.follow(`x${i}`, 5);
    expect(f.size).toBe(2);
  });

  it.each([
    ["s1", "s1"],
    [42, "42"],
    [true, "true"],
    ["", undefined],
    ["x".repeat(257), undefined],
    [{ a: 1 }, undefined],
    [null, undefined],
  ])("followKey(%j) is %j", (value, key) => {
    expect(followKey(value)).toBe(key);
  });
});

describe("selection with follow, on the scheduler clock", () => {
  it("passes a followed session for followSeconds after its last event, never outside the scope", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const filter = compileFilter(new URLSearchParams("type=auth.failed"));
    const scope = compileFilter(new URLSearchParams("domain=example.org"));
    if (isFilterError(filter) || isFilterError(scope)) throw new Error("bad test filter");
    const sel = selection({ filter, scope, follow: { field: "sessionId", maxFollowed: 10, followMs: 1000 } }, () => ts.now());
    const e = (type: string, sessionId: string, domain = "example.org"): LiveEvent => ({ id: "1", type, createdAt: "2026-11-24T11:50:00.123Z", data: { sessionId, domain } });
    const seen: boolean[] = [];
    const V = { a: e("auth.failed", "s"), b: e("imap.login", "s"), c: e("imap.login", "s", "example.net"), d: e("imap.login", "t") };
    ts.run(({ cold }) => {
      cold("a 500ms b 100ms c 100ms d 700ms b 1500ms b", V).subscribe((x) => seen.push(sel.predicate(x)));
    });
    // a matches; b followed (501 ms); c out of scope; d another session; b at 1404 ms still
    // followed (903 ms after the last); b 1.5 s later: forgotten.
    expect(seen.join()).toBe("true,true,false,false,true,false");
  });
});
