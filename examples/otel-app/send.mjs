// A small app instrumented with the official OpenTelemetry JS SDK, exporting its logs, spans
// and metrics over OTLP/HTTP to a livetap `otlp` source (examples/otel-to-sse.json).
//   livetap run --config examples/otel-to-sse.json      # in one terminal
//   node examples/otel-app/send.mjs                     # in another
//   curl -N http://127.0.0.1:8080/api/telemetry/traces/live    # or open the dashboard
// OTEL_EXPORTER_OTLP_ENDPOINT (default http://127.0.0.1:4318), OTEL_EXPORTER_OTLP_PROTOCOL
// (http/protobuf, the default here, or http/json) and SEND_SECONDS (default 30) change it.
import { context, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { OTLPLogExporter as ProtoLogs } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPLogExporter as JsonLogs } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPTraceExporter as ProtoTraces } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonTraces } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";

const base = (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://127.0.0.1:4318").replace(/\/$/, "");
const json = process.env.OTEL_EXPORTER_OTLP_PROTOCOL === "http/json";
const seconds = Number(process.env.SEND_SECONDS ?? 30);
const resource = resourceFromAttributes({ "service.name": "otel-app", "host.name": "demo" });

const logs = new LoggerProvider({
  resource,
  processors: [new BatchLogRecordProcessor({ exporter: json ? new JsonLogs({ url: `${base}/v1/logs` }) : new ProtoLogs({ url: `${base}/v1/logs` }) })],
});
const traces = new BasicTracerProvider({
  resource,
  spanProcessors: [new BatchSpanProcessor(json ? new JsonTraces({ url: `${base}/v1/traces` }) : new ProtoTraces({ url: `${base}/v1/traces` }))],
});
const metrics = new MeterProvider({
  resource,
  readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }), exportIntervalMillis: 1000 })],
});

const logger = logs.getLogger("otel-app");
const tracer = traces.getTracer("otel-app");
const meter = metrics.getMeter("otel-app");
const requests = meter.createCounter("http.requests");
const duration = meter.createHistogram("http.duration", { unit: "ms", advice: { explicitBucketBoundaries: [5, 10, 25, 50, 100, 250] } });
let inFlight = 0;
meter.createObservableGauge("http.in-flight").addCallback((r) => r.observe(inFlight));

const paths = ["/", "/login", "/inbox", "/send"];
function handleRequest(n) {
  const path = paths[n % paths.length];
  const ms = 3 + Math.round(Math.random() * 120);
  const span = tracer.startSpan(`GET ${path}`, { kind: SpanKind.SERVER, attributes: { "http.route": path, "client.address": `192.0.2.${n % 250}` } });
  const ctx = trace.setSpan(context.active(), span);
  inFlight++;
  const db = tracer.startSpan("db.query", { kind: SpanKind.CLIENT, attributes: { "db.system": "sqlite" } }, ctx);
  setTimeout(() => {
    db.end();
    const failed = n % 17 === 0;
    if (failed) {
      span.addEvent("exception", { "exception.message": "mailbox locked" });
      span.setStatus({ code: SpanStatusCode.ERROR, message: "mailbox locked" });
    }
    logger.emit({
      severityNumber: failed ? SeverityNumber.ERROR : SeverityNumber.INFO,
      body: `${failed ? 500 : 200} GET ${path} in ${ms} ms`,
      attributes: { "event.name": failed ? "http.request-failed" : "http.request", "http.route": path, "http.status": failed ? 500 : 200 },
      context: ctx,
    });
    requests.add(1, { route: path });
    duration.record(ms);
    inFlight--;
    span.end();
  }, ms);
}

let n = 0;
const timer = setInterval(() => handleRequest(n++), 200);
setTimeout(async () => {
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 300));
  await Promise.all([logs.shutdown(), traces.shutdown(), metrics.shutdown()]);
  console.log(`sent ${n} requests' logs, spans and metrics to ${base}`);
}, seconds * 1000);
