import { describe, expect, it } from "vitest";
import { isLoopback, parseAddress } from "./address.js";

describe("addresses", () => {
  it.each([
    ["127.0.0.1:8080", { host: "127.0.0.1", port: 8080 }],
    ["[::1]:0", { host: "::1", port: 0 }],
    ["localhost:5514", { host: "localhost", port: 5514 }],
  ])("parses %s", (a, hp) => expect(parseAddress(a)).toEqual(hp));
  it.each(["8080", "127.0.0.1", "127.0.0.1:99999", "[nothost]:1", "::1:80"])("rejects %s with a message", (a) => {
    expect(typeof parseAddress(a)).toBe("string");
  });
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["::1", true],
    ["localhost", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["192.0.2.1", false],
    ["::", false],
  ])("%s loopback: %s", (h, ok) => expect(isLoopback(h)).toBe(ok));
});
