import { z } from "zod";
import { DeliveryOptionsShape } from "../../../core/index.js";
import { NatsConnectionShape, toCreatedAt } from "../../../core/kit.js";

export const NatsSourceOptions = z.strictObject({
  ...NatsConnectionShape,
  ...DeliveryOptionsShape,
  filterSubject: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^\s]+$/, "a subject has no whitespace")
    .optional()
    .describe('Only messages on subjects matching this filter (wildcards * and >), e.g. "livetap.events.syslog.>" (absent: the whole stream).'),
  deliver: z
    .union([
      z.enum(["new", "all", "last-per-subject"]),
      z.strictObject({
        since: z
          .string()
          .refine((v) => toCreatedAt(v) !== undefined, { message: "an RFC 3339 time, e.g. 2026-11-24T11:50:00Z" })
          .describe("RFC 3339 time: events stored at or after it."),
      }),
    ])
    .default("new")
    .describe('Where a new consumer starts: "new" (default: what arrives from now on), "all" (everything the stream holds), "last-per-subject" (the latest event of each subject), or { "since": "<RFC 3339>" }. A durable consumer that exists already resumes where it was.'),
  durable: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, "letters, digits, _ and - (1 to 128)")
    .optional()
    .describe("Durable consumer name. Absent: an ephemeral ordered consumer, every node gets every event. The same name on several nodes: the events are split between them, each processed by one; unacked ones are redelivered (after a crash too)."),
  maxAckPending: z
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe("Most messages of the durable consumer delivered and not yet acked, on the server (default 10000)."),
  ackWaitMs: z
    .int()
    .min(1000)
    .max(86_400_000)
    .default(30_000)
    .describe("A durable consumer's message not acked within this many ms is redelivered (default 30000): how soon a crashed node's events go to another."),
});
export type NatsSourceOptions = z.infer<typeof NatsSourceOptions>;
