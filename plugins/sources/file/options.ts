import { z } from "zod";
import { DeliveryOptionsShape } from "../../../core/index.js";

export const MAX_LINE_BYTES_LIMIT = 64 * 1024 * 1024;

const glob = z.string().min(1, "must not be empty");

export const FileOptions = z.strictObject({
  include: z
    .array(glob)
    .min(1, "needs at least one glob")
    .describe(
      'Globs of the files to tail (required), e.g. ["/var/log/app/*.log", "/var/log/nginx/**/*.log"]. Relative globs are relative to the working directory. ' +
        "`*`, `?`, `[a-z]`, `{a,b}` and `**` (any depth, at most 16 levels) as in picomatch; directories are re-scanned every `globIntervalMs`.",
    ),
  exclude: z
    .array(glob)
    .default([])
    .describe(
      'Globs of files never to tail even when `include` matches them (default none), e.g. ["*.gz", "/var/log/app/debug.log"]. ' +
        "A glob without a slash is matched against the file name alone.",
    ),
  readFrom: z
    .enum(["beginning", "end"])
    .default("end")
    .describe(
      'Where to start in files found at start-up when there is no checkpoint yet (default "end": only new lines; "beginning": the whole file). ' +
        "Files that appear later, and every file once a checkpoint exists, are read from their start, so rotation never loses lines.",
    ),
  eventType: z
    .string()
    .max(200)
    .regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/, 'must be a lowercase dotted event type such as "file.line"')
    .default("file.line")
    .describe('Event type of text lines and of JSON-object lines without a string `type` field (default "file.line").'),
  encoding: z
    .enum(["utf8", "latin1"])
    .default("utf8")
    .describe('Character encoding of the files (default "utf8"; "latin1" for ISO-8859-1). Invalid UTF-8 bytes become U+FFFD, never an error.'),
  maxLineBytes: z
    .int()
    .min(64)
    .max(MAX_LINE_BYTES_LIMIT)
    .default(1024 * 1024)
    .describe(
      "Longest line kept whole, in bytes (default 1048576 = 1 MiB; 64 to 67108864). What happens to longer lines is `longLines`; " +
        "memory per file stays at about this much.",
    ),
  longLines: z
    .enum(["truncate", "split"])
    .default("truncate")
    .describe(
      'Lines longer than `maxLineBytes` (default "truncate"): "truncate" keeps the first maxLineBytes (cut at a character boundary) with `data.truncated: true` ' +
        'and skips the rest; "split" emits every maxLineBytes piece as its own event with `data.split: true`. Counted in `file.truncated-lines` either way.',
    ),
  lineTimeoutMs: z
    .int()
    .min(1)
    .max(3_600_000)
    .default(1000)
    .describe(
      "A last line without its newline is emitted as it is once the file has been idle this long, in ms (default 1000; 1 to 3600000); at stop it is emitted at once.",
    ),
  pollIntervalMs: z
    .int()
    .min(10)
    .max(60_000)
    .default(250)
    .describe(
      "How often every tracked file is checked for new data, in ms (default 250; 10 to 60000). One timer for all files; " +
        "file-system notifications (inotify) wake the source earlier where they work.",
    ),
  globIntervalMs: z
    .int()
    .min(10)
    .max(3_600_000)
    .default(1000)
    .describe("How often the `include` globs are re-scanned for new, renamed and deleted files, in ms (default 1000; 10 to 3600000)."),
  rotateWaitMs: z
    .int()
    .min(0)
    .max(3_600_000)
    .default(5000)
    .describe(
      "A file renamed out of the globs or deleted is read to its end, then kept open until it has not grown for this long, in ms, " +
        "for writers that have not reopened yet (default 5000; 0 to 3600000).",
    ),
  fingerprintBytes: z
    .int()
    .min(16)
    .max(65_536)
    .default(1024)
    .describe(
      "A file is recognised by its device and inode plus a hash of its first bytes, this many (default 1024; 16 to 65536); a shorter file is hashed whole and again as it grows. " +
        "Raise it when many files start with the same long header.",
    ),
  checkpointIntervalMs: z
    .int()
    .min(10)
    .max(600_000)
    .default(1000)
    .describe(
      "How often read positions are saved under `dataDir`, in ms (default 1000; 10 to 600000). A position covers only lines every sink confirmed (CONTRACT 7), " +
        "so a crash loses nothing; after one, the lines in flight and those confirmed since the last save (about this long) are read again.",
    ),
  maxOpenFiles: z
    .int()
    .min(1)
    .max(65_536)
    .default(1024)
    .describe(
      "Most files held open at once (default 1024; 1 to 65536). Beyond it idle files are closed and checked again at each glob scan, and new files wait for room.",
    ),
  ...DeliveryOptionsShape,
});
export type FileOptions = z.infer<typeof FileOptions>;
