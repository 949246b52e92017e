/**
 * End to end: a real livetap process tails files into the file sink while a writer appends
 * sequence-numbered lines and the files rotate by rename, by copytruncate, and are deleted and
 * recreated, and livetap is killed with SIGKILL at random moments and started again. Every
 * sequence number must reach the output (loss fails); duplicates are counted and printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { until } from "./support/until.js";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "dist/core/cli/main.js");
/** How long the writer writes; the whole test stays under a minute. */
const WRITE_MS = 15_000;
const LINE_EVERY_MS = 4;
const KILLS = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a seeded generator, so a failing run can be repeated with LIVETAP_E2E_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** dist/ must hold this checkout's file source: build it when missing or older than the sources (tsc emits despite others' type errors). */
function ensureBuilt(): void {
  const src = join(ROOT, "plugins/sources/file");
  const out = join(ROOT, "dist/plugins/sources/file");
  const stale =
    !existsSync(CLI) ||
    readdirSync(src)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .some((f) => {
        const js = join(out, f.replace(/\.ts$/, ".js"));
        return !existsSync(js) || statSync(js).mtimeMs < statSync(join(src, f)).mtimeMs;
      });
  if (stale) spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "ignore" });
  if (!existsSync(join(out, "index.js")) || !existsSync(CLI)) throw new Error("dist/ is not built: run `npm run build`");
}

describe("file source end to end", () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "livetap-tail-e2e-"));
  });
  afterAll(() => {
    if (process.env.LIVETAP_E2E_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });

  it("loses no line through rename and copytruncate rotation, delete + recreate, and kill -9 restarts", async () => {
    const seed = Number(process.env.LIVETAP_E2E_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    const logs = join(dir, "logs");
    mkdirSync(logs);
    const out = join(dir, "out.jsonl");
    const config = join(dir, "livetap.json");
    writeFileSync(
      config,
      JSON.stringify({
        dataDir: join(dir, "data"),
        sources: {
          tail: {
            type: "file",
            // app.log is rotated out of the globs by rename; ct.log's copies stay inside them (copytruncate needs that).
            include: [join(logs, "app.log"), join(logs, "ct.log*"), join(logs, "del.log")],
            readFrom: "beginning",
            pollIntervalMs: 100,
            globIntervalMs: 250,
            checkpointIntervalMs: 500,
            rotateWaitMs: 2000,
          },
        },
        sinks: { out: { type: "file", inputs: ["tail"], path: out } },
      }),
    );

    let stderr = "";
    /** When the current process said it runs (its pipeline connected), else undefined. */
    let runningAt: number | undefined;
    const startLivetap = (): ChildProcess => {
      runningAt = undefined;
      const c = spawn(process.execPath, [CLI, "run", "--config", config, "--log-level", process.env.LIVETAP_E2E_LOG_LEVEL ?? "info"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      c.stderr!.setEncoding("utf8").on("data", (d: string) => {
        stderr = (stderr + d).slice(-20_000);
        if (runningAt === undefined && d.includes("running sources")) runningAt = Date.now();
        if (process.env.LIVETAP_E2E_KEEP) appendFileSync(join(dir, "livetap.log"), d);
      });
      return c;
    };
    const exited = (c: ChildProcess) => new Promise<number | string>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode ?? c.signalCode!) : c.once("exit", (code, sig) => r(code ?? sig ?? -1))));
    const delivered = (): Set<number> => {
      const seen = new Set<number>();
      if (!existsSync(out)) return seen;
      for (const m of readFileSync(out, "utf8").matchAll(/"message":"seq=(\d+) /g)) seen.add(Number(m[1]));
      return seen;
    };

    let child = startLivetap();
    // The first start must have found the files before they rotate: a file renamed away before
    // any run saw it cannot be found by any tailer. Later runs find it through the checkpoint.
    await until(() => runningAt !== undefined, "livetap to start", 20_000, 20).catch((e: Error) => {
      throw new Error(`${e.message}:\n${stderr}`);
    });
    await sleep(300);
    /** Each run is killed at a random moment 0.8 to 2 s after it started running. */
    let killAfter = 800 + random() * 1200;
    const files = ["app.log", "ct.log", "del.log"];
    const lastSeqOf = new Map<string, number>();
    let seq = 0;
    let renames = 0;
    let copytruncates = 0;
    let recreates = 0;
    let restarts = 0;
    let nextRename = 2500;
    let nextCopy = 3500;
    let nextDelete = 4500;
    const t0 = Date.now();
    // Write for WRITE_MS, longer if a slow machine has not had every restart yet (at most 2x).
    for (let elapsed = 0; elapsed < WRITE_MS || (restarts < KILLS && elapsed < 2 * WRITE_MS); elapsed = Date.now() - t0) {
      const name = files[seq % files.length];
      appendFileSync(join(logs, name), `seq=${seq} file=${name} ${"x".repeat(10 + (seq % 50))} end=${seq}\n`);
      lastSeqOf.set(name, seq);
      seq++;
      // A file created and renamed out of the globs while no livetap ran can be found by no
      // tailer: rename only under a run that has had time to see the current file.
      if (elapsed >= nextRename && runningAt !== undefined && Date.now() - runningAt >= 700) {
        nextRename = elapsed + 2500 + random() * 1000;
        renames++;
        renameSync(join(logs, "app.log"), join(logs, `app.log.${renames}`));
      }
      if (elapsed >= nextCopy) {
        nextCopy = elapsed + 3000 + random() * 1000;
        copytruncates++;
        copyFileSync(join(logs, "ct.log"), join(logs, `ct.log.${copytruncates}`));
        truncateSync(join(logs, "ct.log"), 0);
      }
      if (elapsed >= nextDelete && existsSync(join(logs, "del.log"))) {
        nextDelete = elapsed + 4000 + random() * 1000;
        // Lines of a file deleted before any tailer read them are gone for every tailer; what
        // is tested is that the recreated file is a new one, and that nothing else is lost.
        const last = lastSeqOf.get("del.log")!;
        await until(() => delivered().has(last), `seq ${last} delivered`, 10_000, 50).catch(() => undefined);
        unlinkSync(join(logs, "del.log"));
        recreates++;
      }
      if (restarts < KILLS && runningAt !== undefined && Date.now() - runningAt >= killAfter) {
        killAfter = 800 + random() * 1200;
        child.kill("SIGKILL");
        await exited(child);
        await sleep(random() * 400);
        child = startLivetap();
        restarts++;
      }
      await sleep(LINE_EVERY_MS);
    }

    // Let it catch up, then stop it the way a user does.
    await until(() => delivered().size >= seq, "every line delivered", 15_000, 100).catch(() => undefined);
    child.kill("SIGINT");
    expect(await exited(child)).toBe(0);

    const counts = new Map<number, number>();
    for (const m of readFileSync(out, "utf8").matchAll(/"message":"seq=(\d+) /g)) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
    const missing = Array.from({ length: seq }, (_, i) => i).filter((i) => !counts.has(i));
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    console.log(
      `file tail e2e (seed ${seed}): ${seq} lines written, ${renames} renames, ${copytruncates} copytruncates, ${recreates} delete+recreate, ` +
        `${restarts} kill -9 restarts: ${missing.length} missing, ${duplicates} duplicates (${((100 * duplicates) / seq).toFixed(1)}%)`,
    );
    if (missing.length > 0) console.log(`missing: ${missing.slice(0, 50).join(", ")}\nlivetap stderr (tail):\n${stderr.slice(-5000)}`);
    expect(restarts).toBe(KILLS);
    expect(missing).toEqual([]);
  }, 90_000);
});
