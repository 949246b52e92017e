/**
 * Delivery acknowledgements of the file source end to end (CONTRACT 7), with real livetap
 * processes: (1) into the file sink, killed with SIGKILL three times while a writer appends
 * numbered lines: nothing is lost, and what is delivered twice is what was in flight at the
 * kills; (2) into a sink that never confirms: the checkpoint never passes the first
 * unconfirmed line, reading stops at maxPendingEvents, and memory stays bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "./support/until.js";
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { livetap, tempDir, writeConfig, type Run } from "./cli/harness.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The saved offset of `path` in the source's checkpoint, undefined while there is none. */
function checkpointOffset(dataDir: string, source: string, path: string): number | undefined {
  const file = join(dataDir, "sources", source, "files.json");
  if (!existsSync(file)) return undefined;
  const cp = JSON.parse(readFileSync(file, "utf8")) as { files: { path: string; offset: number }[] };
  return cp.files.find((f) => f.path === path)?.offset;
}

/** RSS of a process in bytes (Linux /proc). */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(kb?.[1] ?? 0) * 1024;
}

describe("file source delivery end to end", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("livetap-file-delivery-");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("file -> file sink, kill -9 three times: nothing lost, duplicates only what was in flight at the kills", async () => {
    const log = join(dir, "app.log");
    const out = join(dir, "out.jsonl");
    const dataDir = join(dir, "data1");
    writeFileSync(log, "");
    const config = writeConfig(
      dir,
      {
        dataDir,
        // Duplicates after a kill are the lines in flight: read but not yet confirmed, or confirmed
        // since the last checkpoint write (at most checkpointIntervalMs ago).
        sources: { tail: { type: "file", include: [log], readFrom: "beginning", pollIntervalMs: 50, checkpointIntervalMs: 25 } },
        sinks: { out: { type: "file", inputs: ["tail"], path: out } },
      },
      "kill.json",
    );
    /** seq -> offsets at which it was delivered, read from the sink's output. */
    const deliveries = (): { seq: number; offset: number }[] => {
      if (!existsSync(out)) return [];
      const got: { seq: number; offset: number }[] = [];
      for (const m of readFileSync(out, "utf8").matchAll(/"message":"seq=(\d+) [^"]*","path":"[^"]*","offset":(\d+)/g)) got.push({ seq: Number(m[1]), offset: Number(m[2]) });
      return got;
    };
    const start = async (): Promise<Run> => {
      const run = livetap(["run", "--config", config], { cwd: dir });
      await run.waitFor("running sources", 20_000, "stderr");
      return run;
    };

    const KILLS = 3;
    const BURST = 20;
    let seq = 0;
    const write = () => {
      let chunk = "";
      for (let i = 0; i < BURST; i++, seq++) chunk += `seq=${seq} ${"x".repeat(40 + (seq % 40))}\n`;
      appendFileSync(log, chunk);
    };
    let run = await start();
    const inFlight: number[] = [];
    for (let k = 0; k <= KILLS; k++) {
      // Write for a while under this run, then kill it mid-stream.
      for (let i = 0; i < 120; i++) {
        write();
        await sleep(15);
      }
      if (k === KILLS) break;
      // At a random moment of the sink's flush cycle (flushIntervalMs 100) and of the checkpoint's.
      await sleep(Math.random() * 150);
      run.child.kill("SIGKILL");
      await run.exited;
      // What this restart reads again: lines delivered before the kill at or past the saved position.
      const saved = checkpointOffset(dataDir, "tail", log) ?? 0;
      inFlight.push(new Set(deliveries().filter((d) => d.offset >= saved).map((d) => d.seq)).size);
      write();
      run = await start();
    }
    await until(() => new Set(deliveries().map((d) => d.seq)).size >= seq, `all ${seq} lines delivered`, 30_000, 25);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);

    const counts = new Map<number, number>();
    for (const d of deliveries()) counts.set(d.seq, (counts.get(d.seq) ?? 0) + 1);
    const missing = Array.from({ length: seq }, (_, i) => i).filter((i) => !counts.has(i));
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    const bound = Math.ceil(0.05 * seq);
    console.log(
      `file delivery e2e: ${seq} lines, ${KILLS} kill -9 restarts: ${missing.length} missing, ${duplicates} duplicates (${((100 * duplicates) / seq).toFixed(1)}%), ` +
        `in flight at the kills ${inFlight.join(" + ")} = ${inFlight.reduce((a, b) => a + b, 0)}; bound checked: duplicates <= in flight and < 5% (${bound})`,
    );
    expect(missing).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(inFlight.reduce((a, b) => a + b, 0));
    expect(duplicates).toBeLessThan(bound);
  }, 120_000);

  it("file -> a sink that never confirms: the checkpoint stays at the first unconfirmed line, reading stops at maxPendingEvents, memory stays bounded", async () => {
    const log = join(dir, "held.log");
    const status = join(dir, "status.json");
    const dataDir = join(dir, "data2");
    const MAX_PENDING = 1000;
    const CONFIRMED = 10;
    const line = (i: number) => `seq=${i} ${"y".repeat(200)}\n`;
    const firstLines = Array.from({ length: CONFIRMED }, (_, i) => line(i)).join("");
    writeFileSync(log, firstLines);
    const config = writeConfig(
      dir,
      {
        plugins: [resolve(import.meta.dirname, "fixtures/never-confirm-sink.mjs")],
        dataDir,
        sources: { tail: { type: "file", include: [log], readFrom: "beginning", pollIntervalMs: 50, checkpointIntervalMs: 100, maxPendingEvents: MAX_PENDING } },
        sinks: { held: { type: "never-confirm", inputs: ["tail"], statusFile: status, confirmFirst: CONFIRMED, statusEveryMs: 50 } },
      },
      "held.json",
    );
    const counts = () => (existsSync(status) ? (JSON.parse(readFileSync(status, "utf8")) as { received: number; confirmed: number }) : undefined);
    const run = livetap(["run", "--config", config], { cwd: dir });
    await run.waitFor("running sources", 20_000, "stderr");
    const pid = run.child.pid!;
    // The first lines are one read, one batch, confirmed: the checkpoint covers them.
    await until(() => checkpointOffset(dataDir, "tail", log) === Buffer.byteLength(firstLines), "the confirmed lines checkpointed", 20_000, 25);
    const before = rss(pid);

    // 200,000 more lines (about 42 MB): far more than maxPendingEvents.
    const LINES = 200_000;
    for (let from = CONFIRMED; from < CONFIRMED + LINES; from += 10_000) appendFileSync(log, Array.from({ length: 10_000 }, (_, i) => line(from + i)).join(""));
    await until(() => (counts()?.received ?? 0) >= CONFIRMED + MAX_PENDING, "the source to read up to maxPendingEvents", 20_000, 25);
    // Many poll intervals later it still has not read further.
    await sleep(1500);
    const got = counts()!;
    const after = rss(pid);
    console.log(
      `never-confirm e2e: ${got.received} lines taken of ${CONFIRMED + LINES} (maxPendingEvents ${MAX_PENDING}, ${got.confirmed} confirmed); ` +
        `RSS ${(before / 2 ** 20).toFixed(0)} MiB -> ${(after / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(got).toEqual({ received: CONFIRMED + MAX_PENDING, confirmed: CONFIRMED });
    expect(checkpointOffset(dataDir, "tail", log)).toBe(Buffer.byteLength(firstLines));
    // Reading the file whole would hold ~42 MB of lines as events (several times that in memory).
    expect(after - before).toBeLessThan(40 * 2 ** 20);

    // A graceful stop saves what is settled: still nothing past the first unconfirmed line.
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
    expect(checkpointOffset(dataDir, "tail", log)).toBe(Buffer.byteLength(firstLines));
  }, 120_000);
});
