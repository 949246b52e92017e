/**
 * The syslog source inside core's real Pipeline: startup problems carry the config path, and a
 * graceful stop drains it (partial frames of open connections reach the sinks) and ends.
 */
import "reflect-metadata";
import { describe, expect, it } from "vitest";
import dgram from "node:dgram";
import net from "node:net";
import pino from "pino";
import { asyncScheduler, type Observable } from "rxjs";
import { z } from "zod";
import { injectable } from "tsyringe";
import { defineSink, type LiveEvent, type Sink } from "../core/index.js";
import { ConfigError, type ComponentConfig, type PipelineConfig } from "../core/config/index.js";
import { HttpServerPool } from "../core/http/pool.js";
import { MetricsRegistry } from "../core/metrics/registry.js";
import { Pipeline } from "../core/pipeline/pipeline.js";
import syslog from "../plugins/sources/syslog/index.js";
import { SyslogOptions } from "../plugins/sources/syslog/options.js";
import { connectTcp, octet } from "../plugins/sources/syslog/test-helpers.js";
import { until } from "./support/until.js";

function collector(store: LiveEvent[]) {
  @injectable()
  class Collect implements Sink {
    consume(events: Observable<LiveEvent>): Promise<void> {
      return new Promise((resolve, reject) => events.subscribe({ next: (e) => store.push(e), complete: resolve, error: reject }));
    }
  }
  return defineSink({ type: "collect", description: "collects events for a test", options: z.strictObject({}), plugin: Collect });
}

function pipeline(options: Record<string, unknown>, store: LiveEvent[], metrics = new MetricsRegistry()): Pipeline {
  const sink = collector(store);
  const components: ComponentConfig[] = [
    { kind: "source", name: "logs", path: "sources.logs", type: "syslog", inputs: [], options: SyslogOptions.parse(options), definition: syslog },
    { kind: "sink", name: "out", path: "sinks.out", type: "collect", inputs: ["logs"], options: {}, definition: sink },
  ];
  const config: PipelineConfig = { dataDir: "/tmp/livetap-syslog-test", components, warnings: [] };
  const logger = pino({ level: "silent" });
  return new Pipeline(config, { logger, metrics, scheduler: asyncScheduler, http: new HttpServerPool(logger), dataDir: config.dataDir });
}

function freePort(kind: "tcp" | "udp"): Promise<number> {
  return new Promise((resolve, reject) => {
    if (kind === "udp") {
      const s = dgram.createSocket("udp4").once("error", reject);
      s.bind(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      return;
    }
    const s = net.createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe("syslog source in a pipeline", () => {
  it("ingests over TCP; stop() drains partial frames to the sink and ends the run", async () => {
    const port = await freePort("tcp");
    const got: LiveEvent[] = [];
    const metrics = new MetricsRegistry();
    const p = pipeline({ mode: "tcp", address: `127.0.0.1:${port}` }, got, metrics);
    await p.start();
    const s = await connectTcp(port);
    s.on("error", () => undefined);
    s.write(Buffer.concat([octet("<13>1 2026-11-25T12:00:00Z h app - - - whole"), Buffer.from("<13>1 - h app - - - partial, no LF")]));
    await until(() => got.length === 1, "1 event");
    const result = await p.stop();
    expect(result.failed).toEqual([]);
    expect(got.map((e) => [e.type, e.data.message])).toEqual([
      ["syslog.message", "whole"],
      ["syslog.message", "partial, no LF"],
    ]);
    expect(got[0].createdAt).toBe("2026-11-25T12:00:00.000Z");
    expect(got[0].id).toMatch(/^\d+-\d+$/);
    expect(metrics.counter("events.received").value).toBe(2);
    expect(metrics.counter("syslog.message").value).toBe(2);
  });

  it("reports an address in use as sources.<name>.address, and frees everything", async () => {
    const blocker = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => blocker.bind(0, "127.0.0.1", () => resolve()));
    const port = blocker.address().port;
    const err = await pipeline({ mode: "udp", address: `127.0.0.1:${port}` }, []).start().catch((e: unknown) => e);
    blocker.close();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([{ path: ["sources", "logs", "address"], message: `127.0.0.1:${port} is already in use` }]);
  });
});
