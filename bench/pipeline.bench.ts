/**
 * In-process pipeline throughput: demo-like events through 0, 1 and 5 pass-through operators
 * into the blackhole sink, measured through the real Pipeline (stamping, metrics, sharing).
 * Run with `npm run bench`. Bounded: a fixed event count per case.
 */
import "reflect-metadata";
import { Observable, asyncScheduler, map } from "rxjs";
import { z } from "zod";
import pino from "pino";
import { DELIVERY, DeliveryOptionsShape, defineOperator, defineSource, inject, injectable, OPTIONS, type Delivery, type LiveEventInput, type Operator, type Source } from "../core/index.js";
import { PluginRegistry } from "../core/registry.js";
import { loadConfigObject } from "../core/config/index.js";
import { MetricsRegistry, registerProcessMetrics } from "../core/metrics/registry.js";
import { HttpServerPool } from "../core/http/pool.js";
import { Pipeline } from "../core/pipeline/pipeline.js";
import { builtinPlugins } from "../plugins/index.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const ROUNDS = 3;

const TYPES = ["smtp.connection-start", "smtp.mail-from", "smtp.rcpt-to", "delivery.completed", "auth.failed"];
/** Pre-built demo-like payloads, so the bench measures the pipeline, not the generator. */
const POOL = Array.from({ length: 1024 }, (_, i) => ({
  type: TYPES[i % TYPES.length],
  text: "SMTP session event",
  data: { remoteIp: `192.0.2.${i % 255}`, domain: `example${i % 7}.org`, size: 1000 + i, latencyMs: i % 97, listenerId: "smtp" },
}));

const FastOptions = z.strictObject({
  track: z.boolean().default(false).describe("track each read-chunk-sized batch of 256 events for acknowledgements"),
  ...DeliveryOptionsShape,
});
/** Events per tracked batch: about one 64 KiB socket read of ~250-byte syslog lines. */
const BATCH = 256;

/** Emits `count` events synchronously in chunks, yielding between chunks like a real socket source. */
@injectable()
class FastSource implements Source {
  private readonly count = EVENTS;
  constructor(
    @inject(OPTIONS) private readonly opts: z.infer<typeof FastOptions>,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}
  events(): Observable<LiveEventInput> {
    return new Observable((sub) => {
      let sent = 0;
      let timer: NodeJS.Immediate | undefined;
      const chunk = () => {
        const end = Math.min(this.count, sent + 10_000);
        if (this.opts.track) {
          while (sent < end) {
            const batch: LiveEventInput[] = [];
            for (const stop = Math.min(end, sent + BATCH); sent < stop; sent++) {
              const p = POOL[sent & 1023];
              batch.push({ type: p.type, text: p.text, data: p.data });
            }
            for (const e of this.delivery.track(batch)) sub.next(e);
          }
        }
        for (; sent < end; sent++) {
          const p = POOL[sent & 1023];
          sub.next({ type: p.type, text: p.text, data: p.data });
        }
        if (sent < this.count) timer = setImmediate(chunk);
        else sub.complete();
      };
      timer = setImmediate(chunk);
      return () => clearImmediate(timer);
    });
  }
}

class PassThrough implements Operator {
  operator() {
    return map((e: import("../core/index.js").LiveEvent) => e);
  }
}

const benchPlugins = [
  defineSource({ type: "bench-fast", description: "bench source", options: FastOptions, plugin: FastSource }),
  defineOperator({ type: "bench-pass", description: "identity", options: z.strictObject({}), plugin: PassThrough }),
];

/** Events per wall-clock second and per CPU second (the fairer figure on a shared machine). */
interface Rate {
  wall: number;
  cpu: number;
}

async function runCase(operators: number, track = false): Promise<Rate> {
  const registry = new PluginRegistry().register(...builtinPlugins, ...benchPlugins);
  const ops: Record<string, unknown> = {};
  let last = "fast";
  for (let i = 0; i < operators; i++) {
    ops[`op${i}`] = { type: "bench-pass", inputs: [last] };
    last = `op${i}`;
  }
  const config = await loadConfigObject(
    {
      sources: { fast: { type: "bench-fast", track, maxPendingEvents: 1_000_000 } },
      operators: track || operators < 0 ? { half: { type: "filter", inputs: ["fast"], include: [{ domain: "example1" }, { domain: "example3" }, { domain: "example5" }] } } : ops,
      sinks: { hole: { type: "blackhole", inputs: [track || operators < 0 ? "half" : last] } },
    },
    registry,
    { baseDir: process.cwd() },
  );
  const logger = pino({ level: "silent" });
  const metrics = new MetricsRegistry();
  registerProcessMetrics(metrics, () => Date.now());
  const pipeline = new Pipeline(config, { logger, metrics, scheduler: asyncScheduler, http: new HttpServerPool(logger), dataDir: "/tmp/livetap-bench" });
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await pipeline.start();
  await pipeline.done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const seen = metrics.counter("events.received").value;
  if (seen !== EVENTS) throw new Error(`expected ${EVENTS} events, saw ${seen}`);
  return { wall: EVENTS / seconds, cpu: EVENTS / cpuSeconds };
}

async function main() {
  console.log(`pipeline throughput, ${EVENTS.toLocaleString("en")} events per round, best of ${ROUNDS}; node ${process.version}`);
  console.log("| operators | events/s (wall) | events per CPU-second |\n|---:|---:|---:|");
  const fmt = (n: number) => Math.round(n).toLocaleString("en");
  for (const n of [0, 1, 5]) {
    const best: Rate = { wall: 0, cpu: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      const rate = await runCase(n);
      best.wall = Math.max(best.wall, rate.wall);
      best.cpu = Math.max(best.cpu, rate.cpu);
    }
    console.log(`| ${n} | ${fmt(best.wall)} | ${fmt(best.cpu)} |`);
  }
  // The cost of acknowledgements: the same source -> filter (keeps about half) -> blackhole,
  // untracked and tracked in batches of 256, rounds alternating so both see the same machine.
  console.log(`\nacknowledgements: source -> filter (keeps ~3/7) -> blackhole, ${EVENTS.toLocaleString("en")} events, best of ${ROUNDS}`);
  console.log("| events | events/s (wall) | events per CPU-second |\n|---|---:|---:|");
  const plain: Rate = { wall: 0, cpu: 0 };
  const tracked: Rate = { wall: 0, cpu: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [track, best] of [[false, plain], [true, tracked]] as const) {
      const rate = await runCase(-1, track);
      best.wall = Math.max(best.wall, rate.wall);
      best.cpu = Math.max(best.cpu, rate.cpu);
    }
  }
  console.log(`| untracked | ${fmt(plain.wall)} | ${fmt(plain.cpu)} |`);
  console.log(`| tracked per 256 | ${fmt(tracked.wall)} | ${fmt(tracked.cpu)} |`);
  console.log(`tracked / untracked, CPU: ${(tracked.cpu / plain.cpu).toFixed(3)}`);
}

void main();
