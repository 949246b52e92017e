/**
 * Bench server for bench/sse.bench.ts (forked by it; not run by hand): the real `sse` sink,
 * built with createPlugin, started and listening on 127.0.0.1:0, consuming a Subject that the
 * shared bench source (bench/sse-common.ts) feeds. Sink options come as JSON in argv[2].
 */
import "reflect-metadata";
import pino from "pino";
import { Subject } from "rxjs";
import type { BoundServer, HttpServers, LiveEvent } from "../core/index.js";
import { HttpServerPool } from "../core/http/pool.js";
import { createPlugin } from "../core/testing.js";
import sseDefinition, { type SseSink } from "../plugins/sinks/sse/index.js";
import { serveBench } from "./sse-common.js";

/** The pool, keeping a hand on the bound server so the bench can watch its sockets. */
class TappedPool extends HttpServerPool {
  bound: BoundServer | undefined;
  override forComponent(component: string): HttpServers {
    const inner = super.forComponent(component);
    return { server: async (address, opts) => (this.bound = await inner.server(address, opts)) };
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as Record<string, unknown>;
  const logger = pino({ level: "silent" });
  const pool = new TappedPool(logger);
  const created = createPlugin(sseDefinition, { address: "127.0.0.1:0", ...options }, { logger, http: pool });
  const sink = created.plugin as SseSink;
  await sink.start();
  const problems = await created.services.http.listenAll();
  if (problems.length) throw new Error(problems.map((p) => p.message).join("; "));
  const input = new Subject<LiveEvent>();
  void sink.consume(input.asObservable()).catch(() => undefined);
  const metrics = created.services.metrics;
  serveBench(
    {
      publish: (e) => input.next(e),
      counters: () => ({
        "sse.events-sent": metrics.counter("sse.events-sent").value,
        "sse.dropped": metrics.counter("sse.dropped").value,
        "sse.clients": metrics.gauge("sse.clients").value,
      }),
      close: async () => {
        await sink.stop();
        await created.services.http.closeAll();
      },
    },
    pool.bound!.app.server,
    sink.url()!,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
