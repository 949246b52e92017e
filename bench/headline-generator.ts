/**
 * Load generator of bench/headline.bench.ts (forked by it; not run by hand): `connections` TCP
 * sockets to 127.0.0.1:`port` writing RFC 6587 octet-counted frames of ~250-byte RFC 5424
 * lines with one structured-data element, half with MSGID `ACCESS` and half `AUDIT` (the
 * headline filter keeps `ACCESS`).
 *
 * `rate` 0: as fast as the sockets take it (pre-built frames, backpressure honoured).
 * `rate` > 0: paced, what is due every millisecond tick, each line carrying its send time as
 * `sent=<epoch ms>` in MSG so the reading client can measure latency.
 * Replies `{ t: "done", sent, startedAt, endedAt }` (epoch ms) and exits.
 */
import net from "node:net";
import { performance } from "node:perf_hooks";

export interface GeneratorJob {
  port: number;
  total: number;
  rate: number;
  connections: number;
}

const nowMs = (): number => performance.timeOrigin + performance.now();

const APPS = ["nginx", "sshd", "postfix-smtpd", "kubelet", "api-gateway", "billing-worker"];
const ROUTES = ["/api/v1/orders", "/api/v1/users/me", "/healthz", "/api/v2/search?q=shoes", "/static/app.js"];

/** Line `i`; `sent` goes at the end of MSG (padded so every line is about 250 bytes). */
export function headlineLine(i: number, sent = 0): string {
  const stamp = new Date(Date.UTC(2026, 10, 25, 11, 0, 0) + i).toISOString().replace("Z", "123+01:00");
  const route = ROUTES[i % ROUTES.length];
  const head =
    `<${128 + (i % 64)}>1 ${stamp} web-${String(i % 32).padStart(2, "0")}.prod.example.com ${APPS[i % APPS.length]} ${10_000 + (i % 1000)} ` +
    `${i % 2 === 0 ? "ACCESS" : "AUDIT"} [req@32473 id="f3c9a1b2-77aa-4e1b-${String(i % 10_000).padStart(4, "0")}" status="${[200, 201, 404, 500][i % 4]}"] ` +
    `GET ${route} ${1000 + (i % 1000)} "Mozilla/5.0 (X11; Linux x86_64)" sent=${sent.toFixed(3)}`;
  return head.padEnd(250, " ");
}

const frame = (line: string): Buffer => {
  const b = Buffer.from(line);
  return Buffer.concat([Buffer.from(`${b.length} `), b]);
};

function run(job: GeneratorJob): void {
  const startedAt = nowMs();
  const pool = Buffer.concat(Array.from({ length: 1024 }, (_, i) => frame(headlineLine(i))));
  let closed = 0;
  let sentTotal = 0;
  for (let c = 0; c < job.connections; c++) {
    const share = Math.floor(job.total / job.connections) + (c < job.total % job.connections ? 1 : 0);
    const socket = net.connect({ port: job.port, host: "127.0.0.1" }, () => (job.rate > 0 ? paced(socket, share, c) : flat(socket, share)));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (++closed === job.connections) {
        process.send!({ t: "done", sent: sentTotal, startedAt, endedAt: nowMs() }, () => process.exit(0));
      }
    });
  }

  // Saturated: 1024 frames per write, waiting for drain when the kernel buffer is full.
  function flat(socket: net.Socket, share: number): void {
    let sent = 0;
    const pump = (): void => {
      while (sent < share) {
        const n = Math.min(1024, share - sent);
        sent += n;
        sentTotal += n;
        const chunk = n === 1024 ? pool : Buffer.concat(Array.from({ length: n }, (_, i) => frame(headlineLine(i))));
        if (!socket.write(chunk)) return void socket.once("drain", pump);
      }
      socket.end();
    };
    pump();
  }

  // Paced: this connection's share of what is due by now, fresh lines stamped at send time.
  function paced(socket: net.Socket, share: number, c: number): void {
    const perConnection = job.rate / job.connections;
    const t0 = nowMs();
    let sent = 0;
    const tick = (): void => {
      const due = Math.min(share, Math.floor(((nowMs() - t0) * perConnection) / 1000));
      const frames: Buffer[] = [];
      const now = nowMs();
      for (; sent < due; sent++) frames.push(frame(headlineLine(sent * job.connections + c, now)));
      sentTotal += frames.length;
      if (frames.length) socket.write(Buffer.concat(frames));
      if (sent < share) setTimeout(tick, 1);
      else socket.end();
    };
    setTimeout(tick, 1);
  }
}

process.once("message", (job: GeneratorJob) => run(job));
process.on("disconnect", () => process.exit(0));
