/**
 * End to end: a real livetap process (dist/) runs examples/otel-to-sse.json's pipeline on free
 * ports; the OpenTelemetry JS SDK exports logs, spans and metrics to it; the sse sink's event
 * stream shows the records and its /metrics the OTLP metrics, and a client following `traceId`
 * sees the whole of a trace once one of its spans matched (CONTRACT 9).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { context, trace } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
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

/** Opens a traces stream; resolves once it is live (its first `ping`) with the read of its first `n` events. */
async function openStream(url: string, n: number, signal: AbortSignal): Promise<{ events: Promise<Record<string, unknown>[]> }> {
  let live!: () => void;
  const connected = new Promise<void>((r) => (live = r));
  const events = readEvents(url, n, signal, () => live());
  await connected;
  return { events }; // wrapped: an async function returning the promise itself would wait for it
}

describe("otlp -> sse, end to end (examples/otel-to-sse.json)", () => {
  let dir: string;
  let run: Run | undefined;
  let otlpPort: number;
  let ssePort: number;
  beforeAll(async () => {
    dir = tempDir("livetap-otlp-e2e-");
    let grpcPort: number;
    [otlpPort, grpcPort, ssePort] = [await freePort(), await freePort(), await freePort()];
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
  }, 30_000);
  afterAll(() => {
    run?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows SDK logs and spans on the event stream and SDK metrics on /metrics", async () => {
    const abort = new AbortController();
    // Send only once the stream is live: it shows what arrives after it connected.
    const { events: seen } = await openStream(`http://127.0.0.1:${ssePort}/api/telemetry/traces/live`, 2, abort.signal);
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

  it("a client with follow=traceId gets every later span, span event and log of the trace one span of which matched", async () => {
    const base = `http://127.0.0.1:${otlpPort}`;
    const resource = resourceFromAttributes({ "service.name": "shop" });
    const spans = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }))] });
    // Batched, flushed by hand: the simple log processor's forceFlush does not wait for its exports.
    const batch = new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs` }), scheduledDelayMillis: 3_600_000 });
    const logs = new LoggerProvider({ resource, processors: [batch] });
    const tracer = spans.getTracer("shop");
    const logger = logs.getLogger("shop");
    // Each export waited for, so the events reach the sink in this order; anything shown that
    // should not be comes before the last expected event, so the first five tell it all.
    const endSpan = async (span: ReturnType<typeof tracer.startSpan>) => {
      span.end();
      await spans.forceFlush();
    };
    const log = async (body: string, ctx = context.active()) => {
      logger.emit({ severityNumber: SeverityNumber.INFO, body, context: ctx });
      await logs.forceFlush();
    };

    const abort = new AbortController();
    const { events: following } = await openStream(`http://127.0.0.1:${ssePort}/api/telemetry/traces/live?name=charge-card&follow=traceId`, 5, abort.signal);
    const order = tracer.startSpan("checkout");
    const inOrder = trace.setSpan(context.active(), order);
    await log("cart read", inOrder); // before any span of the trace matched: not shown
    const charge = tracer.startSpan("charge-card", {}, inOrder);
    charge.addEvent("card.charged", { "amount.cents": 1299 });
    await endSpan(charge); // matches the filter: its trace is followed from here on
    const other = tracer.startSpan("GET /health");
    await log("health checked", trace.setSpan(context.active(), other));
    await endSpan(other); // another trace: not shown
    await log("payment logged", inOrder);
    await endSpan(tracer.startSpan("send-receipt", {}, inOrder));
    await endSpan(order);
    const events = await following;
    abort.abort();
    await Promise.all([spans.shutdown(), logs.shutdown()]);

    const traceId = order.spanContext().traceId;
    expect(events.map((e) => [e.type, e.text ?? (e.data as { name?: string }).name])).toEqual([
      ["otel.span", "charge-card"],
      ["otel.span-event", "card.charged"],
      ["otel.log", "payment logged"],
      ["otel.span", "send-receipt"],
      ["otel.span", "checkout"],
    ]);
    expect(events.every((e) => (e.data as { traceId?: string }).traceId === traceId)).toBe(true);
  });
});
