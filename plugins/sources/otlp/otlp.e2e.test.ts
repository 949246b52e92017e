/**
 * End to end: a real livetap process (dist/) runs examples/otel-to-sse.json's pipeline on free
 * ports; the OpenTelemetry JS SDK exports logs, spans and metrics to it; the sse sink's event
 * stream shows the records and its /metrics the OTLP metrics. (The `follow=traceId` view of a
 * whole trace belongs to the live-view issue and is not tested here.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { freePort } from "../../../core/testing.js";
import { ROOT, livetap, tempDir, writeConfig, type Run } from "../../../test/cli/harness.js";

/** Reads SSE `trace` frames until `n` events arrived; `onPing` runs at the first `ping` (the stream is live). */
async function readEvents(url: string, n: number, signal: AbortSignal, onPing: () => void): Promise<Record<string, unknown>[]> {
  const res = await fetch(url, { signal });
  const reader = res.body!.getReader();
  const events: Record<string, unknown>[] = [];
  let buf = "";
  while (events.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += Buffer.from(value).toString("utf8");
    let end;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const frame = buf.slice(0, end);
      buf = buf.slice(end + 2);
      if (frame.includes("event: ping")) onPing();
      if (!frame.includes("event: trace")) continue;
      const data = frame.split("\n").find((l) => l.startsWith("data: "))!.slice(6);
      events.push(...(JSON.parse(data) as Record<string, unknown>[]));
    }
  }
  await reader.cancel();
  return events;
}

describe("otlp -> sse, end to end (examples/otel-to-sse.json)", () => {
  let dir: string;
  let run: Run | undefined;
  beforeAll(() => {
    dir = tempDir("livetap-otlp-e2e-");
  });
  afterAll(() => {
    run?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows SDK logs and spans on the event stream and SDK metrics on /metrics", async () => {
    const [otlpPort, grpcPort, ssePort] = [await freePort(), await freePort(), await freePort()];
    const example = JSON.parse(readFileSync(join(ROOT, "examples/otel-to-sse.json"), "utf8")) as {
      sources: { otel: Record<string, unknown> };
      sinks: { live: Record<string, unknown> };
    };
    example.sources.otel.address = `127.0.0.1:${otlpPort}`;
    example.sources.otel.grpcAddress = `127.0.0.1:${grpcPort}`;
    example.sinks.live.address = `127.0.0.1:${ssePort}`;
    delete (example as { $schema?: string }).$schema;
    run = livetap(["run", "--config", writeConfig(dir, { ...example, dataDir: join(dir, "data") })]);
    await run.waitFor("press Ctrl-C");

    const abort = new AbortController();
    // Send only once the stream is live: it shows what arrives after it connected.
    let live!: () => void;
    const connected = new Promise<void>((r) => (live = r));
    const seen = readEvents(`http://127.0.0.1:${ssePort}/api/telemetry/traces/live`, 2, abort.signal, () => live());
    await connected;
    const base = `http://127.0.0.1:${otlpPort}`;
    const resource = resourceFromAttributes({ "service.name": "e2e" });
    const logs = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs` }) })] });
    logs.getLogger("e2e").emit({ severityNumber: SeverityNumber.WARN, body: "disk almost full", attributes: { "event.name": "disk.almost-full", "disk.free": 3 } });
    await logs.shutdown();
    const traces = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }))] });
    traces.getTracer("e2e").startSpan("GET /inbox").end();
    await traces.shutdown();
    const events = await seen;
    abort.abort();
    expect(events.find((e) => e.type === "disk.almost-full")).toMatchObject({ text: "disk almost full", data: { severity: "warning", diskFree: 3, resource: { serviceName: "e2e" } } });
    expect(events.find((e) => e.type === "otel.span")).toMatchObject({ text: "GET /inbox", data: { kind: "internal", status: "unset" } });

    const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }), exportIntervalMillis: 3_600_000 });
    const metrics = new MeterProvider({ resource, readers: [reader] });
    metrics.getMeter("e2e").createCounter("jobs.done").add(41);
    metrics.getMeter("e2e").createCounter("jobs.done").add(1);
    await metrics.shutdown();
    const text = await (await fetch(`http://127.0.0.1:${ssePort}/metrics`)).text();
    const line = text.split("\n").find((l) => /^app[._]jobs[._]done(_total)? /.test(l));
    expect(line, text.slice(0, 2000)).toBeDefined();
    expect(Number(line!.split(" ")[1])).toBe(42);
    expect(text).toMatch(/^otlp[._]log[_-]records(_total)? 1$/m);
  });

  it.todo("an sse sink with follow=traceId shows a whole trace once one span matches (needs the live-view issue's follow)");
});
