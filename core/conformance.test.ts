import "reflect-metadata";
import { createServer, type Server } from "node:net";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { EMPTY, catchError, endWith, filter, map, type Observable, type OperatorFunction, type SchedulerLike } from "rxjs";
import { z } from "zod";
import { inject, injectable } from "tsyringe";
import { defineOperator, defineSink, defineSource, type Operator, type PluginDefinition, type Sink } from "./plugin.js";
import type { LiveEvent } from "./event.js";
import { OPTIONS, SCHEDULER } from "./tokens.js";
import { conformance, conformanceChecks, freePort, type ConformanceCheck } from "./conformance.js";

const check = (checks: ConformanceCheck[], name: RegExp): ConformanceCheck => {
  const found = checks.find((c) => name.test(c.name));
  if (!found) throw new Error(`no check ${name} among ${checks.map((c) => c.name).join(", ")}`);
  return found;
};
const passes = async (checks: ConformanceCheck[]) => {
  for (const c of checks) await c.run();
};

// ---- a listener plugin with switchable faults --------------------------------------------

const ListenOptions = z.strictObject({
  address: z.string().default("127.0.0.1:1").describe("host:port to listen on (default port 1: binding it for real fails)."),
  marker: z.string().default("./marker/started").describe("A file written at start, to see where `./` paths land."),
});
type ListenOptions = z.infer<typeof ListenOptions>;

interface Faults {
  keepsPort?: boolean;
  stopOnceOnly?: boolean;
  needsStart?: boolean;
}
const seen: ListenOptions[] = [];

function listener(kind: "source" | "sink", faults: Faults = {}, example: Record<string, unknown> | undefined = {}): PluginDefinition {
  @injectable()
  class Listener {
    private server?: Server;
    private stops = 0;
    constructor(@inject(OPTIONS) private readonly o: ListenOptions) {}
    async start() {
      seen.push(this.o);
      mkdirSync(dirname(this.o.marker), { recursive: true });
      writeFileSync(this.o.marker, "started");
      const [host, port] = [this.o.address.slice(0, this.o.address.lastIndexOf(":")), Number(this.o.address.slice(this.o.address.lastIndexOf(":") + 1))];
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
      this.server = server;
    }
    events(): Observable<LiveEvent> {
      return EMPTY;
    }
    consume(events: Observable<LiveEvent>) {
      return new Promise<void>((resolve) => events.subscribe({ complete: resolve }));
    }
    async stop() {
      if (faults.needsStart && !this.server) throw new Error("stop() before start()");
      if (faults.stopOnceOnly && this.stops++ > 0) throw new Error("stopped twice");
      if (!faults.keepsPort) await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
      this.server = undefined;
    }
  }
  const define = kind === "source" ? defineSource : defineSink;
  return (define as typeof defineSink)({
    type: "listener",
    description: "listens on a TCP port, for the conformance tests",
    options: ListenOptions,
    plugin: Listener as never,
    ...(example ? { example } : {}),
  });
}

describe("conformance() on sources and sinks", () => {
  it("gives loopback addresses, defaulted ones too, free ports and `./` paths a temporary directory", async () => {
    seen.length = 0;
    await passes(conformanceChecks(listener("sink")));
    await passes(conformanceChecks(listener("source", {}, { address: "127.0.0.1:1", marker: "./here" })));
    expect(seen.length).toBeGreaterThan(4);
    for (const o of seen) {
      expect(o.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(o.address).not.toBe("127.0.0.1:1");
      expect(o.marker).not.toMatch(/^\.\//);
      expect(existsSync(dirname(o.marker))).toBe(false); // removed afterwards
    }
    expect(existsSync("marker") || existsSync("here")).toBe(false);
  });

  it.each([
    ["source", { keepsPort: true }, /starts again after stop/, /EADDRINUSE/],
    ["sink", { keepsPort: true }, /starts again after stop/, /EADDRINUSE/],
    ["sink", { stopOnceOnly: true }, /stop\(\) is safe twice/, /stopped twice/],
    ["source", { needsStart: true }, /stop\(\) is safe twice/, /before start/],
  ] as const)("fails a %s with faults %j in the check %s", async (kind, faults, name, message) => {
    await expect(async () => check(conformanceChecks(listener(kind, faults)), name).run()).rejects.toThrow(message);
  });

  it("fails options without a description, and an example that does not parse", async () => {
    const plugin = class implements Sink {
      async consume() {}
    };
    const undescribed = defineSink({ type: "x", description: "a sink with a bare option", options: z.strictObject({ n: z.number().default(1) }), plugin });
    await expect(async () => check(conformanceChecks(undescribed), /describes/).run()).rejects.toThrow(/options without a description/);
    const nested = defineSink({
      type: "x",
      description: "a sink with a bare nested option",
      options: z.strictObject({ tls: z.strictObject({ cert: z.string() }).optional().describe("TLS") }),
      plugin,
    });
    await expect(async () => check(conformanceChecks(nested), /describes/).run()).rejects.toThrow(/tls\.cert/);
    const required = defineSink({ type: "x", description: "a sink that needs a path", options: z.strictObject({ path: z.string().describe("where") }), plugin });
    await expect(async () => check(conformanceChecks(required), /parse/).run()).rejects.toThrow(/path/);
    await passes(conformanceChecks(required, { options: { path: "./out" } }));
  });
});

// ---- operators ----------------------------------------------------------------------------

function operator(fn: (scheduler: SchedulerLike) => OperatorFunction<LiveEvent, LiveEvent>): PluginDefinition {
  @injectable()
  class Op implements Operator {
    constructor(@inject(SCHEDULER) private readonly scheduler: SchedulerLike) {}
    operator() {
      return fn(this.scheduler);
    }
  }
  return defineOperator({ type: "op", description: "an operator for the conformance tests", options: z.strictObject({}), plugin: Op, example: {} });
}

describe("conformance() on operators", () => {
  it("passes a well-behaved operator", async () => {
    await passes(conformanceChecks(operator(() => filter((e) => e.type !== "x.drop"))));
  });

  it.each([
    ["emits from an empty input", () => endWith({ type: "x.summary" } as LiveEvent), /empty input/, /marbles/],
    ["swallows its input's error", () => catchError(() => EMPTY), /error on/, /marbles/],
    ["completes on a silent input", () => () => EMPTY, /never does/, /ended while its input never did:\n  completed/],
    [
      "leaks a timer",
      (scheduler: SchedulerLike) => (events: Observable<LiveEvent>) => {
        scheduler.schedule(function again(this: { schedule(s?: unknown, d?: number): void }) {
          this.schedule(undefined, 10);
        }, 10);
        return events;
      },
      /no timer behind/,
      /timers still scheduled/,
    ],
  ] as const)("fails one that %s", async (_what, fn, name, message) => {
    await expect(async () => check(conformanceChecks(operator(fn as never)), name).run()).rejects.toThrow(message);
  });
});

describe("freePort", () => {
  it("gives a port nothing listens on", async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    await new Promise((resolve) => server.close(resolve));
    expect(port).toBeGreaterThan(0);
  });
});

// The public form: registers a describe block with one test per check.
conformance(operator(() => map((e) => e)));
