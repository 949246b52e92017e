/**
 * The webhook source inside core's real Pipeline: posted events reach a sink stamped by core
 * (id, createdAt), and stop() drains and completes.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { asyncScheduler, type Observable } from "rxjs";
import { z } from "zod";
import { defineSink, type BoundServer, type HttpServers, type LiveEvent, type Sink } from "../core/index.js";
import type { ComponentConfig } from "../core/config/model.js";
import { HttpServerPool } from "../core/http/pool.js";
import { MetricsRegistry } from "../core/metrics/registry.js";
import { Pipeline } from "../core/pipeline/pipeline.js";
import webhook from "../plugins/sources/webhook/index.js";
import { WebhookOptions } from "../plugins/sources/webhook/options.js";

describe("webhook source in a pipeline", () => {
  /** A pool that hands the test the servers it gives out (the pipeline keeps its components to itself). */
  class RecordingPool extends HttpServerPool {
    readonly bound: BoundServer[] = [];
    override forComponent(component: string): HttpServers {
      const inner = super.forComponent(component);
      return { server: async (address, opts) => { const b = await inner.server(address, opts); this.bound.push(b); return b; } };
    }
  }

  it("delivers posted events stamped by core to a sink, and stop() drains and completes", async () => {
    const got: LiveEvent[] = [];
    let arrived!: () => void;
    const two = new Promise<void>((resolve) => (arrived = resolve));
    let completed = false;
    class CollectSink implements Sink {
      consume(events: Observable<LiveEvent>): Promise<void> {
        return new Promise((resolve, reject) =>
          events.subscribe({ next: (e) => (got.push(e), got.length === 2 && arrived()), complete: () => ((completed = true), resolve()), error: reject }),
        );
      }
    }
    const collect = defineSink({ type: "collect", description: "collects events", options: z.strictObject({}), plugin: CollectSink });
    const logger = pino({ level: "silent" });
    const pool = new RecordingPool(logger);
    const dataDir = mkdtempSync(join(tmpdir(), "livetap-webhook-pipe-"));
    const components: ComponentConfig[] = [
      { kind: "source", name: "hooks", path: "sources.hooks", type: "webhook", inputs: [], options: WebhookOptions.parse({ address: "127.0.0.1:0" }), definition: webhook },
      { kind: "sink", name: "out", path: "sinks.out", type: "collect", inputs: ["hooks"], options: {}, definition: collect },
    ];
    const metrics = new MetricsRegistry();
    const pipeline = new Pipeline({ dataDir, components, warnings: [] }, { logger, metrics, scheduler: asyncScheduler, http: pool, dataDir });
    try {
      await pipeline.start();
      const url = `${pool.bound[0].url()}/ingest`;
      expect((await fetch(url, { method: "POST", body: '{"type":"app.up","n":1}\n{"n":2}\n', headers: { "content-type": "application/x-ndjson" } })).status).toBe(202);
      await two;
      expect(got.map((e) => [e.type, e.data])).toEqual([
        ["app.up", { n: 1, remoteIp: "127.0.0.1" }],
        ["webhook.event", { n: 2, remoteIp: "127.0.0.1" }],
      ]);
      for (const e of got) {
        expect(e.id).toMatch(/^\d+-\d+$/);
        expect(e.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      expect(metrics.counter("events.received").value).toBe(2);
      expect(await pipeline.stop()).toEqual({ failed: [] });
      expect(completed).toBe(true);
    } finally {
      await pipeline.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
