import { z } from "zod";
import { DeliveryOptionsShape } from "../../../core/index.js";
import { HostPortOption, HttpsFilesOption } from "../../../core/kit.js";

export const MAX_BODY_BYTES_LIMIT = 64 * 1024 * 1024;

const token = z
  .string()
  .min(16, "bearer token is shorter than 16 characters (is its environment variable set?)")
  .max(4096)
  .regex(/^[\x21-\x7e]*$/, "bearer token must be printable ASCII without spaces (it travels in an HTTP header)");

export const OtlpAuthOptions = z.strictObject({
  bearer: z
    .array(token)
    .min(1)
    .describe(
      "Tokens accepted as `Authorization: Bearer <token>` (HTTP header, or gRPC metadata), each at least 16 printable ASCII characters. " +
        'Pass them as "${OTLP_TOKEN}" rather than writing them into the file; exporters send them with OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer ...".',
    ),
});
export type OtlpAuthOptions = z.infer<typeof OtlpAuthOptions>;

export const OtlpOptions = z.strictObject({
  address: HostPortOption.default("127.0.0.1:4318").describe(
    'host:port of the OTLP/HTTP receiver (default "127.0.0.1:4318", the OTLP/HTTP port): POST /v1/logs, /v1/traces and /v1/metrics. ' +
      "May be the address of an `sse` sink or a `webhook` source: they share one server. A non-loopback address requires `auth` (or `\"auth\": \"none\"`).",
  ),
  grpcAddress: HostPortOption.optional().describe(
    'host:port of an OTLP/gRPC receiver as well (the OTLP/gRPC port is 4317, e.g. "127.0.0.1:4317"). Default: none, HTTP only. ' +
      "Same auth, tls and limits as HTTP; gzip-compressed gRPC messages are accepted.",
  ),
  auth: z
    .union([z.literal("none"), OtlpAuthOptions])
    .optional()
    .describe(
      "Credentials an export must carry (`bearer` tokens, compared in constant time). " +
        'Not needed on loopback addresses; elsewhere required, or "none" to accept unauthenticated exports on purpose.',
    ),
  tls: HttpsFilesOption.optional().describe("Serve HTTPS (and TLS on grpcAddress) instead of plain HTTP. Default: plain."),
  maxBodyBytes: z
    .int()
    .min(1024)
    .max(MAX_BODY_BYTES_LIMIT)
    .default(4 * 1024 * 1024)
    .describe(
      "Largest export request in bytes, both as sent and after gzip decompression; a larger one gets 413 (gRPC: RESOURCE_EXHAUSTED). " +
        "Default 4194304 (4 MiB; an SDK batch of 512 log records is well under 1 MiB), 1024 to 67108864.",
    ),
  maxValueDepth: z
    .int()
    .min(1)
    .max(30)
    .default(16)
    .describe(
      "Deepest nesting of array and kvlist values in an attribute or log body (1: no arrays or kvlists); a record nested deeper is refused " +
        "and reported in the response's partialSuccess, the rest of the request is taken. Default 16, 1 to 30 " +
        "(a request nesting messages over 100 deep, protoc's limit, is refused whole with 400).",
    ),
  maxRecordBytes: z
    .int()
    .min(256)
    .max(MAX_BODY_BYTES_LIMIT)
    .default(256 * 1024)
    .describe(
      "Largest log record or span (with its span events) as event data: bytes of its strings, keys and body, 8 per number or boolean; " +
        "a larger record is refused in partialSuccess, the rest of the request is taken. Default 262144 (256 KiB), 256 to 67108864.",
    ),
  metricPrefix: z
    .string()
    .max(100)
    .regex(/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*[.-])?$/, 'must be lowercase words ending with "." or "-", e.g. "stalwart."')
    .default("")
    .describe('Prefix of the metric ids made from OTLP metrics, e.g. "stalwart." gives `stalwart.queue.count` (default none).'),
  metricAttributes: z
    .array(z.string().min(1).max(200))
    .max(10)
    .default([])
    .describe(
      "Data point attributes whose values keep separate series (`queue.count.<value>`, in this order); points are otherwise summed per metric. " +
        "Default none (every metric is one series), at most 10.",
    ),
  maxSeries: z
    .int()
    .min(1)
    .max(100_000)
    .default(1000)
    .describe(
      "Most metric ids this source creates; points of further series are refused in partialSuccess. Memory per series is a few numbers. Default 1000, 1 to 100000.",
    ),
  ...DeliveryOptionsShape,
});
export type OtlpOptions = z.infer<typeof OtlpOptions>;
