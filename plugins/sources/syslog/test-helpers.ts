/**
 * Test helpers for the syslog source (imported by tests only): a started source on 127.0.0.1
 * port 0, its events, and bounded waits.
 */
import dgram from "node:dgram";
import net from "node:net";
import pino from "pino";
import { asyncScheduler, type Subscription } from "rxjs";
import type { LiveEventInput } from "../../../core/index.js";
import { componentMetrics, MetricsRegistry } from "../../../core/testing.js";
import { until } from "../../../test/support/until.js";
import { SyslogOptions } from "./options.js";
import { SyslogSource } from "./syslog.js";

export interface Running {
  source: SyslogSource;
  events: LiveEventInput[];
  sub: Subscription;
  port: number;
  host: string;
  metrics: MetricsRegistry;
  completed: () => boolean;
  /** Resolves once `n` events arrived (rejects after `ms`, with what did arrive). */
  waitFor(n: number, ms?: number): Promise<LiveEventInput[]>;
  close(): Promise<void>;
}

export async function startSyslog(options: Record<string, unknown> = {}): Promise<Running> {
  const metrics = new MetricsRegistry();
  // Built directly (not by core/testing's createPlugin): plugin files import only core/index.
  const source = new SyslogSource(SyslogOptions.parse({ address: "127.0.0.1:0", ...options }), pino({ level: "silent" }), componentMetrics(metrics, "sources.syslog"), asyncScheduler);
  await source.start();
  const events: LiveEventInput[] = [];
  let done = false;
  const sub = source.events().subscribe({ next: (e) => events.push(e), complete: () => (done = true) });
  const bound = source.boundAddress()!;
  return {
    source,
    events,
    sub,
    port: bound.port,
    host: bound.address,
    metrics,
    completed: () => done,
    async waitFor(n, ms = 10_000) {
      await until(() => events.length >= n, `${n} events (got ${events.length}: ${JSON.stringify(events.slice(-3))})`, ms);
      return events;
    },
    async close() {
      sub.unsubscribe();
      await source.stop();
    },
  };
}

export function sendUdp(port: number, messages: (string | Buffer)[], host = "127.0.0.1"): Promise<void> {
  const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
  return new Promise<void>((resolve, reject) => {
    let i = 0;
    const next = (): void => {
      if (i >= messages.length) {
        socket.close();
        resolve();
        return;
      }
      socket.send(messages[i++], port, host, (err) => (err ? reject(err) : next()));
    };
    next();
  });
}

/** Opens a TCP connection, writes `data` (in pieces when given several), then optionally ends it. */
export async function connectTcp(port: number, host = "127.0.0.1"): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host }, () => resolve(s));
    s.once("error", reject);
  });
}

export async function sendTcp(port: number, pieces: (string | Buffer)[], opts: { end?: boolean; host?: string } = {}): Promise<net.Socket> {
  const s = await connectTcp(port, opts.host);
  s.on("error", () => undefined);
  for (const p of pieces) {
    await new Promise<void>((resolve) => s.write(p, () => resolve()));
  }
  if (opts.end !== false) s.end();
  return s;
}

export const octet = (msg: string | Buffer): Buffer => {
  const b = Buffer.isBuffer(msg) ? msg : Buffer.from(msg);
  return Buffer.concat([Buffer.from(`${b.length} `), b]);
};

export function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed && s.readyState === "closed" ? resolve() : s.once("close", () => resolve())));
}
