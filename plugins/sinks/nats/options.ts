import { z } from "zod";
import { anyCovers, NatsConnectionShape, templateFilter, templateProblem } from "../../../core/kit.js";

const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `30m`, `24h`, `7d` (or `0`: no limit) in ms; undefined when malformed. */
export function durationMs(text: string): number | undefined {
  if (text === "0") return 0;
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

export const CreateStreamOptions = z
  .strictObject({
    subjects: z
      .array(z.string().min(1).max(255))
      .min(1)
      .max(100)
      .optional()
      .describe('Subjects the stream takes (default: what `subject` publishes, `{type}` and after it as `>`, e.g. ["livetap.events.>"]).'),
    maxAge: z
      .string()
      .default("24h")
      .refine((v) => durationMs(v) !== undefined, { message: 'a duration like "90s", "30m", "24h", "7d" (or "0" for no limit)' })
      .describe('How long the stream keeps events (default "24h"; "0": no limit): also how far back a reconnecting client can resume.'),
    maxBytes: z
      .int()
      .min(-1)
      .default(1024 * 1024 * 1024)
      .describe("Most bytes the stream stores, oldest removed first (default 1073741824 = 1 GiB; -1: no limit)."),
    storage: z.enum(["file", "memory"]).default("file").describe('"file" (default: survives a server restart) or "memory".'),
    replicas: z.int().min(1).max(5).default(1).describe("Copies in a NATS cluster (default 1; 1 to 5, at most the cluster's size)."),
  })
  .describe("Create the stream when it does not exist. Absent: the stream must exist. An existing stream is left as it is: startup fails when its subjects do not cover `subject`, other differences are logged.");
export type CreateStreamOptions = z.infer<typeof CreateStreamOptions>;

export const NatsSinkOptions = z
  .strictObject({
    ...NatsConnectionShape,
    subject: z
      .string()
      .default("livetap.events.{type}")
      .superRefine((v, ctx) => {
        const problem = templateProblem(v);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .describe('Subject each event is published to; `{type}` is replaced by the event type (default "livetap.events.{type}").'),
    createStream: CreateStreamOptions.optional(),
    maxInFlight: z
      .int()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe("Most publishes awaiting JetStream's ack at once (default 1000; 1 to 100000). Beyond it events wait in the sink, bounded by the sources' maxPendingEvents."),
    publishTimeoutMs: z
      .int()
      .min(100)
      .max(600_000)
      .default(5000)
      .describe("How long a publish waits for its ack before it is sent again (default 5000 ms). Retries carry the same message id, so JetStream stores an event once."),
  })
  .superRefine((o, ctx) => {
    const subjects = o.createStream?.subjects;
    if (subjects && templateProblem(o.subject) === undefined && !anyCovers(subjects, templateFilter(o.subject))) {
      ctx.addIssue({
        code: "custom",
        path: ["createStream", "subjects"],
        message: `${JSON.stringify(subjects)} do not cover "${templateFilter(o.subject)}", what "subject" ("${o.subject}") publishes: add it, or change "subject"`,
      });
    }
  });
export type NatsSinkOptions = z.infer<typeof NatsSinkOptions>;
