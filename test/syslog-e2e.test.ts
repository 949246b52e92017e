/**
 * The syslog source against real senders on loopback: util-linux `logger`, a TLS client with
 * a certificate made at test time (openssl CLI), and rsyslogd forwarding RFC 5424 over TCP
 * with octet counting. A missing tool skips its test with a message saying which.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dgram from "node:dgram";
import tls from "node:tls";
import { promisify } from "node:util";
import { octet, startSyslog, type Running } from "../plugins/sources/syslog/test-helpers.js";
import { until } from "./support/until.js";

const run = promisify(execFile);
const which = (cmd: string): string | undefined => {
  const r = spawnSync("sh", ["-c", `command -v ${cmd} || test -x /usr/sbin/${cmd} && echo /usr/sbin/${cmd}`], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim().split("\n")[0] : undefined;
};
const LOGGER = which("logger");
const OPENSSL = which("openssl");
const RSYSLOGD = which("rsyslogd");

const running: Running[] = [];
async function start(options: Record<string, unknown>): Promise<Running> {
  const r = await startSyslog(options);
  running.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "livetap-syslog-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!LOGGER)("util-linux logger (skipped when `logger` is not installed)", () => {
  it("logger -d --rfc3164 over UDP arrives with the right fields", async () => {
    const r = await start({ mode: "udp" });
    await run(LOGGER!, ["-n", "127.0.0.1", "-P", String(r.port), "-d", "--rfc3164", "hello"]);
    const [e] = await r.waitFor(1);
    expect(e.type).toBe("syslog.message");
    expect(e.data).toMatchObject({ facility: "user", severity: "notice", message: "hello", remoteIp: "127.0.0.1" });
    expect(typeof e.data.hostname).toBe("string");
    expect(typeof e.data.appName).toBe("string");
    expect(e.data).not.toHaveProperty("version");
    expect(Math.abs(Date.parse(e.createdAt!) - Date.now())).toBeLessThan(5 * 60_000);
  });

  it("logger -T --octet-count --rfc5424 with structured data arrives with the right fields", async () => {
    const r = await start({ mode: "tcp" });
    await run(LOGGER!, ["-n", "127.0.0.1", "-P", String(r.port), "-T", "--octet-count", "--rfc5424", "--sd-id", "zoo@123", "--sd-param", 'tiger="hungry"', "hi"]);
    const [e] = await r.waitFor(1);
    expect(e.type).toBe("syslog.message");
    expect(e.data).toMatchObject({ facility: "user", severity: "notice", version: 1, message: "hi", remoteIp: "127.0.0.1" });
    expect(e.data.structuredData).toEqual({ timeQuality: expect.objectContaining({ tzKnown: "1" }), "zoo@123": { tiger: "hungry" } });
    expect(e.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("logger -T without --octet-count (newline framing) is read by auto framing, with tag, pid and msgid", async () => {
    const r = await start({ mode: "tcp" });
    await run(LOGGER!, ["-n", "127.0.0.1", "-P", String(r.port), "-T", "--rfc5424", "-t", "e2e", "-i", "--msgid", "ID47", "-p", "local3.err", "newline framed"]);
    const [e] = await r.waitFor(1);
    expect(e.data).toMatchObject({ facility: "local3", severity: "err", appName: "e2e", msgId: "ID47", message: "newline framed" });
    expect(e.data.procId).toMatch(/^\d+$/);
  });

  it("logger over UDP to an IPv6 listener", async () => {
    const r = await start({ mode: "udp", address: "[::1]:0" });
    await run(LOGGER!, ["-n", "::1", "-P", String(r.port), "-d", "--rfc5424", "over six"]);
    const [e] = await r.waitFor(1);
    expect(e.data).toMatchObject({ message: "over six", remoteIp: "::1", version: 1 });
  });
});

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
async function makeCerts(dir: string): Promise<Record<"ca" | "caKey" | "cert" | "key" | "clientCert" | "clientKey", string>> {
  const p = (n: string) => join(dir, n);
  const ossl = (...args: string[]) => run(OPENSSL!, args, { cwd: dir });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await ossl("req", "-x509", ...ec, "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "1", "-subj", "/CN=livetap test CA");
  writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await ossl("req", ...ec, "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=localhost");
  await ossl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("server.pem"), "-days", "1", "-extfile", p("server.ext"));
  await ossl("req", ...ec, "-keyout", p("client.key"), "-out", p("client.csr"), "-subj", "/CN=sender");
  await ossl("x509", "-req", "-in", p("client.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("client.pem"), "-days", "1");
  return { ca: p("ca.pem"), caKey: p("ca.key"), cert: p("server.pem"), key: p("server.key"), clientCert: p("client.pem"), clientKey: p("client.key") };
}

function sendTls(port: number, payload: string | Buffer, options: tls.ConnectionOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port, ...options }, () => {
      s.end(payload);
    });
    s.on("error", reject);
    s.on("close", () => resolve());
    s.resume();
  });
}

describe.skipIf(!OPENSSL).each([false, true])("TLS (threaded: %s; skipped when the openssl CLI is not installed)", (threaded) => {
  it("receives octet-counted RFC 5424 over TLS with a certificate made at test time", async () => {
    const certs = await makeCerts(tempDir());
    const r = await start({ threaded, mode: "tls", cert: certs.cert, key: certs.key });
    await sendTls(r.port, Buffer.concat([octet('<165>1 2026-11-25T12:00:00.000Z sender app 1 ID [x@1 k="v"] over tls'), octet("<13>1 - sender app - - - second")]), {
      ca: readFileSync(certs.ca),
      servername: "localhost",
    });
    const events = await r.waitFor(2);
    expect(events[0]).toEqual({
      type: "syslog.message",
      createdAt: "2026-11-25T12:00:00.000Z",
      data: { facility: "local4", severity: "notice", version: 1, hostname: "sender", appName: "app", procId: "1", msgId: "ID", structuredData: { "x@1": { k: "v" } }, message: "over tls", remoteIp: "127.0.0.1" },
    });
    expect(events[1].data.message).toBe("second");
  });

  it("with `ca`, accepts a client certificate signed by it and refuses a client without one", async () => {
    const certs = await makeCerts(tempDir());
    const r = await start({ threaded, mode: "tls", cert: certs.cert, key: certs.key, ca: certs.ca });
    const ca = readFileSync(certs.ca);
    await sendTls(r.port, "<13>1 - - - - - - no client cert\n", { ca, servername: "localhost" }).catch(() => undefined);
    await sendTls(r.port, "<13>1 - - - - - - mutual\n", { ca, servername: "localhost", cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
    const events = await r.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.events.map((e) => e.data.message)).toEqual(["mutual"]);
    expect(events[0].data.remoteIp).toBe("127.0.0.1");
  });

  it("reports a certificate and key that do not belong together at startup", async () => {
    const a = await makeCerts(tempDir());
    const { SyslogSource } = await import("../plugins/sources/syslog/syslog.js");
    const { SyslogOptions } = await import("../plugins/sources/syslog/options.js");
    const pino = (await import("pino")).default;
    const { componentMetrics, MetricsRegistry } = await import("../core/testing.js");
    const { asyncScheduler } = await import("rxjs");
    const source = new SyslogSource(SyslogOptions.parse({ mode: "tls", address: "127.0.0.1:0", cert: a.cert, key: a.clientKey }), pino({ level: "silent" }), componentMetrics(new MetricsRegistry(), "sources.syslog"), asyncScheduler);
    const err = (await source.start().catch((e: unknown) => e)) as { problems: { path: string[]; message: string }[] };
    expect(err.problems[0].path).toEqual(["cert"]);
    expect(err.problems[0].message).toMatch(/not a usable certificate and key/);
  });
});

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

describe("rsyslog forwarding", () => {
  let rsyslog: ChildProcess | undefined;
  afterEach(async () => {
    if (rsyslog && rsyslog.exitCode === null) {
      const exited = new Promise((resolve) => rsyslog!.once("exit", resolve));
      rsyslog.kill("SIGTERM");
      await exited;
    }
    rsyslog = undefined;
  });

  it.skipIf(!RSYSLOGD || !LOGGER)(
    RSYSLOGD ? "rsyslogd (omfwd, TCP, octet-counted, RFC 5424 template) forwards logger's message with its fields" : "rsyslog forwarding: SKIPPED, rsyslogd is not installed (apt-get install -y rsyslog)",
    async () => {
      const r = await start({ mode: "tcp" });
      const dir = tempDir();
      mkdirSync(join(dir, "work"));
      const inPort = await freeUdpPort();
      // No system sockets (no imuxsock, imklog): only a UDP input on loopback, fed by logger,
      // and one forwarding action to our TCP port in RFC 5424 with octet counting.
      writeFileSync(
        join(dir, "rsyslog.conf"),
        [
          `global(workDirectory="${join(dir, "work")}")`,
          'module(load="imudp")',
          `input(type="imudp" address="127.0.0.1" port="${inPort}")`,
          `action(type="omfwd" target="127.0.0.1" port="${r.port}" protocol="tcp" tcp_framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")`,
          "",
        ].join("\n"),
      );
      rsyslog = spawn(RSYSLOGD!, ["-n", "-f", join(dir, "rsyslog.conf"), "-i", join(dir, "rsyslogd.pid")], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      rsyslog.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      const send = (message: string) =>
        run(LOGGER!, ["-n", "127.0.0.1", "-P", String(inPort), "-d", "--rfc5424", "-t", "e2etag", "-i", "--msgid", "ID47", "--sd-id", "zoo@123", "--sd-param", 'tiger="hungry"', message]);
      const ours = () => r.events.filter((e) => typeof e.data.message === "string" && (e.data.message as string).includes("via rsyslog"));
      // UDP sent before rsyslogd listens is lost: resend (bounded) until one comes through.
      for (let i = 0; i < 40 && ours().length === 0; i++) {
        if (rsyslog.exitCode !== null) throw new Error(`rsyslogd exited ${rsyslog.exitCode}: ${stderr}`);
        await send(`via rsyslog ${i}`);
        await until(() => ours().length > 0, "rsyslog", 500).catch(() => undefined);
      }
      const [e] = ours();
      expect(e, `nothing forwarded by rsyslogd; its stderr: ${stderr}`).toBeDefined();
      expect(e.type).toBe("syslog.message");
      expect(e.data).toMatchObject({ facility: "user", severity: "notice", version: 1, appName: "e2etag", msgId: "ID47", remoteIp: "127.0.0.1" });
      expect(e.data.message).toMatch(/^via rsyslog \d+$/);
      expect(e.data.procId).toMatch(/^\d+$/);
      expect(e.data.structuredData).toMatchObject({ "zoo@123": { tiger: "hungry" } });
      expect(e.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(r.events.filter((x) => x.type === "syslog.unparsed")).toEqual([]);
    },
  );
});
