import { z } from "zod";
import { DeliveryOptionsShape } from "../../../core/index.js";
import { didYouMean, parseAddress } from "../../../core/kit.js";
import { parseZone } from "./time.js";

/** RFC 5424 6.1: receivers must take 480 bytes; nothing shorter makes sense. */
export const MIN_MAX_LENGTH = 480;
export const MAX_MAX_LENGTH = 16 * 1024 * 1024;

function zoneProblem(spec: string): string | undefined {
  const zone = parseZone(spec);
  if (typeof zone !== "string") return undefined;
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const hint = didYouMean(spec, [...known, "UTC"]);
  return hint ? `${zone} (did you mean "${hint}"?)` : zone;
}

export const SyslogOptions = z
  .strictObject({
    mode: z
      .enum(["udp", "tcp", "tls"])
      .default("udp")
      .describe(
        'Transport (default "udp", what `logger -n` sends): "udp" (RFC 5426, one message per datagram), "tcp" (RFC 6587) or "tls" (RFC 5425; needs `cert` and `key`).',
      ),
    address: z
      .string()
      .default("127.0.0.1:5514")
      .superRefine((value, ctx) => {
        const parsed = parseAddress(value);
        if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
      })
      .describe(
        'host:port to listen on (default "127.0.0.1:5514"; IPv6 as "[::1]:5514"; "0.0.0.0:514" for every interface, ports below 1024 need privileges; port 0 picks a free one). Bound at startup: an address in use is a startup error.',
      ),
    framing: z
      .enum(["auto", "octet-counting", "newline"])
      .default("auto")
      .describe(
        'RFC 6587 framing on tcp/tls (default "auto": decided per frame, a frame that starts with digits and a space is octet-counted, anything else ends at LF, as rsyslog and Vector do). "octet-counting": every frame must be `LEN SP MSG` (others become syslog.unparsed up to the next LF). "newline": every frame ends at LF. Ignored for udp.',
      ),
    maxLength: z
      .int()
      .min(MIN_MAX_LENGTH)
      .max(MAX_MAX_LENGTH)
      .default(100 * 1024)
      .describe(
        `Longest message kept, in bytes (default 102400 = 100 KiB; ${MIN_MAX_LENGTH} to ${MAX_MAX_LENGTH}). A longer one is cut there (at a character boundary) and gets \`data.truncated: true\`; the rest of it is skipped, so a connection holds at most this much.`,
      ),
    maxConnections: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(1000)
      .describe("Most open tcp/tls connections (default 1000; 1 to 1000000). Further ones are closed at once and counted in `syslog.connections-rejected`."),
    idleTimeoutSeconds: z
      .number()
      .min(0)
      .max(86_400)
      .default(0)
      .describe(
        "Close a tcp/tls connection after this many seconds without data (default 0 = never; fractions allowed; at most 86400). A partial frame it left is emitted first. Dead peers are also found by TCP keepalive (probes after 60 s idle) with or without it.",
      ),
    timezone: z
      .string()
      .default("UTC")
      .superRefine((value, ctx) => {
        const problem = zoneProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .describe(
        'Zone of timestamps that carry no offset, as RFC 3164 ones (default "UTC"): an IANA name such as "Europe/Paris" (daylight saving included) or a fixed "+HH:MM" / "-HH:MM".',
      ),
    threaded: z
      .boolean()
      .default(false)
      .describe(
        'tcp/tls: read, frame and scan the connections in a thread of their own (default false: on the main thread). For high-rate ingest on a machine with a core to spare: the main thread then only builds the events and runs the pipeline, so more messages per second where it is the limit (cheap sinks, idle cores). Costs about 1 us of CPU more per message (the thread scans the bytes the main thread then builds the event from), which is throughput lost where the cores are busy anyway. Memory: at most 4 MiB of read batches wait for the main thread. A thread that fails fails the source (logged). Ignored for udp.',
      ),
    cert: z.string().min(1).optional().describe('TLS certificate chain, PEM file path (mode "tls": required). Read at startup.'),
    key: z.string().min(1).optional().describe('TLS private key, PEM file path (mode "tls": required). Read at startup.'),
    ca: z
      .string()
      .min(1)
      .optional()
      .describe('CA certificates, PEM file path (mode "tls", optional): when set, clients must present a certificate signed by one of them (mutual TLS).'),
    // At the bound tcp/tls sockets are no longer read (the kernel's window pushes back on the
    // senders); udp datagrams are dropped and counted in `sources.<name>.dropped`.
    ...DeliveryOptionsShape,
  })
  .superRefine((o, ctx) => {
    if (o.mode === "tls") {
      if (!o.cert) ctx.addIssue({ code: "custom", path: ["cert"], message: 'mode "tls" needs a certificate file (cert)' });
      if (!o.key) ctx.addIssue({ code: "custom", path: ["key"], message: 'mode "tls" needs a private key file (key)' });
    } else {
      for (const k of ["cert", "key", "ca"] as const) {
        if (o[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: `only used with mode "tls" (mode is "${o.mode}")` });
      }
    }
  });
export type SyslogOptions = z.infer<typeof SyslogOptions>;
