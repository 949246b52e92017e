/**
 * Operator throughput. Two measurements, each a fixed event count, best of 3 rounds:
 *
 * 1. In-process: each built-in operator as a bare RxJS operator function over a synchronous
 *    loop of pre-built demo-like events, against `map(e => e)`. The difference in ns/event is
 *    what the operator itself costs.
 * 2. Pipeline: the same operators in the real Pipeline (stamping, metrics, sharing, a
 *    blackhole sink), against a pass-through operator, as in bench/pipeline.bench.ts.
 *
 * Rates are events per CPU-second of this process (see cpuSeconds).
 * Target (the operators issue): each operator's own cost is under 20% of the per-event cost of
 * the pass-through pipeline. Run with `npm run bench:operators`; BENCH_EVENTS sets the count.
 */
import "reflect-metadata";
import { asyncScheduler, map, Observable, type OperatorFunction } from "rxjs";
import { z } from "zod";
import pino from "pino";
import { defineOperator, defineSink, defineSource, type LiveEvent, type LiveEventInput, type Operator, type PluginDefinition, type Sink, type Source } from "../core/index.js";
import { createPlugin } from "../core/testing.js";
import { PluginRegistry } from "../core/registry.js";
import { loadConfigObject } from "../core/config/index.js";
import { MetricsRegistry, registerProcessMetrics } from "../core/metrics/registry.js";
import { HttpServerPool } from "../core/http/pool.js";
import { Pipeline } from "../core/pipeline/pipeline.js";
import filter from "../plugins/operators/filter/index.js";
import sample from "../plugins/operators/sample/index.js";
import throttle from "../plugins/operators/throttle/index.js";
import metric from "../plugins/operators/metric/index.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ROUNDS = 3;
const TARGET = 0.2;
/** BENCH_PIPELINE=0 skips the pipeline runs (quick in-process numbers only). */
const WITH_PIPELINE = process.env.BENCH_PIPELINE !== "0";

const TYPES = ["smtp.connection-start", "smtp.mail-from", "smtp.rcpt-to", "delivery.completed", "auth.failed"];
const LEVELS = ["info", "info", "info", "warning", "error"];
/** Demo-like payloads, built once so the bench measures operators, not a generator. */
const POOL: LiveEventInput[] = Array.from({ length: 1024 }, (_, i) => ({
  type: TYPES[i % TYPES.length],
  text: "SMTP session event",
  data: {
    remoteIp: `192.0.${(i >> 8) & 3}.${i & 255}`,
    domain: `example${i % 7}.org`,
    sessionId: `s${(i * 7919) % 1021}`,
    size: 1000 + i * 997,
    latencyMs: i % 97,
    listenerId: "smtp",
    level: LEVELS[(i * 31) % LEVELS.length],
  },
}));
/** As core hands them to operators. Built field by field: V8 keeps a spread clone that gained keys on a slow path. */
const STAMPED: LiveEvent[] = POOL.map((p, i) => ({ id: `1764000000000-${i + 1}`, type: p.type, createdAt: "2026-11-24T11:50:00.123Z", text: p.text, data: p.data }));

/** Realistic options per operator: what a user of the demo stream would write. */
const CASES: { name: string; definition: PluginDefinition<"operator">; options: Record<string, unknown> }[] = [
  {
    name: "filter (type + severity + key, exclude)",
    definition: filter as PluginDefinition<"operator">,
    options: { include: { type: "smtp.*,auth.*", severityAtLeast: "warning", keys: { remoteIp: "192.0." } }, exclude: { keys: { domain: "example3" } } },
  },
  { name: "filter (global substring)", definition: filter as PluginDefinition<"operator">, options: { include: { filter: "example5" } } },
  { name: "sample (1 in 10 by key, alwaysKeep err)", definition: sample as PluginDefinition<"operator">, options: { rate: 10, key: "sessionId", hashSeed: 7, alwaysKeep: { severityAtLeast: "err" } } },
  { name: "sample (1 in 10 at random)", definition: sample as PluginDefinition<"operator">, options: { rate: 10, hashSeed: 7 } },
  { name: "throttle (by remoteIp, 1024 keys)", definition: throttle as PluginDefinition<"operator">, options: { threshold: 100, windowSeconds: 1, key: "remoteIp" } },
  { name: "throttle (whole stream)", definition: throttle as PluginDefinition<"operator">, options: { threshold: 1_000_000, windowSeconds: 1 } },
  {
    name: "metric (counter, by-field, histogram)",
    definition: metric as PluginDefinition<"operator">,
    options: {
      counters: [{ id: "bench.auth-failures", where: { type: "auth.failed" } }, { id: "bench.by-domain", field: "domain" }],
      histograms: [{ id: "bench.size", field: "size", where: { type: "smtp.mail-from" } }],
    },
  },
];

/** Emits EVENTS pre-built events synchronously: no scheduling in the way of the operator. */
const syncEvents = new Observable<LiveEvent>((sub) => {
  for (let i = 0; i < EVENTS && !sub.closed; i++) sub.next(STAMPED[i & 1023]);
  sub.complete();
});

function inProcessRate(op: () => OperatorFunction<LiveEvent, LiveEvent>): { rate: number; passed: number } {
  let best = 0;
  let passed = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const t0 = cpuSeconds();
    syncEvents.pipe(op()).subscribe(() => n++);
    const seconds = cpuSeconds() - t0;
    best = Math.max(best, EVENTS / seconds);
    passed = n;
  }
  return { rate: best, passed };
}

/** Emits EVENTS events in chunks, yielding between chunks like a socket source (as bench/pipeline.bench.ts). */
class ChunkSource implements Source {
  events(): Observable<LiveEventInput> {
    return new Observable((sub) => {
      let sent = 0;
      let timer: NodeJS.Immediate | undefined;
      const chunk = () => {
        const end = Math.min(EVENTS, sent + 10_000);
        for (; sent < end; sent++) {
          const p = POOL[sent & 1023];
          sub.next({ type: p.type, text: p.text, data: p.data });
        }
        if (sent < EVENTS) timer = setImmediate(chunk);
        else sub.complete();
      };
      timer = setImmediate(chunk);
      return () => clearImmediate(timer);
    });
  }
}
class PassThrough implements Operator {
  operator() {
    return map((e: LiveEvent) => e);
  }
}
class Hole implements Sink {
  consume(events: Observable<LiveEvent>): Promise<void> {
    return new Promise((resolve, reject) => events.subscribe({ error: reject, complete: resolve }));
  }
}
const Empty = z.strictObject({});
const benchPlugins = [
  defineSource({ type: "bench-chunks", description: "bench source", options: Empty, plugin: ChunkSource }),
  defineOperator({ type: "bench-pass", description: "identity", options: Empty, plugin: PassThrough }),
  defineSink({ type: "bench-hole", description: "discards", options: Empty, plugin: Hole }),
];

async function pipelineRate(type: string, options: Record<string, unknown>): Promise<number> {
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const registry = new PluginRegistry().register(...benchPlugins, filter, sample, throttle, metric);
    const config = await loadConfigObject(
      { sources: { src: { type: "bench-chunks" } }, operators: { op: { type, inputs: ["src"], ...options } }, sinks: { hole: { type: "bench-hole", inputs: ["op"] } } },
      registry,
      { baseDir: process.cwd() },
    );
    const logger = pino({ level: "silent" });
    const metrics = new MetricsRegistry();
    registerProcessMetrics(metrics, () => Date.now());
    const pipeline = new Pipeline(config, { logger, metrics, scheduler: asyncScheduler, http: new HttpServerPool(logger), dataDir: "/tmp/livetap-bench" });
    const t0 = cpuSeconds();
    await pipeline.start();
    await pipeline.done;
    const seconds = cpuSeconds() - t0;
    if (metrics.counter("events.received").value !== EVENTS) throw new Error(`expected ${EVENTS} events`);
    best = Math.max(best, EVENTS / seconds);
  }
  return best;
}

/**
 * CPU time of this process (user + system), not wall time: on a shared machine other jobs
 * stretch wall time at random, while the CPU the operator burns stays put. Single-threaded
 * work, so on an idle machine the two agree (GC helper threads add a little).
 */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const ns = (rate: number) => 1e9 / rate;

async function main() {
  console.log(`operator throughput (events per CPU-second), ${EVENTS.toLocaleString("en")} events per round, best of ${ROUNDS}; node ${process.version}\n`);
  // Without the pipeline runs, the foundation bench's figure stands in (BENCH_PASS_RATE, events/s).
  const passRate = WITH_PIPELINE ? await pipelineRate("bench-pass", {}) : Number(process.env.BENCH_PASS_RATE ?? 1_000_000);
  const budgetNs = ns(passRate) * TARGET;
  console.log(`pipeline with a pass-through operator: ${fmt(passRate)} events/s (${ns(passRate).toFixed(0)} ns/event); target: an operator costs < ${(TARGET * 100).toFixed(0)}% of that = ${budgetNs.toFixed(0)} ns/event\n`);

  const base = inProcessRate(() => map((e: LiveEvent) => e));
  console.log("| operator | passed | in-process events/s | ns/event | own cost ns/event | % of pipeline pass-through | target | in pipeline events/s |");
  console.log("|---|---:|---:|---:|---:|---:|:---:|---:|");
  console.log(`| map(e => e) | 100% | ${fmt(base.rate)} | ${ns(base.rate).toFixed(1)} | - | - | - | ${fmt(passRate)} |`);
  let failed = 0;
  for (const c of CASES) {
    const metrics = new MetricsRegistry();
    const result = inProcessRate(() => (createPlugin(c.definition, c.options, { metrics }).plugin as Operator).operator());
    const own = Math.max(0, ns(result.rate) - ns(base.rate));
    const share = own / ns(passRate);
    const ok = share < TARGET;
    if (!ok) failed++;
    const inPipeline = WITH_PIPELINE ? await pipelineRate(c.definition.type, c.options) : Number.NaN;
    console.log(
      `| ${c.name} | ${((100 * result.passed) / EVENTS).toFixed(1)}% | ${fmt(result.rate)} | ${ns(result.rate).toFixed(1)} | ${own.toFixed(1)} | ${(share * 100).toFixed(1)}% | ${ok ? "met" : "MISSED"} | ${fmt(inPipeline)} |`,
    );
  }
  if (failed > 0) console.log(`\n${failed} operator(s) missed the target`);
}

void main();
