import { z } from "zod";
import { FIELD_REF_HELP, FieldRef, HostPortOption, HttpsFilesOption } from "../../../core/kit.js";
import { AuthOptions } from "./auth.js";
import { CorsOption } from "./cors.js";

export const SseOptions = z.strictObject({
  address: HostPortOption.default("127.0.0.1:8080")
    .describe(
      'host:port to serve the streams, /metrics and the dashboard on (default "127.0.0.1:8080"; "[::1]:8080" for IPv6). ' +
        "A non-loopback address requires `auth`.",
    ),
  batchWindowMs: z
    .int()
    .min(0)
    .max(60_000)
    .default(100)
    .describe("Milliseconds a batch waits for more events after its first one before it is sent (default 100, 0 to 60000; 0 = next tick)."),
  batchMaxEvents: z
    .int()
    .min(1)
    .max(100_000)
    .default(500)
    .describe("Events in one `trace` frame: a batch is sent at once when this many are queued (default 500, 1 to 100000)."),
  pingIntervalMs: z
    .int()
    .min(100)
    .max(3_600_000)
    .default(30_000)
    .describe("Milliseconds between `ping` frames on the traces stream, which keep proxies from closing idle streams (default 30000, 100 to 3600000)."),
  replayEvents: z
    .int()
    .min(0)
    .max(1_000_000)
    .default(10_000)
    .describe(
      "Events kept for reconnecting clients (`Last-Event-ID`); memory holds this many events (default 10000, 0 to 1000000; 0 = no replay, reconnects get a `gap` frame).",
    ),
  clientBufferEvents: z
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe(
      "Events queued per client while its connection is slow; past it the oldest are dropped and the client gets a `dropped` frame. " +
        "Memory per client is at most this many events (default 10000, 1 to 1000000).",
    ),
  clientBufferBytes: z
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(4 * 1024 * 1024)
    .describe(
      "Bytes of event JSON queued per client while its connection is slow, whichever of this and `clientBufferEvents` is reached first; " +
        "past it the oldest are dropped with a `dropped` frame (the newest event is always kept). Memory per slow client is at most this " +
        "plus one `trace` frame of at most 1 MiB on its socket (default 4194304 = 4 MiB, 1024 to 1073741824).",
    ),
  stallTimeoutMs: z
    .int()
    .min(100)
    .max(3_600_000)
    .default(30_000)
    .describe("Milliseconds a client connection may make no write progress before it is closed (default 30000, 100 to 3600000)."),
  maxClients: z
    .int()
    .min(1)
    .max(100_000)
    .default(1000)
    .describe("Open streams (traces and metrics together); more get 503 with Retry-After (default 1000, 1 to 100000)."),
  defaultMetricsIntervalSeconds: z
    .number()
    .min(1)
    .max(86_400)
    .default(30)
    .describe("Seconds between frames on the metrics stream when the request has no `interval` (default 30, 1 to 86400)."),
  follow: FieldRef.optional().describe(
    `Default \`follow=\` field for traces requests that give none (span stickiness: once an event passes a client's filters, later events with the same value of this field pass too), e.g. "sessionId"; ${FIELD_REF_HELP}. Default: absent, no following (with \`compat: "stalwart"\`: "spanId", as Stalwart does).`,
  ),
  followSeconds: z
    .number()
    .positive()
    .max(86_400)
    .default(300)
    .describe("Seconds a followed value keeps passing after the last event that carried it (default 300, at most 86400)."),
  maxFollowed: z
    .int()
    .min(1)
    .max(100_000)
    .default(1000)
    .describe("Values one client follows at once; past it the least recently seen is forgotten. Memory per client: this many values of at most 256 characters (default 1000, 1 to 100000)."),
  tapComponents: z
    .boolean()
    .optional()
    .describe("Allow `outputs-of=NAME` on the traces and top streams: the output of any source or operator of this process (it costs nothing while nobody taps). Default: true on a loopback address, false otherwise."),
  maxTopKeys: z
    .int()
    .min(10)
    .max(1_000_000)
    .default(10_000)
    .describe(
      "Distinct values one top stream (/api/telemetry/top/live) counts exactly; past it the counts are a bounded heavy-hitters estimate (Space-Saving). Memory per top client: this many values, plus one slot per second of its window (default 10000, 10 to 1000000).",
    ),
  auth: AuthOptions.optional(),
  compat: z
    .enum(["stalwart"])
    .optional()
    .describe(
      'Serve exactly what Stalwart\'s WebAdmin (v0.1.x, for Stalwart 0.11-0.15) decodes (CONTRACT 11): "stalwart" gives events Stalwart\'s data keys ' +
        "(others folded into `details`), whole-number metrics, Stalwart's filters with span following, and WebAdmin's login " +
        "(/api/oauth, /auth/token). Default: livetap's own format (open data keys).",
    ),
  metricsHistorySeconds: z
    .int()
    .min(0)
    .max(90 * 86_400)
    .default(86_400)
    .describe(
      "Seconds of metrics history kept for GET /api/telemetry/metrics?after= (default 86400, 0 to 7776000; 0 = none). " +
        "Memory: at most metricsHistorySeconds / metricsHistoryIntervalSeconds rounds of at most 200 samples each.",
    ),
  metricsHistoryIntervalSeconds: z
    .int()
    .min(1)
    .max(86_400)
    .default(60)
    .describe("Seconds between two samples of the metrics history (default 60, 1 to 86400)."),
  loginTokenSeconds: z
    .int()
    .min(60)
    .max(86_400)
    .default(3600)
    .describe('Seconds an access token from WebAdmin\'s login (/auth/token, `compat: "stalwart"`) is accepted as a bearer (default 3600, 60 to 86400). Signed with a key derived from `auth.tokenKey` when set, so they survive restarts and hold on every node sharing it; else a random key per process.'),
  cors: CorsOption,
  tls: HttpsFilesOption.optional().describe("Serve HTTPS instead of HTTP on `address` (streams, /metrics and the dashboard). Default: plain HTTP."),
});
export type SseOptions = z.infer<typeof SseOptions>;
