import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PluginRegistry } from "../registry.js";
import { ConfigError, formatProblem, loadConfigFile, loadConfigObject, type PipelineConfig } from "./index.js";
import { testPlugins } from "./test-plugins.js";

const dir = mkdtempSync(join(tmpdir(), "livetap-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes a config (object as JSON, or raw text) to a fresh file in the temp dir. */
function writeConfig(config: unknown, name = `c${++files}.json`): string {
  const file = join(dir, name);
  writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  return file;
}

const registry = (): PluginRegistry => new PluginRegistry().register(...testPlugins);

/** The formatted problems a config file gives, or [] when it loads. */
async function problemsOf(config: unknown, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfigFile(writeConfig(config), registry(), env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map(formatProblem);
  }
}

const VALID = {
  $schema: "./schemas/livetap.schema.json",
  sources: {
    demo: { type: "tick", rate: 10 },
    app: { type: "lines", path: "/var/log/app.log" },
  },
  operators: {
    "no-debug": { type: "keep", inputs: ["demo", "app"], match: "x" },
    tenth: { type: "pass", inputs: ["no-debug"] },
  },
  sinks: {
    live: { type: "sse", inputs: ["tenth"], address: "127.0.0.1:8080" },
    out: { type: "console", inputs: ["no-debug"] },
  },
};

/** VALID with parts replaced; `undefined` removes a key. */
function variant(patch: (c: typeof VALID & Record<string, unknown>) => void): unknown {
  const c = structuredClone(VALID) as typeof VALID & Record<string, unknown>;
  patch(c);
  return c;
}

describe("loadConfigFile", () => {
  it("loads a valid config: options parsed and defaulted, inputs first, dataDir beside the file", async () => {
    const file = writeConfig(VALID);
    const config: PipelineConfig = await loadConfigFile(file, registry(), {});
    expect(config.components.map((c) => [c.path, c.type, c.inputs, c.options])).toEqual([
      ["sources.demo", "tick", [], { rate: 10 }],
      ["sources.app", "lines", [], { path: "/var/log/app.log", mode: "udp" }],
      ["operators.no-debug", "keep", ["demo", "app"], { match: "x" }],
      ["operators.tenth", "pass", ["no-debug"], {}],
      ["sinks.live", "sse", ["tenth"], { address: "127.0.0.1:8080" }],
      ["sinks.out", "console", ["no-debug"], { format: "json" }],
    ]);
    expect(config.components.map((c) => [c.kind, c.name, c.definition.type])).toEqual([
      ["source", "demo", "tick"],
      ["source", "app", "lines"],
      ["operator", "no-debug", "keep"],
      ["operator", "tenth", "pass"],
      ["sink", "live", "sse"],
      ["sink", "out", "console"],
    ]);
    expect(config.dataDir).toBe(join(dir, ".livetap"));
    expect(config.warnings).toEqual([]);
  });

  it("resolves dataDir against the config file's directory", async () => {
    const config = await loadConfigFile(writeConfig({ ...VALID, dataDir: "state/here" }), registry(), {});
    expect(config.dataDir).toBe(join(dir, "state", "here"));
  });

  it("orders components so every input comes first, else as in the file", async () => {
    const config = await loadConfigFile(
      writeConfig({
        sinks: { s: { type: "blackhole", inputs: ["b", "x"] } },
        operators: { b: { type: "pass", inputs: ["a"] }, a: { type: "pass", inputs: ["demo"] } },
        sources: { demo: { type: "tick" }, x: { type: "tick" } },
      }),
      registry(),
      {},
    );
    expect(config.components.map((c) => c.path)).toEqual(["sources.demo", "sources.x", "operators.a", "operators.b", "sinks.s"]);
  });

  it("warns about sources and operators nothing reads, without failing", async () => {
    const config = await loadConfigFile(
      writeConfig(variant((c) => Object.assign(c.sources, { spare: { type: "tick" } }))),
      registry(),
      {},
    );
    expect(config.warnings).toEqual(["sources.spare: not used by any operator or sink"]);
  });

  it("reports an unreadable file at the root", async () => {
    const missing = join(dir, "nope.json");
    const err = await loadConfigFile(missing, registry(), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([{ path: [], message: `cannot read ${JSON.stringify(missing)}: ENOENT (no such file)` }]);
  });

  it.each([
    ["a missing comma", '{\n  "sources": {\n    "a": { "type": "tick" }\n    "b": 1\n  }\n}', "line 4, column 5: expected ',' or '}'"],
    ["a trailing comma", '{\n  "sources": {},\n}', "line 3, column 1: trailing comma before '}'"],
    ["a comment", '{\n  // sources\n}', "line 2, column 3: comments are not allowed in JSON"],
    ["single quotes", "{ 'a': 1 }", "line 1, column 3: expected a property name in double quotes"],
    ["an unterminated string", '{ "a": "b }', "line 1, column 8: unterminated string"],
    ["an empty file", "", "line 1, column 1: unexpected end of the file, expected a value"],
    ["text after the value", "{}\n{}", "line 2, column 1: unexpected text after the end of the JSON value"],
  ])("reports invalid JSON with line and column: %s", async (_, text, where) => {
    const file = writeConfig(text);
    await expect(loadConfigFile(file, registry(), {})).rejects.toThrow(`${file}: invalid JSON at ${where}`);
  });

  it("accepts a byte order mark", async () => {
    const config = await loadConfigFile(writeConfig(`\ufeff${JSON.stringify(VALID)}`), registry(), {});
    expect(config.components).toHaveLength(6);
  });
});

describe("config problems", () => {
  it.each<[string, unknown, string[]]>([
    [
      "an unknown option, with did you mean",
      variant((c) => (c.sinks.live = { type: "sse", inputs: ["tenth"], adress: "127.0.0.1:8080" } as never)),
      ['sinks.live.adress: unknown option (did you mean "address"?)', "sinks.live.address: required (expected a string)"],
    ],
    [
      "an unknown option without a close name",
      variant((c) => Object.assign(c.sources.demo, { colour: "red" })),
      ["sources.demo.colour: unknown option (known: rate, label)"],
    ],
    [
      "an unknown nested option",
      variant((c) => Object.assign(c.sinks.live, { auth: { bearr: ["t"] } })),
      ['sinks.live.auth.bearr: unknown option (did you mean "bearer"?)', "sinks.live.auth.bearer: required (expected an array)"],
    ],
    [
      "an unknown type, with did you mean",
      variant((c) => (c.sinks.out.type = "consol")),
      ['sinks.out.type: unknown sink type "consol" (known: blackhole, console, file, sse); did you mean "console"?'],
    ],
    [
      "an unknown type nothing like a known one",
      variant((c) => (c.sinks.out.type = "kafka")),
      ['sinks.out.type: unknown sink type "kafka" (known: blackhole, console, file, sse)'],
    ],
    [
      "a type of another kind",
      variant((c) => (c.sources.demo = { type: "console" } as never)),
      ['sources.demo.type: unknown source type "console" (known: lines, plain, tick); "console" is a sink type (put it under "sinks")'],
    ],
    ["a missing type", variant((c) => delete (c.sources.demo as { type?: string }).type), ["sources.demo.type: required (known: lines, plain, tick)"]],
    ["a type that is not a string", variant((c) => ((c.sources.demo as { type: unknown }).type = 5)), ["sources.demo.type: expected a string, got 5 (known: lines, plain, tick)"]],
    ["a component that is not an object", variant((c) => ((c.sources as Record<string, unknown>).demo = "tick")), ['sources.demo: expected an object with a "type", got "tick"']],
    [
      "an unknown input, with did you mean",
      variant((c) => (c.operators.tenth.inputs = ["no-debg"])),
      ['operators.tenth.inputs[0]: no component named "no-debg" (did you mean "no-debug"?)'],
    ],
    ["an input that is a sink", variant((c) => (c.sinks.live.inputs = ["out"])), ['sinks.live.inputs[0]: "out" is a sink: sinks have no output to read']],
    ["a source with inputs", variant((c) => Object.assign(c.sources.app, { inputs: ["demo"] })), ["sources.app.inputs: a source takes no inputs (events enter the pipeline there)"]],
    ["a sink without inputs", variant((c) => delete (c.sinks.out as { inputs?: string[] }).inputs), ["sinks.out.inputs: required: the names of the sources or operators this sink reads"]],
    ["empty inputs", variant((c) => (c.operators.tenth.inputs = [])), ["operators.tenth.inputs: must name at least one source or operator"]],
    ["inputs that are not a list", variant((c) => ((c.operators.tenth as { inputs: unknown }).inputs = "demo")), ['operators.tenth.inputs: expected an array of component names, got "demo"']],
    ["an input that is not a name", variant((c) => ((c.operators.tenth as { inputs: unknown }).inputs = ["demo", 3])), ["operators.tenth.inputs[1]: expected a component name, got 3"]],
    ["an input listed twice", variant((c) => (c.operators.tenth.inputs = ["demo", "demo"])), ['operators.tenth.inputs[1]: "demo" is listed twice']],
    [
      "a cycle",
      variant((c) => Object.assign(c.operators, { a: { type: "pass", inputs: ["b"] }, b: { type: "pass", inputs: ["a"] } }, { tenth: { type: "pass", inputs: ["a"] } })),
      ["operators.a.inputs: cycle a -> b -> a"],
    ],
    [
      "a longer cycle, named in the direction events flow",
      variant((c) =>
        Object.assign(c.operators, {
          tenth: { type: "pass", inputs: ["a"] },
          a: { type: "pass", inputs: ["c"] },
          b: { type: "pass", inputs: ["a"] },
          c: { type: "pass", inputs: ["b"] },
        }),
      ),
      ["operators.a.inputs: cycle a -> b -> c -> a"],
    ],
    ["an operator reading itself", variant((c) => (c.operators.tenth.inputs = ["tenth"])), ["operators.tenth.inputs: cycle tenth -> tenth"]],
    ["an invalid name", variant((c) => Object.assign(c.sinks, { "my sink": { type: "blackhole", inputs: ["demo"] } })), ['sinks["my sink"]: invalid name "my sink": use 1-64 letters, digits, "_" or "-"']],
    [
      "a name used twice",
      variant((c) => Object.assign(c.sinks, { demo: { type: "blackhole", inputs: ["app"] } })),
      ['sinks.demo: the name "demo" is already used by sources.demo (sources, operators and sinks share one namespace)'],
    ],
    ["a wrong value type", variant((c) => ((c.sources.demo as { rate: unknown }).rate = "fast")), ['sources.demo.rate: expected a number, got "fast"']],
    ["a number below its bound", variant((c) => (c.sources.demo.rate = 0)), ["sources.demo.rate: must be greater than 0, got 0"]],
    ["a number above its bound", variant((c) => (c.sources.demo.rate = 5000)), ["sources.demo.rate: must be at most 1000, got 5000"]],
    ["an empty string", variant((c) => (c.sources.app.path = "")), ["sources.app.path: must not be empty"]],
    ["an empty list", variant((c) => Object.assign(c.sinks.live, { auth: { bearer: [] } })), ["sinks.live.auth.bearer: must not be empty"]],
    [
      "a value outside an enum",
      variant((c) => Object.assign(c.sinks.out, { format: "pertty" })),
      ['sinks.out.format: must be one of "json" or "pretty", got "pertty" (did you mean "pretty"?)'],
    ],
    ["an unknown top-level key", variant((c) => (c.opertors = {})), ['opertors: unknown key (did you mean "operators"?)']],
    ["missing sources", variant((c) => delete (c as { sources?: unknown }).sources), ["sources: required: at least one source (an object of named sources)"]],
    ["no sinks", variant((c) => ((c as { sinks: unknown }).sinks = {})), ["sinks: at least one sink is required"]],
    ["a section that is not an object", variant((c) => ((c as { operators: unknown }).operators = [])), ["operators: expected an object of named operators, got an array"]],
    ["dataDir not a string", variant((c) => (c.dataDir = 5)), ["dataDir: expected a string (a directory path), got 5"]],
    ["plugins not a list", variant((c) => (c.plugins = "./x.js")), ['plugins: expected an array of module paths or package names, got "./x.js"']],
    ["$schema not a string", variant((c) => ((c as { $schema: unknown }).$schema = 1)), ["$schema: expected a string (the path or URL of livetap.schema.json), got 1"]],
  ])("%s", async (_, config, expected) => {
    expect(await problemsOf(config)).toEqual(expected);
  });

  it("reports all problems at once: a typo'd option, a missing input and an unknown type", async () => {
    const config = variant((c) => {
      c.sinks.live = { type: "sse", inputs: ["tenth"], address: "127.0.0.1:8080", adress: "x" } as never;
      c.operators.tenth.inputs = ["no-debg"];
      c.sinks.out.type = "consol";
    });
    expect(await problemsOf(config)).toEqual([
      'operators.tenth.inputs[0]: no component named "no-debg" (did you mean "no-debug"?)',
      'sinks.live.adress: unknown option (did you mean "address"?)',
      'sinks.out.type: unknown sink type "consol" (known: blackhole, console, file, sse); did you mean "console"?',
    ]);
  });

  it("lists problems in the order of the file, whatever found them", async () => {
    const config = {
      sinks: { out: { type: "consol", inputs: ["nowhere"] } },
      sources: { demo: { type: "tick", rate: "fast" } },
      extra: true,
    };
    expect(await problemsOf(config)).toEqual([
      'sinks.out.type: unknown sink type "consol" (known: blackhole, console, file, sse); did you mean "console"?',
      'sinks.out.inputs[0]: no component named "nowhere"',
      'sources.demo.rate: expected a number, got "fast"',
      "extra: unknown key (known: $schema, plugins, dataDir, sources, operators, sinks)",
    ]);
  });
});

describe("nesting", () => {
  const deep = (levels: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < levels; i++) v = [v];
    return v;
  };

  it("refuses a 200,000-deep value with its path instead of overflowing the stack", async () => {
    // As text: JSON.stringify itself overflows on such a value.
    const levels = 200_000;
    const text = JSON.stringify(VALID).replace('"rate":10', `"rate":10,"extra":${"[".repeat(levels)}1${"]".repeat(levels)}`);
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    // `sources.demo.extra` is level 3; the value past level 64 is 62 array items further in.
    expect(problems[0]).toBe(`sources.demo.extra${"[0]".repeat(62)}: nested deeper than 64`);
  });

  it("accepts nesting up to the bound", async () => {
    expect(await problemsOf(variant((c) => Object.assign(c, { x: deep(63) })))).toEqual(["x: unknown key (known: $schema, plugins, dataDir, sources, operators, sinks)"]);
  });

  it("says where nesting goes too deep in a file that is also invalid JSON", async () => {
    const problems = await problemsOf(`{"x": ${"[".repeat(200_000)}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/invalid JSON at line 1, column 71: nested deeper than 64$/);
  });
});

describe("environment variables", () => {
  const withLabel = (label: string) => variant((c) => Object.assign(c.sources.demo, { label }));

  it.each([
    ["a set variable", "${APP}", { APP: "mail" }, "mail"],
    ["several in one string", "${APP}/${ENV}", { APP: "mail", ENV: "prod" }, "mail/prod"],
    ["a default when unset", "${APP:-web}", {}, "web"],
    ["a default when empty", "${APP:-web}", { APP: "" }, "web"],
    ["the value over the default", "${APP:-web}", { APP: "mail" }, "mail"],
    ["an empty default", "x${APP:-}y", {}, "xy"],
    ["$${ as a literal ${", "$${APP} costs $5", { APP: "mail" }, "${APP} costs $5"],
    ["an empty set variable without default", "[${APP}]", { APP: "" }, "[]"],
  ])("substitutes %s", async (_, label, env, expected) => {
    const config = await loadConfigFile(writeConfig(withLabel(label)), registry(), env);
    expect(config.components.find((c) => c.name === "demo")!.options).toEqual({ rate: 10, label: expected });
  });

  it("substitutes in lists, nested objects, inputs and types too", async () => {
    const config = await loadConfigFile(
      writeConfig(variant((c) => Object.assign(c.sinks.live, { type: "${SINK}", auth: { bearer: ["${LIVE_TOKEN}"] } }))),
      registry(),
      { SINK: "sse", LIVE_TOKEN: "s3cret" },
    );
    expect(config.components.find((c) => c.name === "live")!.options).toEqual({ address: "127.0.0.1:8080", auth: { bearer: ["s3cret"] } });
  });

  it("reports a missing variable at its value's path, and nothing else about that value", async () => {
    const config = variant((c) => Object.assign(c.sinks.live, { address: "${ADDR}", auth: { bearer: ["${LIVE_TOKEN}"] } }));
    (config as typeof VALID).sinks.out.inputs = ["${INPUT}"];
    expect(await problemsOf(config, { ADDR: "127.0.0.1:1" })).toEqual([
      'sinks.live.auth.bearer[0]: environment variable "LIVE_TOKEN" is not set (use ${LIVE_TOKEN:-default} for a fallback)',
      'sinks.out.inputs[0]: environment variable "INPUT" is not set (use ${INPUT:-default} for a fallback)',
    ]);
  });

  it.each([
    ["an invalid name", "${1X}", 'sources.demo.label: invalid variable reference "${1X}": a name is letters, digits and "_", not starting with a digit (write "$${" for a literal "${")'],
    ["an unclosed reference", "${APP", 'sources.demo.label: unclosed "${" (write "$${" for a literal "${")'],
  ])("reports %s", async (_, label, expected) => {
    expect(await problemsOf(withLabel(label))).toEqual([expected]);
  });

  it("reads process.env by default", async () => {
    const name = `LIVETAP_TEST_${process.pid}`;
    process.env[name] = "from-env";
    try {
      const config = await loadConfigObject(withLabel(`\${${name}}`), registry(), { baseDir: dir });
      expect(config.components[0].options).toEqual({ rate: 10, label: "from-env" });
    } finally {
      delete process.env[name];
    }
  });
});

describe("plain-JS plugins (JSON Schema, ajv)", () => {
  const withPlain = (options: Record<string, unknown>) =>
    variant((c) => Object.assign(c.sources, { p: { type: "plain", ...options } }, { demo: { type: "tick" } }) && (c.operators.tenth.inputs = ["no-debug", "p"]));

  it("applies the schema's defaults", async () => {
    const config = await loadConfigFile(writeConfig(withPlain({ mode: "tcp" })), registry(), {});
    expect(config.components.find((c) => c.name === "p")!.options).toEqual({ mode: "tcp", port: 9000, host: "127.0.0.1" });
  });

  it("does not write the defaults into the caller's object", async () => {
    const raw = withPlain({}) as { sources: { p: Record<string, unknown> } };
    await loadConfigObject(raw, registry(), { baseDir: dir, env: {} });
    expect(raw.sources.p).toEqual({ type: "plain" });
  });

  it("reports problems in the same words as zod plugins", async () => {
    expect(await problemsOf(withPlain({ prot: 1, port: "x", mode: "tpc", tags: [], host: "" }))).toEqual([
      'sources.p.prot: unknown option (did you mean "port"?)',
      'sources.p.port: expected an integer, got "x"',
      'sources.p.mode: must be one of "udp" or "tcp", got "tpc" (did you mean "tcp"?)',
      "sources.p.tags: must not be empty",
      "sources.p.host: must not be empty",
    ]);
    expect(await problemsOf(withPlain({ port: 70000 }))).toEqual(["sources.p.port: must be at most 65535, got 70000"]);
  });
});

describe("plugin modules", () => {
  it("loads `plugins` relative to the config file and uses their types", async () => {
    writeFileSync(
      join(dir, "ext.mjs"),
      `export default {
        kind: "source", type: "ext", description: "An external source.",
        options: { type: "object", properties: { n: { type: "integer", default: 3, description: "n" } }, additionalProperties: false },
        plugin: class { events() { return { subscribe() { return { unsubscribe() {} }; } }; } },
      };\n`,
    );
    const reg = registry();
    const config = await loadConfigFile(
      writeConfig({ plugins: ["./ext.mjs"], sources: { e: { type: "ext" } }, sinks: { s: { type: "blackhole", inputs: ["e"] } } }),
      reg,
      {},
    );
    expect(config.components[0]).toMatchObject({ path: "sources.e", type: "ext", options: { n: 3 } });
    expect(reg.get("source", "ext")?.description).toBe("An external source.");
  });

  it("reports a module that cannot be loaded, with every other problem", async () => {
    writeFileSync(join(dir, "throws.mjs"), 'throw new Error("boom");\n');
    writeFileSync(join(dir, "empty.mjs"), "export const x = 1;\n");
    const problems = await problemsOf({
      plugins: ["./nope.js", "./throws.mjs", "./empty.mjs", 7],
      sources: { e: { type: "tick", rate: -1 } },
      sinks: { s: { type: "blackhole", inputs: ["e"] } },
    });
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^plugins\[0\]: cannot load "\.\/nope\.js": cannot find module: .*nope\.js/);
    expect(problems[1]).toBe('plugins[1]: cannot load "./throws.mjs": failed to load: boom');
    expect(problems[2]).toBe('plugins[2]: cannot load "./empty.mjs": exports no plugin definitions (export default defineSource(...) or an array of them)');
    expect(problems[3]).toBe("plugins[3]: expected a module path or package name, got 7");
    expect(problems[4]).toBe("sources.e.rate: must be greater than 0, got -1");
  });
});

describe("loadConfigObject", () => {
  it("validates an in-memory config, dataDir relative to baseDir", async () => {
    const config = await loadConfigObject(VALID, registry(), { baseDir: "/srv/livetap", env: {} });
    expect(config.dataDir).toBe("/srv/livetap/.livetap");
    expect(config.components).toHaveLength(6);
  });

  it("rejects a config that is not an object", async () => {
    await expect(loadConfigObject([VALID], registry(), { baseDir: dir })).rejects.toThrow("the config must be a JSON object, got an array");
  });
});
