/**
 * OTLP/gRPC specifics with a real grpc-js client (the exporters' own transport): status codes
 * for bad input and credentials, and TLS on both listeners with the SDK exporters.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as grpc from "@grpc/grpc-js";
import { firstValueFrom, take, toArray } from "rxjs";
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from "@opentelemetry/sdk-logs";
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as GrpcLogExporter } from "@opentelemetry/exporter-logs-otlp-grpc";
import type { LiveEventInput } from "../../../core/index.js";
import { createPlugin, type Services } from "../../../core/testing.js";
import otlp, { type OtlpSource } from "./index.js";
import { OtlpSchema } from "./schema.js";

const running: { source: OtlpSource; services: Services }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.source.stop!();
    await r.services.http.closeAll();
  }
});

async function startOtlp(options: Record<string, unknown>): Promise<{ source: OtlpSource; services: Services }> {
  const { plugin, services } = createPlugin(otlp, { address: "127.0.0.1:0", grpcAddress: "127.0.0.1:0", ...options });
  const source = plugin as OtlpSource;
  await source.start!();
  expect(await services.http.listenAll()).toEqual([]);
  running.push({ source, services });
  return { source, services };
}
const nextEvents = (source: OtlpSource, n: number): Promise<LiveEventInput[]> => firstValueFrom(source.events().pipe(take(n), toArray()));

const schema = new OtlpSchema();
const LOGS_PATH = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
const identity = (b: Buffer): Buffer => b;
const logsBody = (text: string) => {
  const t = schema.signals.logs.request;
  return Buffer.from(t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: text } }] }] }] })).finish());
};

/** One unary Export call; resolves with the response bytes or the gRPC error. */
function exportCall(address: string, body: Buffer, metadata = new grpc.Metadata(), options: grpc.ClientOptions = {}): Promise<{ response?: Buffer; error?: grpc.ServiceError }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), options);
  return new Promise((resolve) =>
    client.makeUnaryRequest(LOGS_PATH, identity, identity, body, metadata, (error, response) => {
      client.close();
      resolve(error ? { error } : { response });
    }),
  );
}

describe("OTLP/gRPC", () => {
  it("takes an Export, gzip-compressed too, and answers an empty response", async () => {
    const { source } = await startOtlp({});
    const got = nextEvents(source, 2);
    const plain = await exportCall(source.grpcAddress()!, logsBody("plain"));
    expect(plain.response?.length).toBe(0);
    const zipped = await exportCall(source.grpcAddress()!, logsBody("zipped"), new grpc.Metadata(), { "grpc.default_compression_algorithm": 2 });
    expect(zipped.error).toBeUndefined();
    expect((await got).map((e) => e.text)).toEqual(["plain", "zipped"]);
  });

  it("answers INVALID_ARGUMENT with where decoding failed, UNAUTHENTICATED without a token, and counts both", async () => {
    const token = "a-long-enough-grpc-token";
    const { source, services } = await startOtlp({ auth: { bearer: [token] } });
    const withToken = new grpc.Metadata();
    withToken.set("authorization", `Bearer ${token}`);
    const bad = await exportCall(source.grpcAddress()!, Buffer.from([0x0a, 0x05, 0x01]), withToken);
    expect([bad.error?.code, bad.error?.details]).toEqual([grpc.status.INVALID_ARGUMENT, expect.stringMatching(/^the body is not a valid ExportLogsServiceRequest in protobuf: /)]);
    const anonymous = await exportCall(source.grpcAddress()!, logsBody("x"));
    expect([anonymous.error?.code, anonymous.error?.details]).toEqual([grpc.status.UNAUTHENTICATED, "missing Authorization: Bearer <token>"]);
    expect(services.metrics.counter("otlp.rejected-400").value).toBe(1);
    expect(services.metrics.counter("otlp.rejected-401").value).toBe(1);
  });

  it("answers UNAVAILABLE (retryable) before the pipeline subscribed", async () => {
    const { source } = await startOtlp({});
    const r = await exportCall(source.grpcAddress()!, logsBody("early"));
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it("refuses a message over maxBodyBytes, compressed or not (grpc-js: RESOURCE_EXHAUSTED)", async () => {
    const { source } = await startOtlp({ maxBodyBytes: 4096 });
    const big = logsBody("y".repeat(10_000));
    expect(gzipSync(big).length).toBeLessThan(4096);
    const r = await exportCall(source.grpcAddress()!, big, new grpc.Metadata(), { "grpc.default_compression_algorithm": 2 });
    expect(r.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });
});

describe("TLS on both listeners", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "livetap-otlp-tls-"));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "1", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem")],
      { stdio: "ignore" },
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the SDK's exports over HTTPS and gRPC with TLS", async () => {
    const { source } = await startOtlp({ tls: { cert: join(dir, "c.pem"), key: join(dir, "k.pem") } });
    expect(source.url()).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(join(dir, "c.pem"));
    const got = nextEvents(source, 2);
    const send = async (exporter: LogRecordExporter, text: string) => {
      const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
      provider.getLogger("tls").emit({ body: text });
      await provider.shutdown();
    };
    await send(new JsonLogExporter({ url: `${source.url()}/v1/logs`, httpAgentOptions: { ca } }), "over https");
    await send(new GrpcLogExporter({ url: `https://${source.grpcAddress()}`, credentials: grpc.credentials.createSsl(ca) }), "over grpc+tls");
    expect((await got).map((e) => e.text)).toEqual(["over https", "over grpc+tls"]);
  });
});
