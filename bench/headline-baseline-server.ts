/**
 * The bare-Node baseline of bench/headline.bench.ts (forked by it; not run by hand): what a good
 * engineer would write for exactly the headline job, in one process with no framework.
 * Syslog over TCP with RFC 6587 octet counting, the RFC 5424 header parsed by hand from the
 * Buffer, structured data kept as one raw string, a substring filter on MSGID, and one SSE
 * endpoint that sends the kept events as a `trace` batch every 100 ms. No replay, no ids of its
 * own beyond a counter, no metrics, no acknowledgements.
 *
 * argv[2]: JSON `{ syslogPort, httpPort, keep }`. Replies `{ t: "ready", pid }` over IPC.
 */
import http from "node:http";
import net from "node:net";

const { syslogPort, httpPort, keep } = JSON.parse(process.argv[2]) as { syslogPort: number; httpPort: number; keep: string };

const SP = 0x20;
let seq = 0;
let pending: string[] = [];
let lastId = "";
const clients = new Set<http.ServerResponse>();
/** A client more than this behind loses batches rather than growing the heap. */
const MAX_CLIENT_BUFFER = 8 * 1024 * 1024;

/** Position of the next SP at or after `p` (or `end`). */
function nextSp(b: Buffer, p: number, end: number): number {
  while (p < end && b[p] !== SP) p++;
  return p;
}

/** One RFC 5424 message b[start, end): parsed, filtered, serialised into the next batch. */
function onMessage(b: Buffer, start: number, end: number): void {
  let p = b.indexOf(0x3e, start) + 1; // after <PRI>
  if (p <= 0 || p >= end) return;
  const pri = Number(b.toString("latin1", start + 1, p - 1));
  p = nextSp(b, p, end) + 1; // skip VERSION
  let q = nextSp(b, p, end);
  const timestamp = b.toString("latin1", p, q);
  p = q + 1;
  q = nextSp(b, p, end);
  const hostname = b.toString("latin1", p, q);
  p = q + 1;
  q = nextSp(b, p, end);
  const appName = b.toString("latin1", p, q);
  p = q + 1;
  q = nextSp(b, p, end);
  const procId = b.toString("latin1", p, q);
  p = q + 1;
  q = nextSp(b, p, end);
  const msgId = b.toString("latin1", p, q);
  if (!msgId.includes(keep)) return;
  p = q + 1;
  // STRUCTURED-DATA as a blob: `-` or [..][..], with `\]` escapes inside values.
  let sd: string | undefined;
  if (b[p] === 0x5b) {
    q = p;
    while (q < end && b[q] === 0x5b) {
      q++;
      while (q < end && b[q] !== 0x5d) q += b[q] === 0x5c ? 2 : 1;
      q++;
    }
    sd = b.toString("utf8", p, q);
  } else q = p + 1;
  const message = q + 1 < end ? b.toString("utf8", q + 1, end) : "";
  lastId = String(++seq);
  pending.push(
    JSON.stringify({
      id: lastId,
      type: "syslog.message",
      createdAt: timestamp,
      text: message,
      data: { facility: pri >> 3, severity: pri & 7, hostname, appName, procId, msgId, structuredData: sd, message },
    }),
  );
}

/** RFC 6587 octet counting per connection; a frame split across reads is kept until complete. */
function onConnection(socket: net.Socket): void {
  let rest: Buffer | undefined;
  socket.on("data", (chunk: Buffer) => {
    const b = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = undefined;
    let p = 0;
    while (p < b.length) {
      let q = p;
      let len = 0;
      while (q < b.length && b[q] !== SP) len = len * 10 + (b[q++] - 0x30);
      if (q >= b.length || q + 1 + len > b.length) {
        rest = b.subarray(p);
        break;
      }
      onMessage(b, q + 1, q + 1 + len);
      p = q + 1 + len;
    }
  });
  socket.on("error", () => socket.destroy());
}

setInterval(() => {
  if (pending.length === 0) return;
  const frame = `id: ${lastId}\nevent: trace\ndata: [${pending.join(",")}]\n\n`;
  pending = [];
  for (const res of clients) if (res.writableLength < MAX_CLIENT_BUFFER) res.write(frame);
}, 100);

const web = http.createServer((req, res) => {
  if (req.url?.startsWith("/api/telemetry/traces/live") !== true) return void res.writeHead(404).end();
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
  res.write(":\n\n");
  clients.add(res);
  res.on("close", () => clients.delete(res));
});

const syslog = net.createServer(onConnection);
await Promise.all([
  new Promise<void>((resolve) => syslog.listen(syslogPort, "127.0.0.1", resolve)),
  new Promise<void>((resolve) => web.listen(httpPort, "127.0.0.1", resolve)),
]);
process.send!({ t: "ready", pid: process.pid });
process.on("disconnect", () => process.exit(0));
