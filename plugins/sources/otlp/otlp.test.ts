/**
 * The otlp source with the official OpenTelemetry JS SDK as the client: logs through the
 * HTTP/JSON, HTTP/protobuf and gRPC exporters, spans, metrics; and raw requests for the OTLP/HTTP
 * status codes and bad input. Real sockets on 127.0.0.1, port 0.
 */
import { afterEach, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { asyncScheduler, firstValueFrom, take, toArray } from "rxjs";
import { context, trace, SpanKind, SpanStatusCode, type Context } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, SimpleLogRecordProcessor, BatchLogRecordProcessor, type LogRecordExporter } from "@opentelemetry/sdk-logs";
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPLogExporter as GrpcLogExporter } from "@opentelemetry/exporter-logs-otlp-grpc";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { createPlugin, DeliveryHub, MetricsRegistry, type Services } from "../../../core/testing.js";
import pino from "pino";
import type { LiveEvent, LiveEventInput } from "../../../core/index.js";
import otlp, { type OtlpSource } from "./index.js";
import { OtlpSchema } from "./schema.js";

const running: Services[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await Promise.all(running.splice(0).map((s) => s.http.closeAll()));
});

async function startOtlp(options: Record<string, unknown> = {}, given: Partial<Services> = {}): Promise<{ source: OtlpSource; services: Services; url: string }> {
  const { plugin, services } = createPlugin(otlp, { address: "127.0.0.1:0", ...options }, given);
  const source = plugin as OtlpSource;
  await source.start!();
  expect(await services.http.listenAll()).toEqual([]);
  running.push(services);
  closers.push(() => source.stop!());
  return { source, services, url: source.url()! };
}

/** The next `n` events the source emits (subscribe before sending). */
const nextEvents = (source: OtlpSource, n: number): Promise<LiveEventInput[]> => firstValueFrom(source.events().pipe(take(n), toArray()));

const TRACE_ID = "5b8efff798038103d269b633813fc60c";
const SPAN_ID = "eee19b7ec3c1b174";
const inSpan = (): Context => trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
const resource = resourceFromAttributes({ "service.name": "mail-test", "host.name": "mx1" });

async function sendLogs(exporter: LogRecordExporter): Promise<void> {
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger("livetap-test", "1.0.0");
  logger.emit({
    severityNumber: SeverityNumber.WARN,
    severityText: "WARN",
    body: "queue is filling up",
    attributes: { "event.name": "queue.QueueFull", "queue.name": "local", "queue.size": 17, tags: ["a", "b"] },
    timestamp: new Date("2026-12-01T10:00:00.123Z"),
    context: inSpan(),
  });
  logger.emit({ severityNumber: SeverityNumber.ERROR2, body: { code: 550, reason: "mailbox unavailable" } });
  await provider.forceFlush();
  await provider.shutdown();
}

function expectMappedLogs(events: LiveEventInput[]): void {
  // SimpleLogRecordProcessor exports each record on its own: the two requests may arrive in either order.
  const first = events.find((e) => e.type !== "otel.log");
  const second = events.find((e) => e.type === "otel.log")!;
  expect(first).toEqual({
    type: "queue.queue-full",
    text: "queue is filling up",
    createdAt: "2026-12-01T10:00:00.123Z",
    data: {
      queueName: "local",
      queueSize: 17,
      tags: ["a", "b"],
      severity: "warning",
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      resource: expect.objectContaining({ serviceName: "mail-test", hostName: "mx1" }),
      scope: "livetap-test",
    },
  });
  expect(second).toMatchObject({ type: "otel.log", data: { severity: "crit", body: { code: 550, reason: "mailbox unavailable" } } });
  expect(second.text).toBeUndefined();
}

describe("logs from the OpenTelemetry JS SDK", () => {
  it("arrive as mapped events through the HTTP/JSON exporter", async () => {
    const { source, url } = await startOtlp();
    const got = nextEvents(source, 2);
    await sendLogs(new JsonLogExporter({ url: `${url}/v1/logs` }));
    expectMappedLogs(await got);
  });

  it("arrive as mapped events through the HTTP/protobuf exporter, gzip-compressed", async () => {
    const { source, services, url } = await startOtlp();
    const got = nextEvents(source, 2);
    await sendLogs(new ProtoLogExporter({ url: `${url}/v1/logs`, compression: "gzip" as never }));
    expectMappedLogs(await got);
    expect(services.metrics.counter("otlp.log-records").value).toBe(2);
  });

  it("arrive through the gRPC exporter on grpcAddress", async () => {
    const { source } = await startOtlp({ grpcAddress: "127.0.0.1:0" });
    const got = nextEvents(source, 2);
    await sendLogs(new GrpcLogExporter({ url: `http://${source.grpcAddress()}` }));
    expectMappedLogs(await got);
  });

  it("10,000 records in batches of 512 all arrive, in order", async () => {
    const { source, url } = await startOtlp();
    const got = nextEvents(source, 10_000);
    const provider = new LoggerProvider({
      processors: [new BatchLogRecordProcessor({ exporter: new ProtoLogExporter({ url: `${url}/v1/logs` }), maxExportBatchSize: 512, maxQueueSize: 10_000, scheduledDelayMillis: 10 })],
    });
    const logger = provider.getLogger("bulk");
    for (let i = 0; i < 10_000; i++) logger.emit({ body: `record ${i}`, attributes: { seq: i } });
    await provider.forceFlush();
    const events = await got;
    expect(events.map((e) => e.data.seq)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    await provider.shutdown();
  });
});

describe("spans from the OpenTelemetry JS SDK", () => {
  for (const [name, make] of [
    ["HTTP/protobuf", (url: string) => new ProtoTraceExporter({ url: `${url}/v1/traces` })],
    ["HTTP/JSON", (url: string) => new JsonTraceExporter({ url: `${url}/v1/traces` })],
  ] as const) {
    it(`arrive as otel.span and otel.span-event through the ${name} exporter`, async () => {
      const { source, url } = await startOtlp();
      const got = nextEvents(source, 3);
      const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(make(url) as SpanExporter)] });
      const tracer = provider.getTracer("smtp");
      const parent = tracer.startSpan("smtp.session", { kind: SpanKind.SERVER, attributes: { "remote.ip": "192.0.2.7" } });
      const child = tracer.startSpan("smtp.rcpt", { kind: SpanKind.INTERNAL }, trace.setSpan(context.active(), parent));
      child.addEvent("rcpt.accepted", { "rcpt.to": "a@example.org" });
      child.setStatus({ code: SpanStatusCode.ERROR, message: "quota" });
      child.end();
      parent.setStatus({ code: SpanStatusCode.OK });
      parent.end();
      await provider.forceFlush();
      await provider.shutdown();
      // One request per span (SimpleSpanProcessor): the two may arrive in either order, a span's events right after it.
      const events = await got;
      const at = events.findIndex((e) => e.text === "smtp.rcpt");
      const [rcpt, rcptEvent] = events.slice(at, at + 2);
      const session = events.find((e) => e.text === "smtp.session")!;
      const traceId = parent.spanContext().traceId;
      expect(rcpt).toMatchObject({
        type: "otel.span",
        text: "smtp.rcpt",
        data: { name: "smtp.rcpt", traceId, spanId: child.spanContext().spanId, parentSpanId: parent.spanContext().spanId, kind: "internal", status: "error", statusMessage: "quota", resource: { serviceName: "mail-test" }, scope: "smtp" },
      });
      expect(typeof rcpt.data.durationMs).toBe("number");
      expect(rcptEvent).toMatchObject({ type: "otel.span-event", text: "rcpt.accepted", data: { name: "rcpt.accepted", rcptTo: "a@example.org", traceId, spanId: child.spanContext().spanId } });
      expect(session).toMatchObject({ type: "otel.span", data: { name: "smtp.session", kind: "server", status: "ok", remoteIp: "192.0.2.7" } });
      expect(session.data.parentSpanId).toBeUndefined();
    });
  }
});

describe("metrics from the OpenTelemetry JS SDK", () => {
  async function exportMetrics(url: string, temporality: AggregationTemporality, record: (p: MeterProvider) => void, rounds = 1): Promise<void> {
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${url}/v1/metrics`, temporalityPreference: temporality }),
      exportIntervalMillis: 3_600_000,
    });
    const provider = new MeterProvider({ resource, readers: [reader] });
    for (let i = 0; i < rounds; i++) {
      record(provider);
      await provider.forceFlush();
    }
    await provider.shutdown();
  }

  for (const [name, temporality] of [["cumulative", AggregationTemporality.CUMULATIVE], ["delta", AggregationTemporality.DELTA]] as const) {
    it(`joins the metrics registry: counter, gauge, histogram (${name})`, async () => {
      const { services, url } = await startOtlp({ metricPrefix: "app." });
      let meterCounter: ReturnType<ReturnType<MeterProvider["getMeter"]>["createCounter"]> | undefined;
      let hist: ReturnType<ReturnType<MeterProvider["getMeter"]>["createHistogram"]> | undefined;
      let gauge: ReturnType<ReturnType<MeterProvider["getMeter"]>["createGauge"]> | undefined;
      await exportMetrics(
        url,
        temporality,
        (p) => {
          const meter = p.getMeter("mail");
          meterCounter ??= meter.createCounter("queue.count");
          hist ??= meter.createHistogram("delivery.time_ms", { advice: { explicitBucketBoundaries: [10, 100, 1000] } });
          gauge ??= meter.createGauge("queue.size");
          meterCounter.add(3, { queue: "local" });
          meterCounter.add(2, { queue: "remote" });
          hist.record(5);
          hist.record(50);
          gauge.record(7, { queue: "local" });
          gauge.record(4, { queue: "remote" });
        },
        2,
      );
      const byId = new Map(services.metrics.snapshot().map((m) => [m.id, m]));
      // Two rounds of 3 + 2: cumulative growth or delta sums, the same total.
      expect(byId.get("app.queue.count")).toEqual({ id: "app.queue.count", type: "counter", value: 10 });
      expect(byId.get("app.queue.size")).toEqual({ id: "app.queue.size", type: "gauge", value: 11 });
      expect(byId.get("app.delivery.time-ms")).toEqual({ id: "app.delivery.time-ms", type: "histogram", count: 4, sum: 110 });
      const h = services.metrics.list().find((m) => m.info.id === "app.delivery.time-ms")!.metric as unknown as { bounds: number[]; bucketCounts: number[] };
      expect(h.bounds).toEqual([10, 100, 1000]);
      expect(h.bucketCounts).toEqual([2, 2, 0, 0]);
      expect(services.metrics.counter("otlp.data-points").value).toBeGreaterThan(0);
    });
  }

  it("keeps series apart by metricAttributes, bounded by maxSeries", async () => {
    const { services, url } = await startOtlp({ metricAttributes: ["queue"], maxSeries: 2 });
    await exportMetrics(url, AggregationTemporality.DELTA, (p) => {
      const c = p.getMeter("mail").createCounter("queue.count");
      c.add(3, { queue: "local" });
      c.add(2, { queue: "Remote Q" });
      c.add(1, { queue: "third" });
    });
    const ids = services.metrics.snapshot().filter((m) => m.id.startsWith("queue.count"));
    expect(ids).toEqual([
      { id: "queue.count.local", type: "counter", value: 3 },
      { id: "queue.count.remote-q", type: "counter", value: 2 },
    ]);
    expect(services.metrics.counter("otlp.refused-records").value).toBe(1);
  });
});

/** Raw requests, for the status codes and bodies of the OTLP/HTTP spec. */
const schema = new OtlpSchema();
const logsRequest = (records: Record<string, unknown>[]) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] });
const protoBody = (value: unknown) => Buffer.from(schema.signals.logs.request.encode(schema.signals.logs.request.fromObject(value as never)).finish());

async function post(url: string, body: string | Buffer, headers: Record<string, string>) {
  const res = await fetch(url, { method: "POST", body, headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}
const postJson = (url: string, value: unknown, headers: Record<string, string> = {}) =>
  post(url, typeof value === "string" ? value : JSON.stringify(value), { "content-type": "application/json", ...headers });

describe("OTLP/HTTP protocol", () => {
  it("answers 200 with an empty JSON or protobuf response, partialSuccess when records were refused", async () => {
    const { source, url } = await startOtlp({ maxRecordBytes: 256 });
    const got = nextEvents(source, 2);
    const ok = await postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "a" } }]));
    expect([ok.status, ok.headers.get("content-type"), JSON.parse(ok.bytes.toString())]).toEqual([200, "application/json", {}]);
    const partial = await post(`${url}/v1/logs`, protoBody(logsRequest([{ body: { stringValue: "x".repeat(300) } }, { body: { stringValue: "b" } }])), {
      "content-type": "application/x-protobuf",
    });
    expect([partial.status, partial.headers.get("content-type")]).toEqual([200, "application/x-protobuf"]);
    const response = schema.signals.logs.response.toObject(schema.signals.logs.response.decode(partial.bytes), { longs: Number });
    expect(response).toEqual({
      partialSuccess: { rejectedLogRecords: 1, errorMessage: "resourceLogs[0].scopeLogs[0].logRecords[0]: body takes the record past maxRecordBytes (256 bytes)" },
    });
    expect((await got).map((e) => e.text)).toEqual(["a", "b"]);
  });

  it("answers 400 with a Status saying where decoding failed, and ingests nothing of that request", async () => {
    const { source, services, url } = await startOtlp();
    const got = nextEvents(source, 1);
    const bad = await postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "lost" } }, { spanId: "not-hex" }]));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.bytes.toString())).toEqual({ code: 3, message: 'resourceLogs[0].scopeLogs[0].logRecords[1].spanId: "not-hex" is not 16 hex digits' });
    const truncated = protoBody(logsRequest([{ body: { stringValue: "lost too" } }])).subarray(0, 10);
    const badProto = await post(`${url}/v1/logs`, truncated, { "content-type": "application/x-protobuf" });
    expect(badProto.status).toBe(400);
    const status = schema.status.toObject(schema.status.decode(badProto.bytes));
    expect(status.message).toMatch(/^the body is not a valid ExportLogsServiceRequest in protobuf: index out of range/);
    const notJson = await postJson(`${url}/v1/traces`, "{not json");
    expect([notJson.status, JSON.parse(notJson.bytes.toString()).message]).toEqual([400, expect.stringMatching(/^the body is not valid JSON/)]);
    // The next good request's record is the first event the pipeline sees.
    await postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "marker" } }]));
    expect((await got)[0].text).toBe("marker");
    expect(services.metrics.counter("otlp.rejected-400").value).toBe(3);
    expect(services.metrics.counter("otlp.rejected").value).toBe(3);
  });

  it("answers 415 to other media types and encodings, 405 to other methods, 413 over maxBodyBytes (also after gunzip)", async () => {
    const { services, url } = await startOtlp({ maxBodyBytes: 2048 });
    expect((await post(`${url}/v1/logs`, "x", { "content-type": "text/plain" })).status).toBe(415);
    expect((await postJson(`${url}/v1/logs`, "{}", { "content-encoding": "br" })).status).toBe(415);
    const get = await fetch(`${url}/v1/metrics`);
    expect([get.status, get.headers.get("allow")]).toEqual([405, "POST"]);
    expect((await postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "x".repeat(3000) } }]))).status).toBe(413);
    const bomb = gzipSync(JSON.stringify(logsRequest([{ body: { stringValue: "y".repeat(100_000) } }])));
    expect(bomb.length).toBeLessThan(2048);
    expect((await post(`${url}/v1/logs`, bomb, { "content-type": "application/json", "content-encoding": "gzip" })).status).toBe(413);
    expect(services.metrics.counter("otlp.rejected-415").value).toBe(2);
    expect(services.metrics.counter("otlp.rejected-413").value).toBe(2);
    expect(services.metrics.counter("otlp.rejected-405").value).toBe(1);
  });

  it("requires a listed bearer token with auth.bearer (401, counted)", async () => {
    const token = "a-long-enough-test-token";
    const { source, services, url } = await startOtlp({ auth: { bearer: [token] } });
    const got = nextEvents(source, 2);
    const none = await postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "no" } }]));
    expect([none.status, none.headers.get("www-authenticate")]).toEqual([401, 'Bearer realm="livetap"']);
    expect((await postJson(`${url}/v1/logs`, logsRequest([]), { authorization: "Bearer wrong-token-of-length" })).status).toBe(401);
    await sendLogs(new JsonLogExporter({ url: `${url}/v1/logs`, headers: { Authorization: `Bearer ${token}` } }));
    expect((await got).map((e) => e.type).sort()).toEqual(["otel.log", "queue.queue-full"]);
    expect(services.metrics.counter("otlp.rejected-401").value).toBe(2);
  });

  it("refuses a non-loopback address without auth at startup", async () => {
    const { plugin } = createPlugin(otlp, { address: "0.0.0.0:0" });
    await expect(plugin.start!()).rejects.toThrow(/address: "0.0.0.0:0" is not a loopback address/);
  });

  it("answers 503 with Retry-After before the pipeline subscribed, and while draining", async () => {
    const { source, url } = await startOtlp();
    const early = await postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "early" } }]));
    expect([early.status, early.headers.get("retry-after")]).toEqual([503, "5"]);
    const sub = source.events().subscribe();
    source.drain!();
    expect(sub.closed).toBe(true);
    const late = await postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "late" } }]));
    expect([late.status, late.headers.get("retry-after")]).toEqual([503, "5"]);
  });

  it("answers 200 only once the batch is settled, 429 with Retry-After over maxPendingEvents, 503 when a sink failed it", async () => {
    // One consumer per event that confirms nothing until told: the pipeline's view of a slow sink.
    const metrics = new MetricsRegistry();
    const delivery = new DeliveryHub({ metrics, scheduler: asyncScheduler, logger: pino({ level: "silent" }), defaultFanout: 1 });
    const { source, services, url } = await startOtlp({ maxPendingEvents: 2 }, { metrics, delivery });
    const got: LiveEvent[] = [];
    const sub = source.events().subscribe((e) => got.push(e as LiveEvent));
    let answered = false;
    const first = postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "a" } }, { body: { stringValue: "b" } }])).finally(() => (answered = true));
    await expect.poll(() => got.length).toBe(2);
    const refused = await postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "c" } }]));
    expect([refused.status, refused.headers.get("retry-after"), answered]).toEqual([429, "1", false]);
    expect(JSON.parse(refused.bytes.toString()).message).toMatch(/at maxPendingEvents \(2\)/);
    for (const e of got) delivery.release(e);
    expect((await first).status).toBe(200);
    // A sink that fails a batch: the exporter is told to retry it.
    const second = postJson(`${url}/v1/logs`, logsRequest([{ body: { stringValue: "d" } }]));
    await expect.poll(() => got.length).toBe(3);
    delivery.fail("sinks.file", got[2], new Error("disk full"));
    const failed = await second;
    expect([failed.status, failed.headers.get("retry-after")]).toEqual([503, "5"]);
    expect(services.metrics.counter("otlp.rejected-429").value).toBe(1);
    sub.unsubscribe();
  });
});
