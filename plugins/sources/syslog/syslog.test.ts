import { afterEach, describe, expect, it } from "vitest";
import net from "node:net";
import dgram from "node:dgram";
import { z } from "zod";
import { PluginProblems, type Source } from "../../../core/index.js";
import { createPlugin, DeliveryHub, MetricsRegistry } from "../../../core/testing.js";
import pino from "pino";
import { asyncScheduler } from "rxjs";
import syslog from "./index.js";
import { SyslogOptions } from "./options.js";
import type { SyslogSource } from "./syslog.js";
import { closed, connectTcp, octet, sendTcp, sendUdp, startSyslog, type Running } from "./test-helpers.js";
import { until } from "../../../test/support/until.js";

const running: Running[] = [];
async function start(options: Record<string, unknown> = {}): Promise<Running> {
  const r = await startSyslog(options);
  running.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const counter = (m: MetricsRegistry, id: string) => m.snapshot((x) => x === id)[0] as { value: number } | undefined;

describe("syslog source over UDP", () => {
  it("is built by core with its options and receives a datagram", async () => {
    const metrics = new MetricsRegistry();
    const { plugin } = createPlugin(syslog, { address: "127.0.0.1:0" }, { metrics });
    const source = plugin as SyslogSource;
    await source.start();
    const got: unknown[] = [];
    const sub = (source as Source).events().subscribe((e) => got.push(e));
    await sendUdp(source.boundAddress()!.port, ["<13>Nov 25 12:46:39 vm root: hello"]);
    await until(() => got.length === 1, "1 event");
    expect(got[0]).toMatchObject({ type: "syslog.message", data: { hostname: "vm", appName: "root", message: "hello", remoteIp: "127.0.0.1" } });
    sub.unsubscribe();
    await source.stop();
  });

  it("drops and counts datagrams at maxPendingEvents, and takes them again once events settled", async () => {
    const metrics = new MetricsRegistry();
    // One consumer that never confirms, as a stalled pipeline would be.
    const delivery = new DeliveryHub({ metrics, scheduler: asyncScheduler, logger: pino({ level: "silent" }), defaultFanout: 1 });
    const { plugin } = createPlugin(syslog, { address: "127.0.0.1:0", maxPendingEvents: 5 }, { metrics, delivery });
    const source = plugin as SyslogSource;
    await source.start();
    const got: { type: string }[] = [];
    const sub = (source as Source).events().subscribe((e) => got.push(e));
    const port = source.boundAddress()!.port;
    for (let i = 0; i < 20; i++) await sendUdp(port, [`<13>Nov 25 12:46:39 vm root: n${i}`]);
    await until(() => got.length + (counter(metrics, "sources.syslog.dropped")?.value ?? 0) === 20, "20 datagrams taken or dropped");
    expect(got).toHaveLength(5);
    expect(counter(metrics, "sources.syslog.dropped")?.value).toBe(15);
    // The pipeline confirms what it holds: datagrams are taken again.
    for (const e of got.splice(0)) delivery.release(e as never);
    await sendUdp(port, ["<13>Nov 25 12:46:39 vm root: after"]);
    await until(() => got.length === 1, "1 event");
    sub.unsubscribe();
    await source.stop();
  });

  it("listens on IPv6 and reports the IPv6 remoteIp", async () => {
    const r = await start({ address: "[::1]:0" });
    expect(r.source.boundAddress()).toMatchObject({ address: "::1", family: "IPv6" });
    await sendUdp(r.port, ["<14>1 - - - - - - over v6"], "::1");
    const [e] = await r.waitFor(1);
    expect(e.data).toMatchObject({ message: "over v6", remoteIp: "::1" });
  });

  it("keeps datagrams that arrive between start() and the first subscription", async () => {
    const metrics = new MetricsRegistry();
    const { plugin } = createPlugin(syslog, { address: "127.0.0.1:0" }, { metrics });
    const source = plugin as SyslogSource;
    await source.start();
    await sendUdp(source.boundAddress()!.port, ["<13>1 - - - - - - early"]);
    await new Promise((r) => setTimeout(r, 50));
    const got: unknown[] = [];
    const sub = source.events().subscribe((e) => got.push(e));
    await until(() => got.length === 1, "1 event");
    expect(got[0]).toMatchObject({ data: { message: "early" } });
    sub.unsubscribe();
    await source.stop();
  });

  it("turns garbage into syslog.unparsed and counts it", async () => {
    const r = await start();
    await sendUdp(r.port, ["not syslog at all", Buffer.from([0xff, 0xfe, 0x00])]);
    const events = await r.waitFor(2);
    expect(events.map((e) => e.type)).toEqual(["syslog.unparsed", "syslog.unparsed"]);
    expect(events[0].data).toMatchObject({ message: "not syslog at all", remoteIp: "127.0.0.1" });
    expect(events[1].data.message).toBe("\uFFFD\uFFFD\u0000");
    expect(counter(r.metrics, "syslog.parse-errors")?.value).toBe(2);
  });

  it("truncates a datagram over maxLength", async () => {
    const r = await start({ maxLength: 480 });
    await sendUdp(r.port, [`<13>1 - - - - - - ${"y".repeat(1000)}`]);
    const [e] = await r.waitFor(1);
    expect(e.data.truncated).toBe(true);
    expect((e.data.message as string).length).toBe(480 - "<13>1 - - - - - - ".length);
    expect(counter(r.metrics, "syslog.truncated")?.value).toBe(1);
  });
});

describe.each([false, true])("syslog source over TCP (threaded: %s)", (threaded) => {
  it("reads octet-counted and LF frames on the same connection (auto)", async () => {
    const r = await start({ threaded, mode: "tcp" });
    await sendTcp(r.port, [octet("<13>1 - h a - - - one\nstill one"), "<13>Nov 25 12:00:00 h t: two\n", "<13>1 - h a - - - thr", "ee\n"]);
    const events = await r.waitFor(3);
    expect(events.map((e) => e.data.message)).toEqual(["one\nstill one", "two", "three"]);
  });

  it("emits the partial frame of a client that disconnects mid-frame", async () => {
    const r = await start({ threaded, mode: "tcp" });
    const s = await sendTcp(r.port, ["<13>1 - h a - - - complete but no LF"]);
    await closed(s);
    const s2 = await sendTcp(r.port, ["99 <13>1 - h a - - - cut short"]);
    await closed(s2);
    const events = await r.waitFor(2);
    expect(events[0]).toMatchObject({ type: "syslog.message", data: { message: "complete but no LF" } });
    expect(events[1]).toMatchObject({ type: "syslog.unparsed", data: { message: "<13>1 - h a - - - cut short", parseError: expect.stringMatching(/stream ended after 27 of 99 bytes/) } });
  });

  it("handles a half-closed connection: frames before FIN arrive, the connection closes", async () => {
    const r = await start({ threaded, mode: "tcp" });
    const s = await connectTcp(r.port);
    s.end("<13>1 - - - - - - half\n"); // FIN, but our side of the socket stays readable
    await r.waitFor(1);
    await closed(s);
    await until(() => counter(r.metrics, "syslog.connections")?.value === 0, "syslog.connections = 0");
  });

  it("closes an idle connection after idleTimeoutSeconds, emitting its partial frame", async () => {
    const r = await start({ threaded, mode: "tcp", idleTimeoutSeconds: 0.2 });
    const s = await sendTcp(r.port, ["<13>1 - - - - - - waiting"], { end: false });
    await closed(s);
    const [e] = await r.waitFor(1);
    expect(e.data.message).toBe("waiting");
  });

  it("closes connections over maxConnections at once and counts them", async () => {
    const r = await start({ threaded, mode: "tcp", maxConnections: 2 });
    const a = await connectTcp(r.port);
    const b = await connectTcp(r.port);
    await until(() => counter(r.metrics, "syslog.connections")?.value === 2, "syslog.connections = 2");
    const c = await connectTcp(r.port);
    c.on("error", () => undefined);
    await closed(c);
    await until(() => counter(r.metrics, "syslog.connections-rejected")?.value === 1, "syslog.connections-rejected = 1");
    a.end("<13>1 - - - - - - from a\n");
    b.end("<13>1 - - - - - - from b\n");
    const events = await r.waitFor(2);
    expect(events.map((e) => e.data.message).sort()).toEqual(["from a", "from b"]);
  });

  it("serves many concurrent connections", async () => {
    const r = await start({ threaded, mode: "tcp" });
    const n = 200;
    const sockets = await Promise.all(Array.from({ length: n }, (_, i) => sendTcp(r.port, [octet(`<13>1 - h a ${i} - - m${i}`), `<13>1 - h a ${i} - - n${i}\n`])));
    const events = await r.waitFor(2 * n);
    expect(new Set(events.map((e) => e.data.message)).size).toBe(2 * n);
    await Promise.all(sockets.map(closed));
    await until(() => counter(r.metrics, "syslog.connections")?.value === 0, "syslog.connections = 0");
  });

  it("truncates a huge frame without stalling the connection", async () => {
    const r = await start({ threaded, mode: "tcp", maxLength: 1024 });
    const huge = `<13>1 - h a - - - ${"z".repeat(3 * 1024 * 1024)}`;
    await sendTcp(r.port, [octet(huge), octet("<13>1 - h a - - - after"), `<13>1 - h a - - - ${"w".repeat(5000)}\n<13>1 - h a - - - last\n`]);
    const events = await r.waitFor(4);
    expect(events.map((e) => [e.data.truncated ?? false, (e.data.message as string).slice(0, 5)])).toEqual([
      [true, "zzzzz"],
      [false, "after"],
      [true, "wwwww"],
      [false, "last"],
    ]);
    expect(counter(r.metrics, "syslog.truncated")?.value).toBe(2);
  });

  it("uses newline framing only when told to", async () => {
    const r = await start({ threaded, mode: "tcp", framing: "newline" });
    await sendTcp(r.port, ["12 <13>hello x\n"]);
    const [e] = await r.waitFor(1);
    expect(e.type).toBe("syslog.unparsed");
    expect(e.data.message).toBe("12 <13>hello x");
  });

  it("reports an IPv4 peer on a dual-stack socket as plain IPv4", async () => {
    const r = await start({ threaded, mode: "tcp", address: "[::]:0" });
    await sendTcp(r.port, ["<13>1 - - - - - - dual\n"]);
    const [e] = await r.waitFor(1);
    expect(e.data.remoteIp).toBe("127.0.0.1");
  });

  it("gives each connection's events its own remoteIp and order, however their reads interleave", async () => {
    const r = await start({ threaded, mode: "tcp" });
    const from = (localAddress: string) =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ port: r.port, host: "127.0.0.1", localAddress }, () => resolve(s));
        s.once("error", reject);
      });
    const peers = await Promise.all(["127.0.0.1", "127.0.0.2", "127.0.0.3"].map(from));
    for (let i = 0; i < 50; i++) {
      peers.forEach((s, k) => s.write(octet(`<13>1 - host${k + 1} a - - [n i="${i}"] from ${k + 1}`)));
    }
    const events = await r.waitFor(150);
    for (const [k, s] of peers.entries()) {
      const mine = events.filter((e) => e.data.hostname === `host${k + 1}`);
      expect(mine.map((e) => (e.data.structuredData as Record<string, { i: string }>).n.i)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
      expect(new Set(mine.map((e) => e.data.remoteIp))).toEqual(new Set([`127.0.0.${k + 1}`]));
      s.destroy();
    }
  });
});

describe.each([false, true])("syslog source lifecycle (threaded: %s)", (threaded) => {
  it("reports an address in use as a startup problem at [\"address\"]", async () => {
    for (const mode of ["udp", "tcp"] as const) {
      const r = await start({ threaded, mode });
      const { plugin } = createPlugin(syslog, { threaded, mode, address: `127.0.0.1:${r.port}` });
      const err = await (plugin as Source).start!().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PluginProblems);
      expect((err as PluginProblems).problems).toEqual([{ path: ["address"], message: `127.0.0.1:${r.port} is already in use` }]);
    }
  });

  it("drain(): stops accepting, emits partial frames, closes and completes", async () => {
    const r = await start({ threaded, mode: "tcp" });
    const s = await sendTcp(r.port, ["<13>1 - - - - - - full\n<13>1 - - - - - - partial"], { end: false });
    await r.waitFor(1);
    r.source.drain();
    await until(r.completed, "the source to complete");
    expect(r.events.map((e) => e.data.message)).toEqual(["full", "partial"]);
    await closed(s);
    const err = await connectTcp(r.port).then(
      (c) => (c.destroy(), undefined),
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(err).toBe("ECONNREFUSED");
  });

  it("drain() on UDP completes and frees the port", async () => {
    const r = await start();
    r.source.drain();
    await until(r.completed, "the source to complete");
    const again = await startSyslog({ address: `127.0.0.1:${r.port}` });
    await again.close();
  });

  it("closes everything on the last unsubscribe and binds again on the next subscription", async () => {
    const r = await start({ threaded, mode: "tcp" });
    const s = await connectTcp(r.port);
    s.on("error", () => undefined);
    await until(() => counter(r.metrics, "syslog.connections")?.value === 1, "syslog.connections = 1");
    r.sub.unsubscribe();
    await closed(s);
    await until(() => counter(r.metrics, "syslog.connections")?.value === 0, "syslog.connections = 0");
    // The port is free again: a plain server can take it.
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer().once("error", reject);
      probe.listen(r.port, "127.0.0.1", () => probe.close(() => resolve()));
    });
    const got: unknown[] = [];
    const sub = r.source.events().subscribe((e) => got.push(e));
    await until(() => r.source.boundAddress() !== undefined, "the source to bind");
    await sendTcp(r.source.boundAddress()!.port, ["<13>1 - - - - - - again\n"]);
    await until(() => got.length === 1, "1 event");
    sub.unsubscribe();
  });

  it("shares one socket between concurrent subscribers", async () => {
    const r = await start();
    const other: unknown[] = [];
    const sub = r.source.events().subscribe((e) => other.push(e));
    await sendUdp(r.port, ["<13>1 - - - - - - both"]);
    await r.waitFor(1);
    await until(() => other.length === 1, "1 event on the other source");
    sub.unsubscribe();
  });

  it("stop() is safe twice and without start(), and frees a started but unused socket", async () => {
    const { plugin } = createPlugin(syslog, { address: "127.0.0.1:0", mode: "udp" });
    const source = plugin as SyslogSource;
    await source.stop();
    await source.stop();
    await source.start();
    const port = source.boundAddress()!.port;
    await source.stop();
    await source.stop();
    expect(source.boundAddress()).toBeUndefined();
    await new Promise<void>((resolve, reject) => {
      const probe = dgram.createSocket("udp4").once("error", reject);
      probe.bind(port, "127.0.0.1", () => probe.close(() => resolve()));
    });
  });

  it("reports unreadable TLS files at their option paths", async () => {
    const { plugin } = createPlugin(syslog, { mode: "tls", address: "127.0.0.1:0", cert: "/nonexistent/cert.pem", key: "/nonexistent/key.pem" });
    const err = (await (plugin as Source).start!().catch((e: unknown) => e)) as PluginProblems;
    expect(err.problems.map((p) => p.path)).toEqual([["cert"], ["key"]]);
    expect(err.problems[0].message).toBe('cannot read "/nonexistent/cert.pem": ENOENT');
  });
});

describe("syslog options", () => {
  it("describes every option", () => {
    const json = z.toJSONSchema(SyslogOptions, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [key, prop] of Object.entries(json.properties)) expect(prop.description, key).toMatch(/default|required|optional/);
  });

  it("has the documented defaults", () => {
    expect(SyslogOptions.parse({})).toEqual({
      mode: "udp",
      address: "127.0.0.1:5514",
      framing: "auto",
      maxLength: 102400,
      maxConnections: 1000,
      idleTimeoutSeconds: 0,
      timezone: "UTC",
      threaded: false,
      maxPendingEvents: 10000,
      ackTimeoutMs: 10000,
    });
  });

  it.each([
    [{ mode: "tls" }, ["cert", "key"], /needs a certificate file/],
    [{ mode: "tcp", cert: "/x.pem" }, ["cert"], /only used with mode "tls"/],
    [{ address: "localhost" }, ["address"], /not host:port/],
    [{ address: "127.0.0.1:70000" }, ["address"], /over 65535/],
    [{ timezone: "Europe/Pariss" }, ["timezone"], /did you mean "Europe\/Paris"/],
    [{ timezone: "+25:00" }, ["timezone"], /hours 00-23/],
    [{ maxLength: 100 }, ["maxLength"], /480/],
    [{ mode: "tpc" }, ["mode"], /udp|tcp|tls/],
    [{ framing: "lines" }, ["framing"], /auto/],
    [{ adress: "x" }, [""], /adress/],
  ])("rejects %j", (o, paths, message) => {
    const r = SyslogOptions.safeParse(o);
    expect(r.success).toBe(false);
    const issues = r.error!.issues;
    expect(issues.map((i) => i.path.join(".") || "")).toEqual(paths);
    expect(issues.map((i) => i.message + JSON.stringify(i)).join(" ")).toMatch(message);
  });

  it("accepts IANA zones, fixed offsets and IPv6 addresses", () => {
    for (const o of [{ timezone: "America/New_York" }, { timezone: "-03:30" }, { address: "[::1]:514" }, { address: "0.0.0.0:514" }]) {
      expect(SyslogOptions.safeParse(o).success, JSON.stringify(o)).toBe(true);
    }
  });
});
