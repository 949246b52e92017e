import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../../../../test/support/until.js";
import {
  buildTapUrl,
  formatPrettyEvent,
  formatPrettySample,
  parseTapArgs,
  runTap,
  tapCommand,
  type TapOptions,
} from "./tap.js";
import { PATHS } from "../paths.js";
import { toCommander } from "../../../../core/testing.js";

const TRACES_PATH = PATHS.traces;
const METRICS_PATH = PATHS.metrics;

// ---- a tiny SSE server on 127.0.0.1:0; each test scripts its connections -----------------

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;
let server: Server | undefined;
const requests: IncomingMessage[] = [];

async function serve(handler: Handler): Promise<string> {
  let n = 0;
  server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, n++);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  requests.length = 0;
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
  }
});

function stream(res: ServerResponse, retryMs = 20) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
  res.write(`retry: ${retryMs}\n\nevent: ping\ndata: {"interval":30000}\n\n`);
}
const ev = (id: string, data: Record<string, unknown> = {}, type = "smtp.connection-start") => ({
  id,
  type,
  createdAt: "2026-11-24T11:50:00.123Z",
  text: "SMTP connection started",
  data,
});
const traceFrame = (events: ReturnType<typeof ev>[]) =>
  `id: ${events[events.length - 1].id}\nevent: trace\ndata: ${JSON.stringify(events)}\n\n`;

function sink() {
  let text = "";
  const w = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { w, text: () => text, lines: () => text.split("\n").filter(Boolean) };
}

function tap(url: string, o: TapOptions = {}) {
  const out = sink(), err = sink(), ac = new AbortController();
  const code = runTap(url, o, out.w, err.w, ac.signal);
  return { out, err, code, stop: () => ac.abort() };
}

// ---- end to end ---------------------------------------------------------------------------

describe("livetap tap against an SSE server", () => {
  it("prints each event of trace frames as one JSON line, and exits 0 when stopped", async () => {
    const base = await serve((_req, res) => {
      stream(res);
      res.write(traceFrame([ev("1-1", { remoteIp: "192.0.2.7" }), ev("1-2")]));
      res.write(traceFrame([ev("1-3")]));
    });
    const t = tap(base + TRACES_PATH);
    await until(() => t.out.lines().length === 3, "3 lines");
    t.stop();
    expect(await t.code).toBe(0);
    expect(t.out.lines().map((l) => JSON.parse(l))).toEqual([ev("1-1", { remoteIp: "192.0.2.7" }), ev("1-2"), ev("1-3")]);
    expect(t.err.text()).toMatch(/connecting to http:\/\/127\.0\.0\.1:\d+\/api\/telemetry\/traces\/live\n/);
    expect(t.err.text()).toMatch(/connected to /);
  });

  it("sends filters as query parameters and the token as Authorization", async () => {
    const base = await serve((_req, res) => stream(res));
    const t = tap(base, {
      filter: "example.org",
      type: "smtp.*",
      keys: [["remote-ip", "192.0.2.7"], ["domain", "a b+c"]],
      token: "tok-0123456789abcdef",
    });
    await until(() => t.err.text().includes("connected"), "connection");
    t.stop();
    expect(await t.code).toBe(0);
    const req = requests[0];
    const u = new URL(req.url!, base);
    expect(u.pathname).toBe(TRACES_PATH);
    expect(Object.fromEntries(u.searchParams)).toEqual({
      filter: "example.org",
      type: "smtp.*",
      "remote-ip": "192.0.2.7",
      domain: "a b+c",
    });
    expect(req.headers.authorization).toBe("Bearer tok-0123456789abcdef");
    expect(req.headers.accept).toBe("text/event-stream");
    expect(req.headers["last-event-id"]).toBeUndefined();
  });

  it("reconnects with Last-Event-ID after the server closes and prints later events once", async () => {
    const seen: (string | undefined)[] = [];
    const base = await serve((req, res, n) => {
      seen.push(req.headers["last-event-id"] as string | undefined);
      stream(res);
      if (n === 0) {
        res.end(traceFrame([ev("5-1"), ev("5-2")]));
      } else {
        // A replay that overlaps what the client has, as a ring might: 5-2 is not printed twice.
        res.write(traceFrame([ev("5-2"), ev("5-3")]));
        res.write(traceFrame([ev("5-4")]));
      }
    });
    const t = tap(base + TRACES_PATH, { token: "tok-0123456789abcdef" });
    await until(() => t.out.lines().length >= 4, "4 lines");
    await new Promise((r) => setTimeout(r, 50));
    t.stop();
    expect(await t.code).toBe(0);
    expect(t.out.lines().map((l) => JSON.parse(l).id)).toEqual(["5-1", "5-2", "5-3", "5-4"]);
    expect(seen).toEqual([undefined, "5-2"]);
    expect(requests[1].headers.authorization).toBe("Bearer tok-0123456789abcdef");
    expect(t.err.text()).toMatch(/connection closed by the server; reconnecting/);
    expect(t.err.text()).toMatch(/reconnecting to .* \(Last-Event-ID: 5-2\)/);
  });

  it("exits 1 with the server's reason on 401", async () => {
    const base = await serve((_req, res) => {
      res.writeHead(401, { "www-authenticate": 'Bearer realm="livetap"', "content-type": "application/json" });
      res.end(JSON.stringify({ error: "unauthorized", details: "bearer token not accepted" }));
    });
    const t = tap(base + TRACES_PATH + "?token=secret-in-url");
    expect(await t.code).toBe(1);
    expect(requests).toHaveLength(1);
    const err = t.err.text();
    expect(err).toMatch(/401 Unauthorized from .*: unauthorized: bearer token not accepted \(give credentials with --token/);
    expect(err).not.toContain("secret-in-url");
    expect(t.out.text()).toBe("");
  });

  it.each([
    [400, { error: "bad parameter", details: 'interval "x" is not a number' }, /400 Bad Request .*bad parameter: interval "x" is not a number/],
    [404, { error: "not found" }, /404 Not Found .*livetap streams are/],
  ])("exits 1 on %i", async (status, body, message) => {
    const base = await serve((_req, res) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
    const t = tap(base + "/api/telemetry/nope");
    expect(await t.code).toBe(1);
    expect(t.err.text()).toMatch(message);
  });

  it("retries after a 503, honouring Retry-After, then resumes with its last id", async () => {
    const seen: (string | undefined)[] = [];
    const base = await serve((req, res, n) => {
      seen.push(req.headers["last-event-id"] as string | undefined);
      if (n === 1) {
        res.writeHead(503, { "retry-after": "0", "content-type": "application/json" });
        return res.end(JSON.stringify({ error: "too many clients" }));
      }
      stream(res);
      if (n === 0) res.end(traceFrame([ev("7-1")]));
      else res.write(traceFrame([ev("7-2")]));
    });
    const t = tap(base + TRACES_PATH);
    await until(() => t.out.lines().length >= 2, "2 lines");
    t.stop();
    expect(await t.code).toBe(0);
    expect(t.out.lines().map((l) => JSON.parse(l).id)).toEqual(["7-1", "7-2"]);
    expect(seen).toEqual([undefined, "7-1", "7-1"]);
    expect(t.err.text()).toMatch(/server answered 503: too many clients; retrying in 0\.1 s/);
  });

  it("exits 1 when the answer is not an event stream", async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html></html>");
    });
    const t = tap(base + "/");
    expect(await t.code).toBe(1);
    expect(t.err.text()).toMatch(/is not an event stream/);
  });

  it("prints metrics samples as JSON lines and reports gap and dropped frames on stderr", async () => {
    const samples = [
      { id: "events.received", type: "counter", value: 120 },
      { id: "sse.batch-size", type: "histogram", count: 40, sum: 388 },
    ];
    const base = await serve((req, res) => {
      stream(res);
      if (req.url!.startsWith(METRICS_PATH)) return res.write(`event: metrics\ndata: ${JSON.stringify(samples)}\n\n`);
      res.write(`event: gap\ndata: {"missed": true}\n\n`);
      res.write(`event: dropped\ndata: {"count": 17}\n\n`);
      res.write(traceFrame([ev("9-1")]));
    });
    const m = tap(base, { metrics: "events.*,sse.batch-size", interval: "2" });
    await until(() => m.out.lines().length === 2, "2 samples");
    m.stop();
    expect(await m.code).toBe(0);
    expect(m.out.lines().map((l) => JSON.parse(l))).toEqual(samples);
    expect(new URL(requests[0].url!, base).search).toBe("?metrics=events.*%2Csse.batch-size&interval=2");

    const t = tap(base);
    await until(() => t.out.lines().length === 1, "1 event");
    t.stop();
    expect(await t.code).toBe(0);
    expect(t.err.text()).toMatch(/gap: .*missed/);
    expect(t.err.text()).toMatch(/dropped: the server dropped 17 events/);
  });

  it("prints --pretty one-liners", async () => {
    const base = await serve((_req, res) => {
      stream(res);
      res.write(traceFrame([ev("2-1", { remoteIp: "192.0.2.7", domain: "example.org" })]));
    });
    const t = tap(base, { pretty: true });
    await until(() => t.out.lines().length === 1, "1 line");
    t.stop();
    await t.code;
    expect(t.out.text()).toBe(
      "2026-11-24T11:50:00.123Z smtp.connection-start SMTP connection started remoteIp=192.0.2.7 domain=example.org\n",
    );
  });

  it("stops at once when the signal is already aborted, and on a closed stdout", async () => {
    const base = await serve((_req, res) => {
      stream(res);
      res.write(traceFrame([ev("3-1")]));
    });
    const ac = new AbortController();
    ac.abort();
    expect(await runTap(base, {}, sink().w, sink().w, ac.signal)).toBe(0);

    const broken = new Writable({ write: (_c, _e, done) => done(Object.assign(new Error("EPIPE"), { code: "EPIPE" })) });
    broken.on("error", () => {});
    expect(await runTap(base, {}, broken, sink().w, new AbortController().signal)).toBe(0);
  });
});

// ---- arguments ----------------------------------------------------------------------------

describe("tap arguments", () => {
  it("parses the URL and --KEY VALUE / --KEY=VALUE key filters in any order", () => {
    expect(parseTapArgs(["--remote-ip", "192.0.2.7", "http://h:1", "--domain=a=b", "--x", "-5"])).toEqual({
      url: "http://h:1",
      keys: [["remote-ip", "192.0.2.7"], ["domain", "a=b"], ["x", "-5"]],
    });
  });

  it.each([
    [[], /missing URL/],
    [["http://h:1", "http://h:2"], /unexpected argument "http:\/\/h:2"/],
    [["http://h:1", "--domain"], /--domain needs a value/],
    [["http://h:1", "-x"], /unknown option "-x"/],
    [["http://h:1", "--a.b", "1"], /not a key filter/],
  ])("refuses %j", (args, message) => {
    expect(parseTapArgs(args)).toMatch(message);
  });

  it("builds the query, picking the stream for a bare URL", () => {
    expect(String(buildTapUrl("http://h:1", { type: "smtp.*", keys: [["remote-ip", "1"]] }))).toBe(
      `http://h:1${TRACES_PATH}?type=smtp.*&remote-ip=1`,
    );
    expect(String(buildTapUrl("http://h:1/", { interval: "0.5" }))).toBe(`http://h:1${METRICS_PATH}?interval=0.5`);
    expect(String(buildTapUrl(`http://h:1${TRACES_PATH}?filter=a`, { filter: "b" }))).toBe(`http://h:1${TRACES_PATH}?filter=b`);
  });

  it("adds follow, since and outputs-of to the traces stream; --by picks the top stream", () => {
    expect(String(buildTapUrl("http://h:1", { follow: "sessionId", since: "5m", outputsOf: "operators.x" }))).toBe(
      `http://h:1${TRACES_PATH}?follow=sessionId&since=5m&outputs-of=operators.x`,
    );
    expect(String(buildTapUrl("http://h:1", { by: "remoteIp", top: "3", window: "30", interval: "1", type: "auth.*" }))).toBe(
      `http://h:1${PATHS.top}?type=auth.*&interval=1&by=remoteIp&top=3&window=30`,
    );
    expect(buildTapUrl(`http://h:1${METRICS_PATH}`, { follow: "sessionId" })).toMatch(/apply to the traces stream/);
    expect(buildTapUrl("http://h:1", { by: "remoteIp", since: "5m" })).toMatch(/do not apply to the top stream/);
  });

  it.each([
    ["nope", {}, /is not a URL/],
    ["ftp://h/", {}, /not an http\(s\) URL/],
    [`http://h${TRACES_PATH}`, { metrics: "a" }, /apply to the metrics stream/],
    [`http://h${METRICS_PATH}`, { filter: "a" }, /apply to the traces stream/],
    ["http://h", { interval: "soon" }, /--interval "soon" is not a number/],
  ] as const)("refuses %s %j", (url, o, message) => {
    expect(buildTapUrl(url, o)).toMatch(message);
  });

  it("exits 1 with the reason for a bad URL before connecting", async () => {
    const err = sink();
    expect(await runTap("nope", {}, sink().w, err.w, new AbortController().signal)).toBe(1);
    expect(err.text()).toMatch(/^tap: "nope" is not a URL/);
  });

  it("the command passes known options and leftover key filters to runTap", async () => {
    const calls: [string, TapOptions][] = [];
    const cmd = toCommander(
      tapCommand(async (url, o) => {
        calls.push([url, o]);
        return 0;
      }),
    );
    await cmd.parseAsync(["--remote-ip", "192.0.2.7", "http://h:1", "--pretty", "--type", "smtp.*", "--token=t0k", "--domain", "x"], {
      from: "user",
    });
    expect(calls).toEqual([
      ["http://h:1", { pretty: true, type: "smtp.*", token: "t0k", keys: [["remote-ip", "192.0.2.7"], ["domain", "x"]] }],
    ]);
  });

  it("formats pretty lines for odd values and metric samples", () => {
    expect(formatPrettyEvent({ createdAt: "t", type: "a.b", data: { msg: "two words", n: 3, o: { x: 1 } } })).toBe(
      't a.b msg="two words" n=3 o={"x":1}',
    );
    expect(formatPrettySample({ id: "server.memory", type: "gauge", value: 7 })).toBe("server.memory gauge 7");
    expect(formatPrettySample({ id: "h", type: "histogram", count: 2, sum: 3 })).toBe("h histogram count=2 sum=3");
  });
});
