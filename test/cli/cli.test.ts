import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { livetap, ROOT, tempDir, writeConfig } from "./harness.js";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

describe("livetap CLI", () => {
  it("--version prints the package version, --help lists the commands", async () => {
    const v = livetap(["--version"]);
    expect(await v.exited).toBe(0);
    expect(v.stdout().trim()).toBe(pkg.version);
    const h = livetap(["--help"]);
    expect(await h.exited).toBe(0);
    for (const cmd of ["run", "validate", "tap", "hash-password"]) expect(h.stdout()).toContain(cmd);
  });

  it("validate prints `config OK` for a valid config", async () => {
    const r = livetap(["validate", "--config", "examples/demo-to-console.json"]);
    expect(await r.exited).toBe(0);
    expect(r.stdout()).toBe("config OK\n");
  });

  it("validate lists a typo'd option, a missing input and an unknown type, each with its path, and exits 1", async () => {
    const dir = tempDir();
    const file = writeConfig(dir, {
      sources: { demo: { type: "demo", rat: 5 } },
      operators: {},
      sinks: {
        out: { type: "consol", inputs: ["demo"] },
        archive: { type: "file", inputs: ["dmeo"], path: join(dir, "out.jsonl") },
      },
    });
    const r = livetap(["validate", "--config", file]);
    expect(await r.exited).toBe(1);
    const lines = r.stderr().trim().split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sources\.demo\.rat: unknown option \(did you mean "rate"\?\)/),
        expect.stringMatching(/^sinks\.out\.type: unknown sink type "consol"/),
        expect.stringMatching(/^sinks\.archive\.inputs\[0\]: no component named "dmeo" \(did you mean "demo"\?\)/),
      ]),
    );
    expect(lines).toHaveLength(3);
    expect(r.stdout()).toBe("");
  });

  it("reports invalid JSON with its line and column", async () => {
    const dir = tempDir();
    const file = writeConfig(dir, '{\n  "sources": {\n    "demo": { "type": "demo", }\n  }\n}\n');
    const r = livetap(["validate", "--config", file]);
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(/line 3, column \d+/);
    expect(r.stderr()).not.toMatch(/\n\s+at /); // no stack trace without --debug
  });

  it("reports a missing environment variable at its path", async () => {
    const dir = tempDir();
    const file = writeConfig(dir, { sources: { demo: { type: "demo" } }, sinks: { f: { type: "file", inputs: ["demo"], path: "${LIVETAP_TEST_UNSET_VAR}" } } });
    const r = livetap(["validate", "--config", file], { env: { LIVETAP_TEST_UNSET_VAR: undefined } });
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(/^sinks\.f\.path: environment variable "LIVETAP_TEST_UNSET_VAR" is not set/m);
  });

  it("says which plugin module failed to load and why", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "broken.mjs"), "export default {;\n");
    const file = writeConfig(dir, { plugins: ["./broken.mjs", "./missing.mjs"], sources: { demo: { type: "demo" } }, sinks: { out: { type: "console", inputs: ["demo"] } } });
    const r = livetap(["validate", "--config", file]);
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(/^plugins\[0\]: .*broken\.mjs.*/m);
    expect(r.stderr()).toMatch(/^plugins\[1\]: .*missing\.mjs.*/m);
  });

  it("runs as a batch job: stdin to a file sink, exits 0 at EOF with every event written", async () => {
    const dir = tempDir();
    const out = join(dir, "out.jsonl");
    const file = writeConfig(dir, { sources: { in: { type: "stdin" } }, sinks: { archive: { type: "file", inputs: ["in"], path: out } } });
    const lines = [...Array.from({ length: 500 }, (_, i) => JSON.stringify({ type: "app.tick", n: i })), "plain text line"];
    const r = livetap(["run", "--config", file], { input: `${lines.join("\n")}\n` });
    expect(await r.exited).toBe(0);
    const events = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown>; id: string });
    expect(events).toHaveLength(501);
    expect(events[0]).toMatchObject({ type: "app.tick", data: { n: 0 } });
    expect(events[499].data.n).toBe(499);
    expect(events[500]).toMatchObject({ type: "stdin.line", data: { message: "plain text line" } });
    expect(new Set(events.map((e) => e.id)).size).toBe(501);
  });

  it("Ctrl-C (SIGINT) stops cleanly with everything flushed to the file sink", async () => {
    const dir = tempDir();
    const out = join(dir, "out.jsonl");
    const file = writeConfig(dir, { sources: { demo: { type: "demo", rate: 2000, seed: 7 } }, sinks: { archive: { type: "file", inputs: ["demo"], path: out } } });
    const r = livetap(["run", "--config", file, "--log-format", "json"]);
    await r.waitFor("press Ctrl-C to stop");
    await new Promise((res) => setTimeout(res, 500));
    r.child.kill("SIGINT");
    expect(await r.exited).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const events = text.trim().split("\n").map((l) => JSON.parse(l) as { type: string });
    expect(events.length).toBeGreaterThan(0);
    expect(r.stderr()).toContain("stopped cleanly");
  });

  it("loads a custom plugin from `plugins` and uses it by type", async () => {
    const dir = tempDir();
    const out = join(dir, "out.jsonl");
    const file = writeConfig(dir, {
      plugins: [join(ROOT, "examples/custom-plugin/dist/index.js")],
      sources: { demo: { type: "demo", rate: 1000, seed: 1, count: 50 } },
      operators: { masked: { type: "redact", inputs: ["demo"], fields: ["remoteIp"] } },
      sinks: { archive: { type: "file", inputs: ["masked"], path: out } },
    });
    const r = livetap(["run", "--config", file]);
    expect(await r.exited).toBe(0);
    const events = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { data: { remoteIp?: string } });
    expect(events).toHaveLength(50);
    const ips = events.map((e) => e.data.remoteIp).filter((ip) => ip !== undefined);
    expect(ips.length).toBeGreaterThan(0);
    for (const ip of ips) expect(ip).toMatch(/(\.x|:x)$/);
  });
});

describe("livetap run with no config", () => {
  it("says it runs the built-in default and streams demo events over SSE on 127.0.0.1:8080", async () => {
    const busy = await fetch("http://127.0.0.1:8080/healthz").then(
      () => true,
      () => false,
    );
    if (busy) throw new Error("127.0.0.1:8080 is already in use: stop whatever listens there to run this test");
    const dir = tempDir(); // an empty folder: no livetap.json
    const r = livetap(["run", "--log-format", "json"], { cwd: dir });
    try {
      await r.waitFor("running the built-in default", 20_000, "stderr");
      await r.waitFor("press Ctrl-C to stop", 20_000, "stderr");
      expect(await (await fetch("http://127.0.0.1:8080/healthz")).json()).toEqual({ status: "ok" });
      const controller = new AbortController();
      const res = await fetch("http://127.0.0.1:8080/api/telemetry/traces/live?type=smtp.*", { signal: controller.signal });
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const reader = res.body!.getReader();
      let text = "";
      while (!/event: trace\ndata: (\[.*\])\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      const batch = JSON.parse(/event: trace\ndata: (\[.*\])\n/.exec(text)![1]) as { type: string }[];
      for (const e of batch) expect(e.type).toMatch(/^smtp\./);
    } finally {
      r.child.kill("SIGTERM");
      expect(await r.exited).toBe(0);
    }
  });
});
