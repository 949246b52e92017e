import { z } from "zod";
import { FIELD_REF_HELP, FieldRef } from "../../../core/kit.js";

export const ThrottleOptions = z.strictObject({
  threshold: z
    .int()
    .min(1)
    .max(1_000_000_000)
    .describe("Events allowed per `windowSeconds` per key (required, at least 1). Also the burst: a quiet key may send this many at once, then earns them back at threshold/windowSeconds per second (a token bucket)."),
  windowSeconds: z
    .number()
    .positive()
    .max(86_400)
    .default(1)
    .describe("The window in seconds over which `threshold` events are allowed (default 1; fractions allowed; at most 86400, one day)."),
  key: FieldRef.optional()
    .describe(`The field to throttle by (\`remoteIp\`) (${FIELD_REF_HELP}): each value gets its own budget (values compared as text; events without the field share one budget). Default: absent, one budget for the whole stream.`),
  maxKeys: z
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe("Most keys tracked at once (default 10000, at most 1e6): past it, the least recently seen key is forgotten (it starts again with a full budget), so a flood of distinct keys cannot exhaust memory."),
});
export type ThrottleOptions = z.infer<typeof ThrottleOptions>;
