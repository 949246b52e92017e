/**
 * Stalwart's data key names: the only keys Stalwart's WebAdmin accepts in an event's `data`.
 *
 * Where it came from: the variants of the `Key` enum (serde `rename_all = "camelCase"`) in
 * stalwartlabs/webadmin v0.1.33, `src/pages/enterprise/tracing/event.rs` (the WebAdmin for
 * Stalwart 0.11-0.15); checked against that tag. Names are facts, not code: only the list is
 * taken. A newer WebAdmin that adds keys only widens what it accepts, so this list stays safe.
 */
export const STALWART_KEYS: ReadonlySet<string> = new Set([
  "accountName",
  "accountId",
  "blobId",
  "causedBy",
  "changeId",
  "code",
  "collection",
  "contents",
  "details",
  "dkimFail",
  "dkimNone",
  "dkimPass",
  "dmarcNone",
  "dmarcPass",
  "dmarcQuarantine",
  "dmarcReject",
  "documentId",
  "domain",
  "due",
  "elapsed",
  "expires",
  "from",
  "hostname",
  "id",
  "key",
  "limit",
  "listenerId",
  "localIp",
  "localPort",
  "mailboxName",
  "mailboxId",
  "messageId",
  "nextDsn",
  "nextRetry",
  "path",
  "policy",
  "queueId",
  "queueName",
  "rangeFrom",
  "rangeTo",
  "reason",
  "remoteIp",
  "remotePort",
  "reportId",
  "result",
  "size",
  "source",
  "spanId",
  "spfFail",
  "spfNone",
  "spfPass",
  "strict",
  "tls",
  "to",
  "total",
  "totalFailures",
  "totalSuccesses",
  "type",
  "uid",
  "uidNext",
  "uidValidity",
  "url",
  "validFrom",
  "validTo",
  "value",
  "version",
]);

/**
 * livetap data keys renamed to Stalwart's where the meaning is the same (the first of several
 * that is present wins; an event that already has the Stalwart key keeps its own):
 * - `sessionId` -> `spanId`: Stalwart's span is one session (an SMTP/IMAP connection), the
 *   id that WebAdmin links and the server follows; livetap's sources name it sessionId.
 * - `durationMs`, `latencyMs` -> `elapsed`: WebAdmin shows `elapsed` as "Completed in",
 *   a duration in milliseconds.
 */
export const STALWART_KEY_ALIASES: Readonly<Record<string, readonly string[]>> = {
  spanId: ["sessionId"],
  elapsed: ["durationMs", "latencyMs"],
};
