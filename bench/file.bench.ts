/**
 * File source throughput: one big file of 200-byte lines, 100 small files being appended to,
 * checkpoint overhead, and the big file through the whole pipeline into the blackhole sink.
 * Run with `npm run build && node dist-test/bench/file.bench.js` (one process: one core for the
 * reading). Bounded: fixed line counts, temp files removed at the end.
 */
import "reflect-metadata";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { asyncScheduler } from "rxjs";
import type { Source } from "../core/index.js";
import { createPlugin, MetricsRegistry } from "../core/testing.js";
import { FileCheckpointStore } from "../core/state/checkpoints.js";
import { PluginRegistry } from "../core/registry.js";
import { loadConfigObject } from "../core/config/index.js";
import { registerProcessMetrics } from "../core/metrics/registry.js";
import { HttpServerPool } from "../core/http/pool.js";
import { Pipeline } from "../core/pipeline/pipeline.js";
import { builtinPlugins } from "../plugins/index.js";
import fileSource from "../plugins/sources/file/index.js";

const BIG_LINES = Number(process.env.BENCH_LINES ?? 500_000);
const SMALL_FILES = 100;
const SMALL_ROUNDS = 5;
const SMALL_LINES_PER_ROUND = 1000;

/** A 200-byte line (199 characters and the newline), numbered so no two are alike. */
const line = (i: number): string => {
  const head = `2026-11-24T11:50:00.123Z INFO app[42]: request ${i} served `;
  return head + "x".repeat(199 - head.length) + "\n";
};

function writeBig(path: string, lines: number): void {
  const chunk = 10_000;
  writeFileSync(path, "");
  for (let i = 0; i < lines; i += chunk) {
    let s = "";
    for (let j = i; j < Math.min(lines, i + chunk); j++) s += line(j);
    appendFileSync(path, s);
  }
}

/** Starts a file source on `include`; resolves the lines/s once `expected` lines arrived. */
async function tailUntil(dir: string, options: Record<string, unknown>, expected: number, dataDir = join(dir, "data")): Promise<{ seconds: number; source: Source }> {
  const { plugin } = createPlugin(fileSource, { readFrom: "beginning", ...options }, { dataDir, logger: pino({ level: "silent" }), metrics: new MetricsRegistry() });
  const source = plugin as Source;
  let seen = 0;
  const t0 = process.hrtime.bigint();
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const sub = source.events().subscribe(() => {
    if (++seen === expected) resolveAll();
  });
  await all;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  source.drain?.();
  sub.unsubscribe();
  return { seconds, source };
}

async function bigFile(dir: string, checkpointIntervalMs: number): Promise<number> {
  const { seconds } = await tailUntil(dir, { include: [join(dir, "big.log")], checkpointIntervalMs }, BIG_LINES, join(dir, `data-${checkpointIntervalMs}`));
  return BIG_LINES / seconds;
}

/** 100 files appended to in rounds; the time counted is from each round's last write until every line was read. */
async function smallFiles(dir: string): Promise<number> {
  const sub = join(dir, "small");
  const { plugin } = createPlugin(fileSource, { include: [join(sub, "*.log")], readFrom: "beginning", pollIntervalMs: 50, globIntervalMs: 200 }, {
    dataDir: join(dir, "data-small"),
    logger: pino({ level: "silent" }),
    metrics: new MetricsRegistry(),
  });
  const source = plugin as Source;
  rmSync(sub, { recursive: true, force: true });
  mkdirSync(sub);
  for (let f = 0; f < SMALL_FILES; f++) writeFileSync(join(sub, `f${f}.log`), "");
  let seen = 0;
  const subscription = source.events().subscribe(() => seen++);
  await new Promise((r) => setTimeout(r, 500)); // let it find the files
  let reading = 0;
  let written = 0;
  for (let round = 0; round < SMALL_ROUNDS; round++) {
    for (let f = 0; f < SMALL_FILES; f++) {
      let s = "";
      for (let j = 0; j < SMALL_LINES_PER_ROUND; j++) s += line(written++);
      appendFileSync(join(sub, `f${f}.log`), s);
    }
    const t0 = process.hrtime.bigint();
    for (let waited = 0; seen < written && waited < 30_000; waited += 1) await new Promise((r) => setImmediate(r));
    reading += Number(process.hrtime.bigint() - t0) / 1e9;
  }
  if (seen !== written) throw new Error(`read ${seen} of ${written} lines`);
  source.drain?.();
  subscription.unsubscribe();
  return written / reading;
}

async function checkpointWrite(dir: string): Promise<number> {
  const store = new FileCheckpointStore(join(dir, "data-cp"));
  const files = Array.from({ length: SMALL_FILES }, (_, i) => ({
    path: `/var/log/app/f${i}.log`,
    dev: "65024",
    ino: String(2_000_000 + i),
    fingerprint: "e10d4cd70d5f04c7125b7e06c2898253b5890c89",
    fingerprintBytes: 1024,
    offset: 123_456_789,
    tail: "ZSI6ImFwcC54IiwibiI6MX0KdHdvdGhyZWUKZm91cgo=",
  }));
  const n = 50;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await store.write("files", { version: 1, files });
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

async function pipelineBig(dir: string): Promise<number> {
  const registry = new PluginRegistry().register(...builtinPlugins);
  const config = await loadConfigObject(
    { sources: { tail: { type: "file", include: [join(dir, "big.log")], readFrom: "beginning" } }, sinks: { hole: { type: "blackhole", inputs: ["tail"] } } },
    registry,
    { baseDir: dir },
  );
  const logger = pino({ level: "silent" });
  const metrics = new MetricsRegistry();
  registerProcessMetrics(metrics, () => Date.now());
  const pipeline = new Pipeline(config, { logger, metrics, scheduler: asyncScheduler, http: new HttpServerPool(logger), dataDir: join(dir, "data-pipeline") });
  const t0 = process.hrtime.bigint();
  await pipeline.start();
  const received = metrics.counter("events.received");
  while (received.value < BIG_LINES) await new Promise((r) => setTimeout(r, 5));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await pipeline.stop();
  return BIG_LINES / seconds;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "livetap-file-bench-"));
  try {
    writeBig(join(dir, "big.log"), BIG_LINES);
    const mb = (BIG_LINES * 200) / 1e6;
    console.log(`file source, node ${process.version}; big file: ${BIG_LINES.toLocaleString("en")} lines of 200 bytes (${mb} MB)`);
    console.log("| case | lines/s |\n|---|---:|");
    const fmt = (n: number) => Math.round(n).toLocaleString("en");
    const big = await bigFile(dir, 1000);
    console.log(`| one big file, source alone (checkpoint every 1 s) | ${fmt(big)} (${((big * 200) / 1e6).toFixed(0)} MB/s) |`);
    const bigCp = await bigFile(dir, 10);
    console.log(`| one big file, checkpoint every 10 ms | ${fmt(bigCp)} (${(100 * (1 - bigCp / big)).toFixed(1)}% slower) |`);
    console.log(`| one big file -> pipeline -> blackhole sink | ${fmt(await pipelineBig(dir))} |`);
    console.log(`| ${SMALL_FILES} small files appended in rounds of ${SMALL_LINES_PER_ROUND} lines each | ${fmt(await smallFiles(dir))} |`);
    console.log(`\ncheckpoint write (${SMALL_FILES} files; temp file, fsync, rename, directory fsync): ${(await checkpointWrite(dir)).toFixed(2)} ms each`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
