import protobuf from "protobufjs/light.js";
import { OTLP_DESCRIPTOR } from "./otlp-descriptor.js";

/** The three OTLP signals, by the last part of their HTTP path. */
export type Signal = "logs" | "traces" | "metrics";
export const SIGNALS: readonly Signal[] = ["logs", "traces", "metrics"];

/** The message types of one signal's Export call. */
export interface SignalTypes {
  request: protobuf.Type;
  response: protobuf.Type;
  /** The gRPC method path, `/opentelemetry.proto.collector.<x>.v1.<X>Service/Export`. */
  grpcPath: string;
}

/**
 * The OTLP protobuf schema, built by protobufjs from the descriptor generated out of the
 * official .proto files. One instance per source: protobufjs compiles a decoder per type on
 * first use, and nothing here is shared module state.
 */
export class OtlpSchema {
  readonly signals: Record<Signal, SignalTypes>;
  readonly status: protobuf.Type;

  constructor() {
    const root = protobuf.Root.fromJSON(OTLP_DESCRIPTOR);
    const types = (pkg: string, name: string): SignalTypes => ({
      request: root.lookupType(`opentelemetry.proto.collector.${pkg}.v1.Export${name}ServiceRequest`),
      response: root.lookupType(`opentelemetry.proto.collector.${pkg}.v1.Export${name}ServiceResponse`),
      grpcPath: `/opentelemetry.proto.collector.${pkg}.v1.${name === "Trace" ? "Trace" : name}Service/Export`,
    });
    this.signals = { logs: types("logs", "Logs"), traces: types("trace", "Trace"), metrics: types("metrics", "Metrics") };
    this.status = root.lookupType("google.rpc.Status");
  }
}

