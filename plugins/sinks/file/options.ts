import { z } from "zod";

export const FileOptions = z.strictObject({
  path: z
    .string()
    .min(1)
    .describe("File the events are appended to as JSON lines (required; relative to the working directory). Missing parent directories are created."),
  flushIntervalMs: z
    .int()
    .min(0)
    .max(60_000)
    .default(100)
    .describe(
      "Longest time in ms a line waits in memory before it is handed to the OS (default 100; 0 to 60000; 0 = at the end of each burst). " +
        "Lines waiting together are written as one batch; 256 KiB of them are written at once. Not an fsync: see `fsync`.",
    ),
  maxBufferBytes: z
    .int()
    .min(64 * 1024)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024)
    .describe(
      "Bytes of lines held while the disk is slower than the pipeline (default 67108864 = 64 MiB; 65536 to 1073741824). " +
        "Past it events are dropped, counted in the `events.dropped` and `file.dropped` metrics and warned about at most once a second.",
    ),
  fsync: z
    .boolean()
    .default(true)
    .describe(
      "fsync before an event counts as delivered (grouped: one fsync at a time covers every line written before it), and when the input ends and on stop, so what was confirmed to its source survives a crash of the machine (default true). false: an event is delivered once handed to the OS, which survives a crash of livetap but not of the machine.",
    ),
});
export type FileOptions = z.infer<typeof FileOptions>;
