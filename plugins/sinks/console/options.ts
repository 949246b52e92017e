import { z } from "zod";

export const ConsoleOptions = z.strictObject({
  format: z
    .enum(["json", "pretty"])
    .default("json")
    .describe('"json": one event per line as JSON (default, for scripts and `jq`); "pretty": one aligned human line per event (time, type, text, key=value data).'),
  color: z
    .enum(["auto", "always", "never"])
    .default("auto")
    .describe('Colors in "pretty" output (default "auto": only when stdout is a terminal and NO_COLOR is unset). JSON output is never colored.'),
  maxBufferBytes: z
    .int()
    .min(64 * 1024)
    .max(1024 * 1024 * 1024)
    .default(16 * 1024 * 1024)
    .describe(
      "Bytes of output held while stdout is slower than the pipeline (default 16777216 = 16 MiB; 65536 to 1073741824). " +
        "Past it events are dropped, counted in the `events.dropped` and `console.dropped` metrics and warned about at most once a second.",
    ),
});
export type ConsoleOptions = z.infer<typeof ConsoleOptions>;
