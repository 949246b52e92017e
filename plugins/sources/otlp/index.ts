import { defineSource } from "../../../core/index.js";
import { OtlpOptions } from "./options.js";
import { OtlpSource } from "./otlp.js";

export type { OtlpSource } from "./otlp.js";

export default defineSource({
  type: "otlp",
  description: "OpenTelemetry OTLP receiver (HTTP protobuf/JSON, optional gRPC): log records and spans become events, metrics join the process metrics.",
  options: OtlpOptions,
  example: { address: "127.0.0.1:4318", grpcAddress: "127.0.0.1:4317" },
  plugin: OtlpSource,
});
