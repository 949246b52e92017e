import { describe, expect, it } from "vitest";
import { livetap, tempDir, writeConfig } from "./harness.js";

// A secret that is too short is reported by option path and length; its value never reaches
// stderr (CI logs, terminals shared on screen).
describe("secrets in problems", () => {
  it("validate names a short sse bearer token and a short webhook hmac secret by path and length, never by value", async () => {
    const dir = tempDir();
    const file = writeConfig(dir, {
      sources: { hooks: { type: "webhook", address: "127.0.0.1:0", auth: { hmac: { secret: "${HOOK_SECRET}" }, bearer: ["${HOOK_TOKEN}"] } } },
      sinks: { live: { type: "sse", inputs: ["hooks"], address: "127.0.0.1:0", auth: { bearer: ["${LIVE_TOKEN}", "has spaces but is long enough"] } } },
    });
    const r = livetap(["validate", "--config", file], { env: { LIVE_TOKEN: "s3cret", HOOK_SECRET: "hm4c-s3cret", HOOK_TOKEN: "t0ken" } });
    expect(await r.exited).toBe(1);
    const err = r.stderr();
    expect(err).toMatch(/sinks\.live\.auth\.bearer\[0\]: bearer token is shorter than 16 characters .*, got 6 characters/);
    expect(err).toMatch(/sinks\.live\.auth\.bearer\[1\]: bearer token must be printable ASCII without spaces .*, got 29 characters/);
    expect(err).toMatch(/sources\.hooks\.auth\.hmac\.secret: hmac secret is shorter than 16 characters .*, got 11 characters/);
    expect(err).toMatch(/sources\.hooks\.auth\.bearer\[0\]: bearer token is shorter than 16 characters .*, got 5 characters/);
    for (const secret of ["s3cret", "hm4c-s3cret", "t0ken", "has spaces"]) expect(err).not.toContain(secret);
  });
});
