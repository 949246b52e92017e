import { z } from "zod";
import { DeliveryOptionsShape } from "../../../core/index.js";

export const MAX_LINE_BYTES_LIMIT = 64 * 1024 * 1024;

export const StdinOptions = z.strictObject({
  eventType: z
    .string()
    .max(200)
    .regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/, 'must be a lowercase dotted event type such as "stdin.line"')
    .default("stdin.line")
    .describe(
      'Event type of text lines and of JSON-object lines without a string `type` field (default "stdin.line"; lowercase words joined by dots and dashes).',
    ),
  maxLineBytes: z
    .int()
    .min(64)
    .max(MAX_LINE_BYTES_LIMIT)
    .default(1024 * 1024)
    .describe(
      "Longest line kept, in bytes (default 1048576 = 1 MiB; 64 to 67108864). A longer line is cut there (at a character boundary) " +
        "and its event gets `data.truncated: true`; the rest of it is discarded, so memory stays at about this much per source.",
    ),
  encoding: z
    .enum(["utf8", "latin1"])
    .default("utf8")
    .describe('Character encoding of the input (default "utf8"; "latin1" for ISO-8859-1). Invalid UTF-8 becomes U+FFFD, never an error.'),
  // At the bound stdin is no longer read: the writer of the pipe blocks.
  ...DeliveryOptionsShape,
});
export type StdinOptions = z.infer<typeof StdinOptions>;
