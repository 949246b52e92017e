import { describe, expect, it } from "vitest";
import { kebabToCamel } from "./names.js";

describe("kebabToCamel", () => {
  it.each([
    ["remote-ip", "remoteIp"],
    ["listener-id", "listenerId"],
    ["a-b-c", "aBC"],
    ["domain", "domain"],
    ["ip-4", "ip4"],
  ])("%s -> %s", (from, to) => expect(kebabToCamel(from)).toBe(to));
});
