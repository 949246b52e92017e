/**
 * The lifecycle checks every plugin passes (Benthos `StreamTestOpenClose`, OTel's generated
 * lifecycle tests), public so a user's plugin is checked the way the built-ins are:
 *
 *   import { conformance } from "livetap/testing";
 *   conformance(myPlugin);           // at the top level of a vitest test file
 *
 * It registers one vitest `describe` block with one `it` per check, through the `vitest` the
 * test file runs under (an optional peer dependency of livetap: only `livetap/testing` needs it).
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMPTY, type Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import type { LiveEvent } from "./event.js";
import type { JsonSchemaObject, Operator, PluginDefinition, Sink, Source } from "./plugin.js";
import { createOptionsValidator, isZodSchema, zodToJsonSchema } from "./config/options.js";
import { formatProblem } from "./config/model.js";
import { isLoopback, parseAddress } from "./lib/address.js";
import { defaultServices, instantiate, type Services } from "./pipeline/instantiate.js";

export interface ConformanceOptions {
  /**
   * Options to check instead of the definition's `example`, with the same rules: every
   * loopback `host:port` gets a free port, every `./path` a place in a temporary directory.
   */
  options?: Readonly<Record<string, unknown>>;
  /** Services for every instance the checks create (default: silent logger, fresh metrics). */
  services?: Partial<Omit<Services, "dataDir" | "http">>;
}

/** One check: a name for the test and what it runs (throws on failure). */
export interface ConformanceCheck {
  readonly name: string;
  run(): void | Promise<void>;
}

/** Registers the conformance checks of one plugin definition as a vitest `describe` block. */
export function conformance(definition: PluginDefinition, opts: ConformanceOptions = {}): void {
  describe(`${definition.kind} ${definition.type} conformance`, () => {
    for (const check of conformanceChecks(definition, opts)) it(check.name, () => check.run());
  });
}

/** The checks `conformance()` registers, for a runner other than vitest's describe/it. */
export function conformanceChecks(definition: PluginDefinition, opts: ConformanceOptions = {}): ConformanceCheck[] {
  const given = opts.options ?? definition.example ?? {};
  const { checks, it } = checkList();
  it("describes itself and every option", () => {
    expect(definition.description.trim().length, "description").toBeGreaterThan(10);
    noProblems("options without a description", undescribedOptions(jsonSchemaOf(definition)));
  });

  it(`has options that are valid JSON Schema, and ${opts.options ? "the given options parse" : "its example parses"}`, () => {
    const validate = createOptionsValidator();
    const parsed = validate(definition, { ...given });
    noProblems(`${JSON.stringify(given)} with the options schema`, parsed.ok ? [] : parsed.problems.map(formatProblem));
    if (isZodSchema(definition.options)) {
      // What editors and `livetap validate` see must accept what the plugin accepts.
      const asJson = { ...definition, options: zodToJsonSchema(definition.options) as JsonSchemaObject };
      const viaJson = validate(asJson, { ...given });
      noProblems(`${JSON.stringify(given)} with the JSON Schema`, viaJson.ok ? [] : viaJson.problems.map(formatProblem));
    }
  });
  if (definition.kind === "operator") checks.push(...operatorChecks(definition as PluginDefinition<"operator">, given, opts));
  else checks.push(...lifecycleChecks(definition as PluginDefinition<"source" | "sink">, given, opts));
  return checks;
}

/** A TCP port on `host` that is free for UDP too, at the moment of asking. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (;;) {
    const tcp = createServer();
    await new Promise<void>((resolve, reject) => tcp.once("error", reject).listen(0, host, resolve));
    const { port } = tcp.address() as { port: number };
    await new Promise((resolve) => tcp.close(resolve));
    const udp = createSocket(host.includes(":") ? "udp6" : "udp4");
    const free = await new Promise<boolean>((resolve) => udp.once("error", () => resolve(false)).bind(port, host, () => resolve(true)));
    await new Promise<void>((resolve) => (free ? udp.close(() => resolve()) : resolve()));
    if (free) return port;
  }
}

// ---- sources and sinks ------------------------------------------------------------------

interface Started<P> {
  plugin: P;
  services: Services;
}

function lifecycleChecks(definition: PluginDefinition<"source" | "sink">, given: Readonly<Record<string, unknown>>, opts: ConformanceOptions): ConformanceCheck[] {
  const { checks, it } = checkList();
  const create = (options: Record<string, unknown>, dir: string): Started<Source | Sink> => {
    const services = defaultServices({ ...opts.services, dataDir: dir });
    return { plugin: instantiate(definition, parse(definition, options), services), services };
  };
  // Start as core does: start(), then bind the HTTP listeners start() registered.
  const start = async ({ plugin, services }: Started<Source | Sink>) => {
    await plugin.start?.();
    noProblems("binding its listeners", (await services.http.listenAll()).map(formatProblem));
  };
  // Run and stop as core does: flow (a source subscribed, a sink fed an empty input), stop(), close the listeners.
  const runAndStop = async ({ plugin, services }: Started<Source | Sink>) => {
    if (definition.kind === "source") {
      const errors: unknown[] = [];
      const subscription = (plugin as Source).events().subscribe({ error: (err: unknown) => errors.push(err) });
      await new Promise((resolve) => setImmediate(resolve));
      subscription.unsubscribe();
      noProblems("events() failed", errors.map((err) => (err instanceof Error ? err.message : String(err))));
    } else {
      await (plugin as Sink).consume(EMPTY as Observable<LiveEvent>);
    }
    await plugin.stop?.();
    await services.http.closeAll();
  };

  it(definition.kind === "source" ? "starts, is subscribed and unsubscribed, and stops" : "starts, consumes an empty input and stops", () =>
    withPlace(definition, given, async (options, dir) => {
      const started = create(options, dir);
      await start(started);
      await runAndStop(started);
    }),
  );

  it("stop() is safe twice and without start()", () =>
    withPlace(definition, given, async (options, dir) => {
      const fresh = create(options, dir);
      await fresh.plugin.stop?.();
      await fresh.plugin.stop?.();
      const started = create(options, dir);
      await start(started);
      await runAndStop(started);
      await started.plugin.stop?.();
    }),
  );

  it("starts again after stop() with the same options (its address and files are let go)", () =>
    withPlace(definition, given, async (options, dir) => {
      const first = create(options, dir);
      await start(first);
      await runAndStop(first);
      const second = create(options, dir);
      await start(second);
      await runAndStop(second);
    }),
  );
  return checks;
}

/** Runs `check` with the options placed in a fresh temporary directory (also the dataDir), removed after. */
async function withPlace(
  definition: PluginDefinition,
  given: Readonly<Record<string, unknown>>,
  check: (options: Record<string, unknown>, dir: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "livetap-conformance-"));
  try {
    await check(await placeOptions(definition, given, dir), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The options with every `./path` under `dir` and every loopback `host:port` on a free port
 * (the same address twice gets the same port). Defaulted top-level ones too: the sse sink's
 * default 127.0.0.1:8080 must not be bound for real.
 */
async function placeOptions(definition: PluginDefinition, given: Readonly<Record<string, unknown>>, dir: string): Promise<Record<string, unknown>> {
  const ports = new Map<string, string>();
  const place = async (value: unknown): Promise<unknown> => {
    if (typeof value === "string") {
      if (value.startsWith("./")) return join(dir, value.slice(2));
      const hp = parseAddress(value);
      if (typeof hp === "string" || !isLoopback(hp.host)) return value;
      if (!ports.has(value)) ports.set(value, value.replace(/\d+$/, String(await freePort(hp.host.replace(/^\[|\]$/g, "")))));
      return ports.get(value);
    }
    if (Array.isArray(value)) return Promise.all(value.map(place));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await place(v)])));
    }
    return value;
  };
  const options = (await place(given)) as Record<string, unknown>;
  const parsed = createOptionsValidator()(definition, options);
  if (parsed.ok && typeof parsed.options === "object" && parsed.options !== null) {
    for (const [key, value] of Object.entries(parsed.options)) {
      if (key in options || typeof value !== "string") continue;
      const placed = await place(value);
      if (placed !== value) options[key] = placed;
    }
  }
  return options;
}

// ---- operators --------------------------------------------------------------------------

const EVENT: LiveEvent = {
  id: "1700000000000-1",
  type: "conformance.event",
  createdAt: "2023-11-14T22:13:20.000Z",
  text: "conformance check event",
  data: { message: "hello", remoteIp: "192.0.2.7", count: 1 },
};

function operatorChecks(definition: PluginDefinition<"operator">, given: Readonly<Record<string, unknown>>, opts: ConformanceOptions): ConformanceCheck[] {
  const { checks, it } = checkList();
  // Not run mode: frames are bounded by maxFrames, so an operator that leaks a timer fails
  // the check instead of spinning the test scheduler forever.
  const marbles = (check: (ts: TestScheduler, operator: Operator) => void) => {
    const ts = new TestScheduler((actual, expected) => expect(actual, "marbles (frame, notification)").toEqual(expected));
    ts.maxFrames = 1000;
    const services = defaultServices({ ...opts.services, scheduler: ts });
    check(ts, instantiate(definition, parse(definition, { ...given }), services));
    ts.flush();
  };

  it("completes at once on an empty input, emitting nothing", () =>
    marbles((ts, op) => {
      const input = ts.createColdObservable<LiveEvent>("|");
      ts.expectObservable(input.pipe(op.operator())).toBe("|");
      ts.expectSubscriptions(input.subscriptions).toBe("(^!)");
    }));

  it("neither completes nor errors while its input never does", () => {
    const ends: string[] = [];
    marbles((ts, op) => {
      const input = ts.createColdObservable<LiveEvent>("-");
      input.pipe(op.operator()).subscribe({ complete: () => ends.push("completed"), error: (err: unknown) => ends.push(`errored: ${String(err)}`) });
      // Before the marble assertions, which would only say that the subscription ended.
      ts.schedule(() => noProblems("ended while its input never did", ends), 990);
      ts.expectSubscriptions(input.subscriptions).toBe("^");
    });
  });

  it("passes its input's error on", () =>
    marbles((ts, op) => {
      const failure = new Error("upstream failed");
      const input = ts.createColdObservable<LiveEvent>("-#", undefined, failure);
      ts.expectObservable(input.pipe(op.operator())).toBe("-#", undefined, failure);
    }));

  it("unsubscribing reaches its input and leaves no timer behind", () => {
    let leftover = -1;
    marbles((ts, op) => {
      const input = ts.createColdObservable<LiveEvent>("-a-a-a-a-a-a-a-a-a-a-a-a|", { a: EVENT });
      const subscription = input.pipe(op.operator()).subscribe();
      ts.schedule(() => subscription.unsubscribe(), 50);
      ts.schedule(() => (leftover = ts.actions.length), 60);
      ts.expectSubscriptions(input.subscriptions).toBe("^----!");
    });
    expect(leftover, "timers still scheduled after unsubscribe").toBe(0);
  });
  return checks;
}

// ---- helpers ----------------------------------------------------------------------------

/** Collects checks with an `it` of the same shape as vitest's, so the bodies read like tests. */
function checkList(): { checks: ConformanceCheck[]; it: (name: string, run: () => void | Promise<void>) => void } {
  const checks: ConformanceCheck[] = [];
  return { checks, it: (name, run) => void checks.push({ name, run }) };
}

/** Fails with every problem spelled out (an assertion diff would show `[ Array(1) ]`). */
function noProblems(what: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(`${what}:\n  ${problems.join("\n  ")}`);
}

/** The options as core hands them to the plugin (defaults applied); throws with every problem. */
function parse(definition: PluginDefinition, options: Record<string, unknown>): unknown {
  const result = createOptionsValidator()(definition, options);
  if (!result.ok) throw new Error(`options ${JSON.stringify(options)} are invalid: ${result.problems.map(formatProblem).join("; ")}`);
  return result.options;
}

function jsonSchemaOf(definition: PluginDefinition): JsonSchemaObject {
  return isZodSchema(definition.options) ? (zodToJsonSchema(definition.options) as JsonSchemaObject) : definition.options;
}

/** Paths of options (nested ones too) without a description, which the README and editors show. */
function undescribedOptions(schema: unknown, path = ""): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  const s = schema as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[]; oneOf?: unknown[] };
  const out: string[] = [];
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const here = path ? `${path}.${key}` : key;
    if (typeof (prop as { description?: unknown }).description !== "string") out.push(here);
    out.push(...undescribedOptions(prop, here));
  }
  if (s.items) out.push(...undescribedOptions(s.items, `${path}[]`));
  for (const branch of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) out.push(...undescribedOptions(branch, path));
  return [...new Set(out)];
}
