import { readFile } from "node:fs/promises";
import * as grpc from "@grpc/grpc-js";
import { PluginProblems, type Logger } from "../../../core/index.js";
import type { OtlpHttp } from "./http.js";
import type { OtlpOptions } from "./options.js";
import type { OtlpReceiver } from "./receiver.js";
import { SIGNALS, type Signal } from "./schema.js";

/** The gRPC status of each refusal, and the HTTP status it is counted as (otlp.rejected-<status>). */
const REFUSALS = {
  bad: { code: grpc.status.INVALID_ARGUMENT, http: 400 },
  // OTLP/gRPC: UNAVAILABLE is the retryable "try again later" (RESOURCE_EXHAUSTED only with RetryInfo).
  full: { code: grpc.status.UNAVAILABLE, http: 429 },
  unavailable: { code: grpc.status.UNAVAILABLE, http: 503 },
} as const;

/** Bytes through untouched: grpc-js frames and (de)compresses, protobufjs decodes in the receiver. */
const identity = (b: Buffer): Buffer => b;

/**
 * OTLP/gRPC on `grpcAddress` with @grpc/grpc-js: the three Export methods, served from the same
 * receiver as HTTP. grpc-js enforces maxBodyBytes on each message, compressed or not.
 */
export class OtlpGrpc {
  private server: grpc.Server | undefined;
  private port: number | undefined;

  constructor(
    private readonly opts: OtlpOptions,
    private readonly receiver: OtlpReceiver,
    private readonly http: OtlpHttp,
    private readonly log: Logger,
  ) {}

  async start(address: string): Promise<void> {
    const server = new grpc.Server({
      "grpc.max_receive_message_length": this.opts.maxBodyBytes,
      "grpc.max_send_message_length": 1024 * 1024,
    });
    for (const signal of SIGNALS) {
      const path = this.receiver.schema.signals[signal].grpcPath;
      const definition: grpc.ServiceDefinition = {
        Export: { path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
      };
      server.addService(definition, { Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => void this.export(signal, call, cb) });
    }
    const creds = this.opts.tls ? await this.credentials() : grpc.ServerCredentials.createInsecure();
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))),
    ).catch((err: Error) => {
      server.forceShutdown();
      throw new PluginProblems([{ path: ["grpcAddress"], message: `${address} cannot be bound: ${err.message}` }]);
    });
    this.server = server;
  }

  /** `host:port` with the bound port (port 0 resolved), once started. */
  boundAddress(address: string): string | undefined {
    if (this.port === undefined) return undefined;
    return `${address.slice(0, address.lastIndexOf(":"))}:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  private async credentials(): Promise<grpc.ServerCredentials> {
    const tls = this.opts.tls!;
    try {
      const [cert, key] = await Promise.all([readFile(tls.cert), readFile(tls.key)]);
      return grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
    } catch (err) {
      throw new PluginProblems([{ path: ["tls"], message: `cannot read the TLS files: ${(err as Error).message}` }]);
    }
  }

  private async export(signal: Signal, call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): Promise<void> {
    this.http.countRequest();
    const auth = call.metadata.get("authorization")[0];
    const problem = this.http.authProblem(typeof auth === "string" ? auth : auth === undefined ? undefined : auth.toString());
    if (problem !== undefined) {
      this.http.countRejection(401);
      return cb({ code: grpc.status.UNAUTHENTICATED, details: problem });
    }
    try {
      const outcome = await this.receiver.receive(signal, "protobuf", call.request);
      if (outcome.kind === "ok") {
        const type = this.receiver.schema.signals[signal].response;
        return cb(null, Buffer.from(type.encode(type.fromObject(this.receiver.responseObject(signal, outcome))).finish()));
      }
      const refusal = REFUSALS[outcome.kind];
      this.http.countRejection(refusal.http);
      cb({ code: refusal.code, details: outcome.details });
    } catch (err) {
      this.log.error({ err, signal }, "otlp gRPC export failed");
      this.http.countRejection(500);
      cb({ code: grpc.status.INTERNAL, details: "see the server log" });
    }
  }
}
