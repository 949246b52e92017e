import { z } from "zod";

export const RedactOptions = z.strictObject({
  fields: z.array(z.string().min(1)).min(1).max(100)
    .describe("Top-level data keys to redact (e.g. remoteIp, from, to); at most 100."),
  mode: z.enum(["mask", "hash", "drop"]).default("mask")
    .describe("`mask` keeps the shape (192.0.2.x, j***@example.org); `hash` replaces with a keyed HMAC so equal values still group; `drop` discards events that carry any of the fields. Default mask."),
  hashKey: z.string().min(16).optional()
    .describe("HMAC key for `hash` mode, at least 16 characters; use \"${REDACT_KEY}\" to keep it out of the file."),
});
export type RedactOptions = z.infer<typeof RedactOptions>;
