/**
 * `livetap/kit`: the toolkit the built-in plugins share, for a plugin doing the same job.
 * Writing a plugin needs none of it (that is `livetap`); each group is one concern, in one
 * module of core/lib (or core/metrics), tested there.
 */

// Records and lines to events (JSON logs, webhook bodies), and events to JSON (sinks).
export { recordToEvent, lineToEvent, toEventType, isPlainObject, type RecordOptions } from "./lib/record.js";
export { eventToJson, isEventType } from "./event.js";
// Objects built on a hot path property by property, sized by V8 to what they end up with.
export { plainObjectClass } from "./lib/plain-objects.js";
// A multicast for per-event streams, without RxJS Subject's per-call closure (share({ connector })).
export { EventSubject } from "./lib/event-subject.js";

// Listen addresses: `host:port` parsing, loopback checks, their option schemas.
export { parseAddress, isLoopback, urlFor, type HostPort } from "./lib/address.js";
export { HostPortOption, HttpsFilesOption } from "./lib/option-schemas.js";

// Input bounds: HTTP bodies decoded up to a size, byte cuts on UTF-8 character boundaries.
export { inflateBody, SUPPORTED_ENCODINGS, type InflateResult } from "./lib/inflate.js";
export { utf8Boundary, utf8End, utf8Text, writeUtf8 } from "./lib/utf8.js";

// Output: a writer to a slow stream (stdout, a file) with a memory bound and drop counts.
export { BoundedWriter, endOfBurst, type BoundedWriterOptions, type DropReport, type WritableLike } from "./lib/bounded-writer.js";

// Credentials: constant-time bearer tokens, scrypt password hashes.
export { SecretSet } from "./lib/secret-set.js";
export { hashPassword, verifyPassword, isPasswordHash } from "./lib/password.js";

// Event filters: SSE query parameters and config conditions (CONTRACT 4), one matcher type.
export { compileFilter, isFilterError, type FilterConditions, type FilterError, type CompileOptions } from "./lib/filter/query.js";
export { compileEventCondition, EventConditions, numericValue } from "./lib/filter/conditions.js";
export type { Matcher, Predicate } from "./lib/filter/matcher.js";

// Metrics and messages.
export { dropCounter } from "./metrics/drops.js";
export { isMetricId } from "./metrics/registry.js";
export { didYouMean } from "./lib/did-you-mean.js";
export { CheckpointCorrupt } from "./state/checkpoints.js";

// Abuse brakes and checkpoint retries.
export { FailureBackoff, DEFAULT_FAILURE_BACKOFF, type FailureBackoffOptions } from "./lib/failure-backoff.js";
export { CheckpointRetryLater } from "./state/checkpoints.js";
export { kebabToCamel, RESERVED_PARAMS } from "./lib/filter/names.js";

// Field references (CONTRACT 6): `type`, `text`, `id` or a dotted path into data.
export { fieldReader, fieldRefProblem, parseFieldRef, FieldRef, FIELD_REF_HELP, MAX_FIELD_REF_LENGTH, type FieldReader } from "./lib/field-ref.js";

// Event history (any-node resume) and the NATS connection shared by the nats sink and source.
export { compareEventIds, NO_HISTORY } from "./history.js";
export { NatsServerUrl, NatsAuthOption, NatsTlsOption, NatsConnectionShape, NatsConnectionOptions } from "./lib/nats/options.js";
export { NatsLink, NatsNotReady, NatsUnreachable, backoffMs, type NatsLinkHooks } from "./lib/nats/connect.js";
export { templateProblem, subjectTemplate, templateFilter, subjectCovers, anyCovers } from "./lib/nats/subjects.js";
export { toCreatedAt } from "./event.js";
