import { describe, expect, it } from "vitest";
import { lineToEvent, recordToEvent, toEventType } from "./record.js";

describe("recordToEvent (CONTRACT 1 JSON records)", () => {
  it("lifts a string type and a valid createdAt out of data, keeps the rest", () => {
    expect(recordToEvent({ type: "app.login", createdAt: "2026-01-01T00:00:00Z", user: "ana", n: 1 }, { defaultType: "file.line" })).toEqual({
      type: "app.login",
      createdAt: "2026-01-01T00:00:00.000Z",
      data: { user: "ana", n: 1 },
    });
  });
  it("falls back to timestamp, and keeps an invalid createdAt as data", () => {
    expect(recordToEvent({ createdAt: "soon", timestamp: "2026-01-01T00:00:00.250Z" }, { defaultType: "x.y" })).toEqual({
      type: "x.y",
      createdAt: "2026-01-01T00:00:00.250Z",
      data: { createdAt: "soon" },
    });
  });
  it("keeps a non-string type as data and uses the default type", () => {
    expect(recordToEvent({ type: 5 }, { defaultType: "webhook.event", extra: { remoteIp: "127.0.0.1" } })).toEqual({
      type: "webhook.event",
      data: { type: 5, remoteIp: "127.0.0.1" },
    });
  });
  it.each([
    ["PushEvent", "push-event"],
    ["App Login", "app-login"],
    ["github.PullRequest", "github.pull-request"],
    ["***", undefined],
    ["smtp.rcpt-to", "smtp.rcpt-to"],
  ])("folds type %s to %s", (input, out) => expect(toEventType(input)).toBe(out));
});

describe("lineToEvent", () => {
  it("treats JSON object lines as records and anything else as text", () => {
    expect(lineToEvent('{"type":"a.b","k":1}', { defaultType: "stdin.line" })).toEqual({ type: "a.b", data: { k: 1 } });
    expect(lineToEvent("[1,2]", { defaultType: "stdin.line" })).toEqual({ type: "stdin.line", data: { message: "[1,2]" } });
    expect(lineToEvent("{not json", { defaultType: "stdin.line", extra: { path: "/x" } })).toEqual({ type: "stdin.line", data: { message: "{not json", path: "/x" } });
  });
});
