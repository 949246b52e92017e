import { z } from "zod";
import { DeliveryOptionsShape } from "../../../core/index.js";
import { HostPortOption, HttpsFilesOption } from "../../../core/kit.js";

export const MAX_BODY_BYTES_LIMIT = 64 * 1024 * 1024;
const EVENT_TYPE = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;

const token = z
  .string()
  .min(16, "bearer token is shorter than 16 characters (is its environment variable set?)")
  .max(4096)
  .regex(/^[\x21-\x7e]*$/, "bearer token must be printable ASCII without spaces (it travels in an HTTP header)")
  // A secret: problems give its length, never its value.
  .meta({ writeOnly: true });

export const WebhookAuthOptions = z
  .strictObject({
    bearer: z
      .array(token)
      .min(1)
      .optional()
      .describe(
        "Tokens accepted as `Authorization: Bearer <token>`, each at least 16 printable ASCII characters. " +
          'Generate one with `openssl rand -base64 24` and pass it as "${WEBHOOK_TOKEN}" rather than writing it into the file.',
      ),
    hmac: z
      .strictObject({
        secret: z
          .string()
          .min(16, "hmac secret is shorter than 16 characters (is its environment variable set?)")
          .meta({ writeOnly: true })
          .describe('Shared secret of the HMAC-SHA256 signature, at least 16 characters; pass it as "${WEBHOOK_SECRET}".'),
        header: z
          .string()
          .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name such as x-signature-256")
          .default("x-signature-256")
          .describe('Request header carrying `sha256=<hex HMAC-SHA256 of the raw body>` (default "x-signature-256"; GitHub sends "x-hub-signature-256"; case does not matter).'),
      })
      .optional()
      .describe("Require a signature over the exact request body, GitHub's scheme (`sha256=<hex>`, compared in constant time)."),
  })
  .refine((o) => o.bearer !== undefined || o.hmac !== undefined, {
    message: 'auth needs `bearer` tokens or an `hmac` secret (or "none" to accept unauthenticated posts)',
  });
export type WebhookAuthOptions = z.infer<typeof WebhookAuthOptions>;

export const WebhookOptions = z.strictObject({
  address: HostPortOption.default("127.0.0.1:8081")
    .describe(
      'host:port to accept posts on (default "127.0.0.1:8081"; "[::1]:8081" for IPv6). May be the address of an `sse` sink: both share one server. ' +
        'A non-loopback address requires `auth` (or `"auth": "none"`).',
    ),
  path: z
    .string()
    .max(1024)
    .regex(/^\/[A-Za-z0-9._~!$&'()+,;=:@%/-]*$/, 'must be a URL path starting with "/" without query, "*" or spaces, e.g. "/ingest"')
    .refine((p) => !p.includes("/:") && !p.includes("//"), 'must be a literal path: no "/:param" segments and no "//"')
    .default("/ingest")
    .describe('URL path that takes POSTs (default "/ingest"); other methods on it get 405, other paths 404.'),
  typeField: z
    .string()
    .min(1)
    .max(200)
    .default("type")
    .describe('Record field whose string value becomes the event type (default "type"); it is removed from `data`.'),
  defaultType: z
    .string()
    .max(200)
    .regex(EVENT_TYPE, 'must be a lowercase dotted event type such as "webhook.event"')
    .default("webhook.event")
    .describe('Event type of text lines and of records without a string type field (default "webhook.event").'),
  timeFields: z
    .array(z.string().min(1).max(200))
    .min(1)
    .max(10)
    .default(["createdAt", "timestamp"])
    .describe(
      'Record fields tried in order for the event\'s `createdAt` (default ["createdAt", "timestamp"]): the first with a valid RFC 3339 time ' +
        "or epoch milliseconds is used and removed from `data`; without one, the receive time.",
    ),
  maxBodyBytes: z
    .int()
    .min(1024)
    .max(MAX_BODY_BYTES_LIMIT)
    .default(1024 * 1024)
    .describe(
      "Largest request body in bytes, as sent and after `Content-Encoding: gzip`/`deflate` decoding; a larger one gets 413 (default 1048576 = 1 MiB; 1024 to 67108864).",
    ),
  maxPendingEvents: z
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe(
      "Accepted events not yet settled (queued for the pipeline or not yet confirmed by every sink); a request that would go past it gets 429 with Retry-After, " +
        "and one holding more events than this on its own gets 413 (it could never fit) (default 10000, 1 to 1000000). " +
        "Memory holds at most about this many events plus one request's worth.",
    ),
  ack: z
    .enum(["received", "delivered"])
    .default("received")
    .describe(
      'When the 202 is sent (default "received"): "received" once the request is queued; "delivered" once every event of it is settled (confirmed by every sink it reached, e.g. written by a file sink or acknowledged by JetStream). ' +
        "With \"delivered\" a request not settled within ackTimeoutMs gets 503 with Retry-After; a retry may then duplicate events, never lose them.",
    ),
  ackTimeoutMs: DeliveryOptionsShape.ackTimeoutMs.describe(
    'Milliseconds a request with ack "delivered" waits for its events to settle before it is answered 503 with Retry-After (default 10000; 1 to 3600000). ' +
      "Also the time after which events an operator swallowed without telling core settle as lost (pipeline.ack-timeouts).",
  ),
  auth: z
    .union([z.literal("none"), WebhookAuthOptions])
    .optional()
    .describe(
      'Credentials a post must carry: `bearer` tokens and/or an `hmac` signature (a request passes with any one of them). ' +
        'Not needed on a loopback address; elsewhere required, or "none" to accept unauthenticated posts on purpose.',
    ),
  tls: HttpsFilesOption.optional().describe("Accept posts over HTTPS instead of HTTP on `address`. Default: plain HTTP."),
});
export type WebhookOptions = z.infer<typeof WebhookOptions>;
