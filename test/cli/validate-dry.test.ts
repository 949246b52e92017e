import { describe, expect, it } from "vitest";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { livetap, ROOT, tempDir, writeConfig } from "./harness.js";

/** Every path under `dir` with its size and mtime: what a dry start must leave as it was. */
function snapshot(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => {
      const p = join(d, e.name);
      const s = statSync(p);
      return [`${relative(dir, p)} ${e.isDirectory() ? "dir" : s.size} ${s.mtimeMs}`, ...(e.isDirectory() ? walk(p) : [])];
    });
  return walk(dir).sort();
}

// `livetap validate` dry-starts the pipeline: every startup check, and no file created,
// truncated or written (no output file, no checkpoint).
describe("livetap validate leaves the disk as it was", () => {
  it("checks the example's file sink path without creating ./syslog.jsonl", async () => {
    const dir = tempDir();
    // examples/syslog-live.json on free ports (its fixed ones may be taken on a shared machine).
    const example = readFileSync(join(ROOT, "examples/syslog-live.json"), "utf8").replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:0");
    const file = writeConfig(dir, example);
    const before = snapshot(dir);
    const r = livetap(["validate", "--config", file], { cwd: dir });
    expect(await r.exited, r.stderr()).toBe(0);
    expect(r.stdout()).toBe("config OK\n");
    expect(snapshot(dir)).toEqual(before);
  });

  it("neither truncates an existing output file, nor creates its folders, nor writes checkpoints", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "logs"));
    writeFileSync(join(dir, "logs", "app.log"), "one\ntwo\n");
    writeFileSync(join(dir, "kept.jsonl"), '{"kept":true}\n');
    const file = writeConfig(dir, {
      dataDir: "./state",
      sources: { app: { type: "file", include: ["./logs/*.log"], readFrom: "beginning" } },
      sinks: {
        kept: { type: "file", inputs: ["app"], path: "./kept.jsonl" },
        deep: { type: "file", inputs: ["app"], path: "./out/2026/app.jsonl" },
      },
    });
    const before = snapshot(dir);
    const r = livetap(["validate", "--config", file], { cwd: dir });
    expect(await r.exited, r.stderr()).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    expect(readFileSync(join(dir, "kept.jsonl"), "utf8")).toBe('{"kept":true}\n');
  });

  it("still reports a path that cannot be appended to, at its option path", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "a-folder"));
    writeFileSync(join(dir, "a-file"), "");
    const file = writeConfig(dir, {
      sources: { demo: { type: "demo" } },
      sinks: {
        folder: { type: "file", inputs: ["demo"], path: "./a-folder" },
        below: { type: "file", inputs: ["demo"], path: "./a-file/out.jsonl" },
      },
    });
    const r = livetap(["validate", "--config", file], { cwd: dir });
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(/sinks\.folder\.path: cannot open "\.\/a-folder" for appending: it is a directory/);
    expect(r.stderr()).toMatch(/sinks\.below\.path: cannot open "\.\/a-file\/out\.jsonl" for appending: .*a-file" is not a directory/);
    expect(readFileSync(join(dir, "a-file"), "utf8")).toBe("");
  });
});
