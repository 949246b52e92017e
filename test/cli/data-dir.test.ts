import { appendFileSync, existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { livetap, tempDir, writeConfig } from "./harness.js";

/** A file source (the component that keeps checkpoints) into a blackhole, state in `dataDir`. */
function fileConfig(dir: string, dataDir: string): string {
  const log = join(dir, "app.log");
  writeFileSync(log, "one\ntwo\n");
  return writeConfig(dir, {
    dataDir,
    sources: { app: { type: "file", include: [join(dir, "*.log")], readFrom: "beginning", checkpointIntervalMs: 100 } },
    sinks: { out: { type: "blackhole", inputs: ["app"] } },
  });
}

describe("an unusable dataDir", () => {
  it.runIf(existsSync("/proc/1"))("is a startup problem naming dataDir, for validate and run, which exit at once (no spinning mkdir)", async () => {
    const file = fileConfig(tempDir(), "/proc/1/livetap");
    const expected = 'dataDir: "/proc/1/livetap" is not usable: cannot create /proc/1/livetap (ENOENT, no such file or directory); sources.app keeps checkpoints there (set "dataDir" to a writable directory)\n';
    const v = livetap(["validate", "--config", file]);
    expect(await v.exited).toBe(1);
    expect(v.stderr()).toBe(expected);
    const r = livetap(["run", "--config", file, "--log-format", "json"]);
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toContain(expected);
  });

  it("names the file in the way of a dataDir under it", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "passwd"), "root:x:0:0\n");
    const v = livetap(["validate", "--config", fileConfig(dir, "./passwd/sub")]);
    expect(await v.exited).toBe(1);
    expect(v.stderr()).toBe(
      `dataDir: "${join(dir, "passwd", "sub")}" is not usable: cannot create ${join(dir, "passwd", "sub", "sources", "app")}: ${join(dir, "passwd")} is a file, not a directory; ` +
        'sources.app keeps checkpoints there (set "dataDir" to a writable directory)\n',
    );
  });

  it("does not matter to a config without components that keep state", async () => {
    const file = writeConfig(tempDir(), { dataDir: "/proc/1/livetap", sources: { d: { type: "demo" } }, sinks: { b: { type: "blackhole", inputs: ["d"] } } });
    const v = livetap(["validate", "--config", file]);
    expect(await v.exited).toBe(0);
    expect(v.stdout()).toBe("config OK\n");
  });

  it("going away while running: warned, retried with backoff, and Ctrl-C still exits after 'stopped cleanly'", async () => {
    const dir = tempDir();
    const state = join(dir, "state");
    const r = livetap(["run", "--config", fileConfig(dir, "./state"), "--log-format", "json"]);
    await r.waitFor("press Ctrl-C to stop");
    const checkpoints = join(state, "sources", "app");
    await waitUntil(() => existsSync(checkpoints) && readdirSync(checkpoints).some((f) => f.endsWith(".json")));
    rmSync(state, { recursive: true });
    writeFileSync(state, "now a file");
    appendFileSync(join(dir, "app.log"), "three\n");
    await r.waitFor("cannot write the checkpoint");
    r.child.kill("SIGINT");
    expect(await r.exited).toBe(0);
    expect(r.stderr()).toContain("stopped cleanly");
  });
});

async function waitUntil(ok: () => boolean, ms = 10_000): Promise<void> {
  for (const until = Date.now() + ms; !ok(); ) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
