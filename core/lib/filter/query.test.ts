import { describe, expect, it } from "vitest";
import type { LiveEvent } from "../../event.js";
import type { Matcher } from "./matcher.js";
import { compileFilter, isFilterError } from "./query.js";
import { MAX_SEARCH_DEPTH } from "./text.js";

const ev = (id: string, type: string, data: Record<string, unknown>): LiveEvent => ({ id, type, createdAt: "2026-11-24T11:50:00.123Z", data });

/** A fixed set covering every value kind the contract names. */
const EVENTS: LiveEvent[] = [
  ev("1", "smtp.connection-start", { remoteIp: "192.0.2.7", domain: "example.org", listenerId: "smtp" }),
  ev("2", "smtp.connection-end", { remoteIp: "198.51.100.9", domain: "example.net", durationMs: 1234 }),
  ev("3", "imap.login", { remoteIp: "192.0.2.7", user: "alice", tls: true, tags: ["vip", "eu"] }),
  ev("4", "syslog.message", { hostname: "mx1", structuredData: { meta: { sequenceId: "77" } }, severity: "info" }),
  ev("5", "file.line", { path: "/var/log/app.log", offset: 0, message: "Hello World", flag: false }),
  ev("6", "smtp.connection-start", { remoteIp: "203.0.113.1", ports: [25, 587], nothing: null }),
  ev("7", "smtpx.other", { note: "Filter me" }),
];

const ids = (f: Matcher) => EVENTS.filter(f.predicate).map((e) => e.id);

type Case = [name: string, query: string, expected: string[]];

const CASES: Case[] = [
  ["no parameters match everything", "", ["1", "2", "3", "4", "5", "6", "7"]],
  ["filter: substring of a string value", "filter=example", ["1", "2"]],
  ["filter: case-sensitive", "filter=hello", []],
  ["filter: case-sensitive, right case", "filter=Hello", ["5"]],
  ["filter: numbers as text", "filter=123", ["2"]],
  ["filter: number zero as text (and in strings)", "filter=0", ["1", "2", "3", "5", "6"]],
  ["filter: booleans as text", "filter=true", ["3"]],
  ["filter: false as text", "filter=als", ["5"]],
  ["filter: nested object values", "filter=77", ["4"]],
  ["filter: array values", "filter=vip", ["3"]],
  ["filter: numbers in arrays", "filter=587", ["6"]],
  ["filter: keys are not values", "filter=remoteIp", []],
  ["filter: null has no text", "filter=null", []],
  ["filter: type is not data", "filter=smtp.connection", []],
  ["filter: + decodes to a space", "filter=Hello+World", ["5"]],
  ["filter: %XX decoding", "filter=%2Fvar%2Flog", ["5"]],
  ["key: kebab-case maps to camelCase", "remote-ip=192.0.2.7", ["1", "3"]],
  ["key: substring of the value", "remote-ip=192.0", ["1", "3"]],
  ["key: absent key never matches", "user=192", []],
  ["key: number value as text", "duration-ms=23", ["2"]],
  ["key: boolean value as text", "tls=true", ["3"]],
  ["key: array nested values", "tags=eu", ["3"]],
  ["key: object nested values", "structured-data=77", ["4"]],
  ["key: only its own key", "domain=192", []],
  ["key: several keys are ANDed", "remote-ip=192.0.2.7&user=alice", ["3"]],
  ["key: AND fails when one fails", "remote-ip=192.0.2.7&user=bob", []],
  ["key: AND with filter", "remote-ip=192.0.2&filter=example", ["1"]],
  ["key: null value never matches", "nothing=n", []],
  ["type: exact", "type=smtp.connection-start", ["1", "6"]],
  ["type: exact is not a prefix", "type=smtp", []],
  ["type: prefix with *", "type=smtp.*", ["1", "2", "6"]],
  ["type: bare prefix includes other families", "type=smtp*", ["1", "2", "6", "7"]],
  ["type: comma list = any", "type=imap.login,file.*", ["3", "5"]],
  ["type: * matches everything", "type=*", ["1", "2", "3", "4", "5", "6", "7"]],
  ["type: empty list items ignored", "type=,imap.login,", ["3"]],
  ["type: AND with key filters", "type=smtp.*&remote-ip=203", ["6"]],
  ["repeated parameter: last wins", "filter=alice&filter=mx1", ["4"]],
  ["repeated parameter: last empty means absent", "filter=alice&filter=", ["1", "2", "3", "4", "5", "6", "7"]],
  ["empty value ignored", "remote-ip=", ["1", "2", "3", "4", "5", "6", "7"]],
  ["reserved: token is not a key filter", "token=abc", ["1", "2", "3", "4", "5", "6", "7"]],
  ["reserved: lastEventId is not a key filter", "lastEventId=1-1", ["1", "2", "3", "4", "5", "6", "7"]],
  ["key filter on a key named like a prototype member", "constructor=f", []],
  ["digits in names", "listener-id=smtp", ["1"]],
];

describe("compileFilter", () => {
  it.each(CASES)("%s (?%s)", (_name, query, expected) => {
    const f = compileFilter(new URLSearchParams(query));
    if (isFilterError(f)) throw new Error(f.details);
    expect(ids(f)).toEqual(expected);
  });

  it.each(CASES)("a record gives the same result: %s", (_name, query, expected) => {
    // Records as fastify's parser gives them: repeated names become arrays.
    const record: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(query)) {
      const prev = record[k];
      record[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
    }
    const f = compileFilter(record);
    if (isFilterError(f)) throw new Error(f.details);
    expect(ids(f)).toEqual(expected);
  });

  it.each([
    ["camelCase name", "remoteIp=1"],
    ["underscore", "remote_ip=1"],
    ["leading dash", "-ip=1"],
    ["double dash", "remote--ip=1"],
    ["trailing dash", "remote-=1"],
    ["uppercase", "IP=1"],
    ["empty name", "=1"],
    ["too long", `${"a".repeat(200)}=1`],
  ])("rejects a bad parameter name: %s", (_name, query) => {
    const f = compileFilter(new URLSearchParams(query));
    expect(isFilterError(f)).toBe(true);
    if (isFilterError(f)) {
      expect(f.error).toBe("invalid parameter");
      expect(f.details).toMatch(/kebab-case/);
    }
  });

  it("ignores a bad name whose value is empty (an empty parameter is absent)", () => {
    expect(isFilterError(compileFilter(new URLSearchParams("Bad_Name=")))).toBe(false);
  });

  it("says when it has no condition, so callers can skip the predicate", () => {
    const all = compileFilter(new URLSearchParams("token=x&filter="));
    const some = compileFilter(new URLSearchParams("type=a"));
    expect(!isFilterError(all) && all.matchesAll).toBe(true);
    expect(!isFilterError(some) && some.matchesAll).toBe(false);
  });

  it("exposes normalised conditions", () => {
    const f = compileFilter(new URLSearchParams("remote-ip=1&type=a.*,b&filter=x"));
    expect(!isFilterError(f) && f.conditions).toEqual({ filter: "x", types: { exact: ["b"], prefixes: ["a."] }, keys: { remoteIp: "1" } });
  });

  it("takes names as data keys in data mode (configs)", () => {
    const f = compileFilter({ remoteIp: "203" }, { keyNames: "data" });
    if (isFilterError(f)) throw new Error(f.details);
    expect(ids(f)).toEqual(["6"]);
  });

  it("takes the last element of an array value and skips undefined", () => {
    const f = compileFilter({ user: ["bob", "alice"], domain: undefined });
    if (isFilterError(f)) throw new Error(f.details);
    expect(ids(f)).toEqual(["3"]);
  });

  it("does not recurse without bound into deep or cyclic data", () => {
    const cyclic: Record<string, unknown> = { a: "x" };
    cyclic.self = cyclic;
    let deep: unknown = "needle";
    for (let i = 0; i < MAX_SEARCH_DEPTH + 10; i++) deep = [deep];
    const f = compileFilter(new URLSearchParams("filter=needle"));
    if (isFilterError(f)) throw new Error(f.details);
    expect(f.predicate(ev("c", "t.t", cyclic))).toBe(false);
    expect(f.predicate(ev("d", "t.t", { deep }))).toBe(false);
    expect(f.predicate(ev("s", "t.t", { shallow: [[["needle"]]] }))).toBe(true);
  });
});
