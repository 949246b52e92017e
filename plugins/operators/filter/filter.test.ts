import { describe, expect, it } from "vitest";
import { TestScheduler } from "rxjs/testing";
import { from, lastValueFrom, toArray } from "rxjs";
import fc from "fast-check";
import { z } from "zod";
import pino from "pino";
import type { LiveEvent, Operator } from "../../../core/index.js";
import { compileFilter, isFilterError } from "../../../core/kit.js";
import { createPlugin, MetricsRegistry } from "../../../core/testing.js";
import definition from "./index.js";
import { filterEvents } from "./filter.js";
import { FilterOptions } from "./options.js";

const ev = (id: string, type: string, data: Record<string, unknown>): LiveEvent => ({ id, type, createdAt: "2026-11-24T11:50:00.123Z", data });

/** Syslog-like, demo-like and app-log events: every value kind and every severity spelling. */
const EVENTS: LiveEvent[] = [
  ev("1", "smtp.connection-start", { remoteIp: "192.0.2.7", domain: "example.org", level: "info" }),
  ev("2", "smtp.mail-from", { remoteIp: "198.51.100.9", from: "a@example.net", size: 2_500_000, level: "info" }),
  ev("3", "auth.failed", { remoteIp: "192.0.2.7", accountName: "bob@example.org", level: "warning", reason: "invalid credentials" }),
  ev("4", "syslog.message", { severity: "err", facility: "mail", message: "delivery error: 451", hostname: "mx1" }),
  ev("5", "syslog.message", { severity: "debug", facility: "mail", message: "cache hit", hostname: "mx1" }),
  ev("6", "syslog.message", { severity: "crit", message: "disk full", structuredData: { meta: { size: "1200000" } } }),
  ev("7", "file.line", { path: "/var/log/app.log", message: "GET /", level: "ERROR", size: "999999" }),
  ev("8", "app.log", { level: 30, msg: "ok", size: 10 }),
  ev("9", "app.log", { level: 50, msg: "boom", size: -3 }),
  ev("10", "delivery.completed", { size: "12abc", level: "warn", to: ["x@example.org"] }),
];

const kept = (options: Record<string, unknown>): string[] => {
  const o = FilterOptions.parse(options);
  const out: string[] = [];
  from(EVENTS).pipe(filterEvents(o)).subscribe((e) => out.push(e.id));
  return out;
};

const ALL = EVENTS.map((e) => e.id);

type Case = [name: string, options: Record<string, unknown>, expected: string[]];

const CASES: Case[] = [
  ["no conditions keep everything", {}, ALL],
  ["include filter: substring of any data value", { include: { filter: "example.org" } }, ["1", "3", "10"]],
  ["include filter: case-sensitive", { include: { filter: "error" } }, ["4"]],
  ["include filter: numbers as text", { include: { filter: "2500" } }, ["2"]],
  ["include filter: nested values", { include: { filter: "1200" } }, ["6"]],
  ["include type: exact", { include: { type: "auth.failed" } }, ["3"]],
  ["include type: prefix", { include: { type: "smtp.*" } }, ["1", "2"]],
  ["include type: comma list", { include: { type: "smtp.*,auth.*" } }, ["1", "2", "3"]],
  ["include type: array", { include: { type: ["auth.failed", "file.*"] } }, ["3", "7"]],
  ["include keys: substring of that key", { include: { keys: { remoteIp: "192.0.2" } } }, ["1", "3"]],
  ["include keys: absent key never matches", { include: { keys: { hostname: "m" } } }, ["4", "5"]],
  ["include key shorthand (URL style)", { include: { remoteIp: "192.0.2" } }, ["1", "3"]],
  ["include keys: several are ANDed", { include: { keys: { remoteIp: "192.0.2", accountName: "bob" } } }, ["3"]],
  ["include keys: array values searched", { include: { keys: { to: "example.org" } } }, ["10"]],
  ["severityAtLeast warning: syslog names, demo levels, app names, pino numbers", { include: { severityAtLeast: "warning" } }, ["3", "4", "6", "7", "9", "10"]],
  ["severityAtLeast err", { include: { severityAtLeast: "err" } }, ["4", "6", "7", "9"]],
  ["severityAtLeast alias error = err", { include: { severityAtLeast: "error" } }, ["4", "6", "7", "9"]],
  ["severityAtLeast crit", { include: { severityAtLeast: "crit" } }, ["6"]],
  ["severityAtMost info: info and debug", { include: { severityAtMost: "info" } }, ["1", "2", "5", "8"]],
  ["severity range", { include: { severityAtLeast: "warning", severityAtMost: "warning" } }, ["3", "10"]],
  ["fields gte (numbers and numeric strings)", { include: { fields: [{ field: "size", gte: 1_000_000 }] } }, ["2"]],
  ["fields lt", { include: { fields: [{ field: "size", lt: 1_000_000 }] } }, ["7", "8", "9"]],
  ["fields range in one comparison", { include: { fields: [{ field: "size", gt: 0, lte: 999_999 }] } }, ["7", "8"]],
  ["fields eq / ne", { include: { fields: [{ field: "size", ne: 10 }, { field: "size", lte: 10 }] } }, ["9"]],
  ["fields: a dotted path descends into data (CONTRACT 6)", { include: { fields: [{ field: "structuredData.meta.size", gte: 1_000_000 }] } }, ["6"]],
  ["fields: data. prefix", { include: { fields: [{ field: "data.size", gte: 1_000_000 }] } }, ["2"]],
  ["fields: not a number never matches", { include: { fields: [{ field: "size", gte: -1e12 }] } }, ["2", "7", "8", "9"]],
  ["all parts of one condition must hold", { include: { type: "syslog.*", severityAtLeast: "err", filter: "451" } }, ["4"]],
  ["a list of conditions: any of them", { include: [{ type: "auth.*" }, { severityAtLeast: "crit" }] }, ["3", "6"]],
  ["exclude only", { exclude: { severity: "debug" } }, ["1", "2", "3", "4", "6", "7", "8", "9", "10"]],
  ["exclude a list", { exclude: [{ type: "app.*" }, { keys: { severity: "debug" } }] }, ["1", "2", "3", "4", "6", "7", "10"]],
  ["exclude wins over include", { include: { type: "syslog.*" }, exclude: { severityAtMost: "debug" } }, ["4", "6"]],
  [
    "the issue's example",
    {
      include: { type: "smtp.*,auth.*", keys: { remoteIp: "192.0.2" }, severityAtLeast: "warning" },
      exclude: { keys: { level: "debug" } },
    },
    ["3"],
  ],
];

describe("filter operator", () => {
  it.each(CASES)("%s", (_name, options, expected) => {
    expect(kept(options)).toEqual(expected);
  });

  // CONTRACT 4: "a filter written in a config and one typed in a URL mean the same thing".
  it("keeps exactly what the same SSE query keeps", () => {
    const word = fc.constantFrom("", "1", "9", "0.2", "example", "mx", "err", "a@", "info", "x");
    const typePattern = fc.constantFrom("smtp.*", "auth.failed", "syslog.message", "app.*", "*", "smtp.mail-from,file.*");
    const key = fc.constantFrom("remoteIp", "domain", "severity", "size", "to", "message", "level");
    fc.assert(
      fc.property(fc.option(word), fc.option(typePattern), fc.dictionary(key, word, { maxKeys: 3 }), (filter, type, keys) => {
        const query = new URLSearchParams();
        const condition: Record<string, unknown> = {};
        if (filter) {
          query.set("filter", filter);
          condition.filter = filter;
        }
        if (type) {
          query.set("type", type);
          condition.type = type;
        }
        const nonEmpty = Object.entries(keys).filter(([, v]) => v !== "");
        for (const [k, v] of nonEmpty) query.set(k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v);
        if (nonEmpty.length) condition.keys = Object.fromEntries(nonEmpty);
        const url = compileFilter(query);
        if (isFilterError(url)) throw new Error(url.details);
        const expected = EVENTS.filter(url.predicate).map((e) => e.id);
        const options = Object.keys(condition).length ? { include: condition } : {};
        expect(kept(options)).toEqual(expected);
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it("leaves events untouched and passes the very same objects", () => {
    const input = EVENTS.map((e) => structuredClone(e));
    const out: LiveEvent[] = [];
    from(input).pipe(filterEvents(FilterOptions.parse({ include: { type: "smtp.*" } }))).subscribe((e) => out.push(e));
    expect(out[0]).toBe(input[0]);
    expect(input).toEqual(EVENTS);
  });

  it("counts drops in events.dropped, filter.dropped and its own operators.<name>.dropped", async () => {
    const metrics = new MetricsRegistry();
    const logger = pino({ level: "silent" });
    const { plugin } = createPlugin(definition, { exclude: { type: "syslog.*" } }, { metrics, logger });
    const out = await lastValueFrom(from(EVENTS).pipe((plugin as Operator).operator(), toArray()));
    expect(out).toHaveLength(7);
    expect(metrics.counter("events.dropped").value).toBe(3);
    expect(metrics.counter("filter.dropped").value).toBe(3);
    expect(metrics.counter("operators.filter.dropped").value).toBe(3);
  });

  describe("as an RxJS operator (marbles)", () => {
    const ts = () => new TestScheduler((a, b) => expect(a).toEqual(b));
    const o = FilterOptions.parse({ include: { type: "smtp.*" } });
    const v = { a: EVENTS[0], b: EVENTS[3], c: EVENTS[1] };

    it("drops what does not match, in place, and completes with its input", () => {
      ts().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold("a b 5ms c|", v);
        expectObservable(src.pipe(filterEvents(o))).toBe("a - 5ms c|", v);
        expectSubscriptions(src.subscriptions).toBe("^ 7ms !");
      });
    });

    it("empty stays empty", () => {
      ts().run(({ cold, expectObservable }) => expectObservable(cold<LiveEvent>("|").pipe(filterEvents(o))).toBe("|"));
    });

    it("never stays silent", () => {
      ts().run(({ cold, expectObservable }) => expectObservable(cold<LiveEvent>("-").pipe(filterEvents(o))).toBe("-"));
    });

    it("passes errors through", () => {
      ts().run(({ cold, expectObservable }) => expectObservable(cold("a b #", v).pipe(filterEvents(o))).toBe("a - #", v));
    });

    it("unsubscribes from its input on teardown", () => {
      ts().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold("a b c a b c", v);
        expectObservable(src.pipe(filterEvents(o)), "^ 3ms !").toBe("a - c a", v);
        expectSubscriptions(src.subscriptions).toBe("^ 3ms !");
      });
    });
  });
});

/** Issue messages, those inside union branches included (core reports the branch the user meant). */
function messages(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((i) => (i.code === "invalid_union" ? i.errors.flatMap((branch) => messages(branch)) : [`${i.path.join(".")}: ${i.message}`]));
}

describe("filter options", () => {
  it("describes every option and has a JSON Schema", () => {
    const json = z.toJSONSchema(FilterOptions, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [key, prop] of Object.entries(json.properties)) expect(prop.description, key).toBeTruthy();
  });

  it.each([
    ["the CONTRACT example", { exclude: { severity: "debug" } }],
    ["a list of conditions", { include: [{ type: "a.*" }, { filter: "x" }] }],
    ["the issue example", { include: { type: "smtp.*,auth.*", keys: { remoteIp: "192.0.2" }, filter: "error", severityAtLeast: "warning", fields: [{ field: "size", gte: 1000000 }] }, exclude: { keys: { severity: "debug" } } }],
  ])("accepts %s", (_name, options) => {
    expect(FilterOptions.safeParse(options).success).toBe(true);
  });

  it.each([
    ["an unknown option", { includes: { type: "a" } }, "includes"],
    ["an empty condition", { exclude: {} }, "empty condition"],
    ["an empty list", { include: [] }, ""],
    ["a misspelt condition option", { include: { typ: "smtp.*" } }, 'did you mean "type"'],
    ["a misspelt severity option", { include: { severityAtleast: "err" } }, 'did you mean "severityAtLeast"'],
    ["an unknown severity", { include: { severityAtLeast: "loud" } }, ""],
    ["an empty severity range", { include: { severityAtLeast: "err", severityAtMost: "debug" } }, "no severity"],
    ["a comparison without a bound", { include: { fields: [{ field: "size" }] } }, "at least one of gt"],
    ["a key filter given twice", { include: { remoteIp: "1", keys: { remoteIp: "2" } } }, "give it once"],
    ["a non-string key filter", { include: { remoteIp: 1 } }, ""],
    ["an empty substring", { include: { filter: "" } }, ""],
    ["a typo together with other problems", { include: { typ: "smtp.*", severityAtLeast: "loud" } }, 'did you mean "type"'],
  ])("rejects %s", (_name, options, message) => {
    const r = FilterOptions.safeParse(options);
    expect(r.success).toBe(false);
    if (!r.success && message) expect(messages(r.error.issues).join("\n")).toContain(message);
  });
});
