import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { JsonSchemaObject, OptionsSchema, PluginDefinition } from "../plugin.js";
import { formatProblem } from "./model.js";
import { createOptionsValidator } from "./options.js";

class Nothing {}
const plugin = (options: OptionsSchema<unknown>): PluginDefinition => ({ kind: "source", type: "t", description: "t", options, plugin: Nothing as never });

/** `path: message` lines for options checked against a schema, or the parsed options. */
function check(schema: OptionsSchema<unknown>, options: Record<string, unknown>): string[] | { ok: unknown } {
  const result = createOptionsValidator()(plugin(schema), options);
  return result.ok ? { ok: result.options } : result.problems.map(formatProblem);
}

describe("zod options", () => {
  const Mode = z.discriminatedUnion("mode", [
    z.strictObject({ mode: z.literal("udp"), port: z.number() }),
    z.strictObject({ mode: z.literal("tcp"), port: z.number(), maxConnections: z.int().default(10) }),
  ]);

  it.each<[string, z.ZodType, Record<string, unknown>, string[]]>([
    ["an integer", z.strictObject({ n: z.int() }), { n: 1.5 }, ["n: expected an integer, got 1.5"]],
    ["a missing option", z.strictObject({ path: z.string() }), {}, ["path: required (expected a string)"]],
    ["a boolean", z.strictObject({ on: z.boolean() }), { on: "yes" }, ['on: expected a boolean, got "yes"']],
    ["an object given a list", z.strictObject({ o: z.strictObject({}) }), { o: [] }, ["o: expected an object, got an array"]],
    ["a union of types", z.strictObject({ u: z.union([z.string(), z.array(z.string())]) }), { u: 5 }, ["u: expected a string or an array, got 5"]],
    ["a union of a literal and a type", z.strictObject({ u: z.union([z.literal("auto"), z.number()]) }), { u: true }, ['u: expected "auto" or a number, got true']],
    [
      "a union where one shape fits",
      z.strictObject({ u: z.union([z.string(), z.strictObject({ a: z.string() })]) }),
      { u: { a: 1 } },
      ["u.a: expected a string, got 1"],
    ],
    ["an unknown discriminator", Mode, { mode: "tls", port: 1 }, ['mode: must be one of "udp" or "tcp", got "tls"']],
    ["a missing discriminator", Mode, { port: 1 }, ['mode: required (one of "udp" or "tcp")']],
    ["an option of the chosen branch", Mode, { mode: "tcp", port: "x" }, ['port: expected a number, got "x"']],
    ["an unknown option of a branch", Mode, { mode: "tcp", port: 1, maxConections: 2 }, ['maxConections: unknown option (did you mean "maxConnections"?)']],
    ["a single literal", z.strictObject({ v: z.literal(1) }), { v: 2 }, ["v: must be 1, got 2"]],
    ["a pattern", z.strictObject({ s: z.string().regex(/^a+$/) }), { s: "b" }, ['s: must match /^a+$/, got "b"']],
    ["a URL", z.strictObject({ s: z.url() }), { s: "nope" }, ['s: must be a URL, got "nope"']],
    ["a prefix", z.strictObject({ s: z.string().startsWith("/") }), { s: "x" }, ['s: must start with "/", got "x"']],
    ["a multiple", z.strictObject({ n: z.number().multipleOf(5) }), { n: 7 }, ["n: must be a multiple of 5, got 7"]],
    ["a long string", z.strictObject({ s: z.string().max(3) }), { s: "abcde" }, ["s: must be at most 3 characters long, got 5 characters"]],
    ["an exact length", z.strictObject({ s: z.string().length(4) }), { s: "abc" }, ["s: must be exactly 4 characters long"]],
    ["a long list", z.strictObject({ l: z.array(z.number()).max(2) }), { l: [1, 2, 3] }, ["l: must have at most 2 items, got 3"]],
    ["a short list", z.strictObject({ l: z.array(z.number()).min(2) }), { l: [1] }, ["l: must have at least 2 items, got 1"]],
    ["a lower bound", z.strictObject({ n: z.number().min(1) }), { n: 0 }, ["n: must be at least 1, got 0"]],
    ["an exclusive upper bound", z.strictObject({ n: z.number().lt(1) }), { n: 1 }, ["n: must be less than 1, got 1"]],
    ["a list item", z.strictObject({ l: z.array(z.number()) }), { l: [1, "2"] }, ['l[1]: expected a number, got "2"']],
    ["a record value", z.strictObject({ r: z.record(z.string(), z.number()) }), { r: { a: "x" } }, ['r.a: expected a number, got "x"']],
    ["a refinement", z.strictObject({ n: z.number().refine((n) => n % 2 === 0, "must be even") }), { n: 3 }, ["n: must be even"]],
    [
      "a check with its own message",
      z.strictObject({ t: z.string().regex(/^[a-z.]+$/, "must be a lowercase dotted event type") }),
      { t: "Bad Type" },
      ['t: must be a lowercase dotted event type, got "Bad Type"'],
    ],
    ["a type with its own message", z.strictObject({ s: z.string({ error: "must be a path" }) }), { s: 1 }, ["s: must be a path, got 1"]],
    ["a refinement without a message", z.strictObject({ n: z.number().refine((n) => n % 2 === 0) }), { n: 3 }, ["n: invalid value"]],
    [
      "a very long bad value",
      z.strictObject({ n: z.number() }),
      { n: "x".repeat(500) },
      [`n: expected a number, got "${"x".repeat(55)}..."`],
    ],
    [
      "several unknown options at once",
      z.strictObject({ address: z.string().optional(), path: z.string().optional() }),
      { adress: 1, pth: 2, zzz: 3 },
      ['adress: unknown option (did you mean "address"?)', 'pth: unknown option (did you mean "path"?)', "zzz: unknown option (known: address, path)"],
    ],
    ["an option where there are none", z.strictObject({}), { x: 1 }, ["x: unknown option (this takes no options)"]],
  ])("%s", (_, schema, options, expected) => {
    expect(check(schema, options)).toEqual(expected);
  });

  it("returns parsed options with defaults", () => {
    expect(check(Mode, { mode: "tcp", port: 1 })).toEqual({ ok: { mode: "tcp", port: 1, maxConnections: 10 } });
  });

  it("gives a secret's length, never its value", () => {
    const token = z.string().min(16, "token is shorter than 16 characters").regex(/^\S*$/, "token must not contain spaces").meta({ writeOnly: true });
    const schema = z.strictObject({ auth: z.strictObject({ bearer: z.array(token), secret: token.optional(), n: z.number().meta({ writeOnly: true }).optional() }) });
    expect(check(schema, { auth: { bearer: ["s3cret", "a long secret with spaces"], secret: "x y", n: "s3cret" } })).toEqual([
      "auth.bearer[0]: token is shorter than 16 characters, got 6 characters",
      "auth.bearer[1]: token must not contain spaces, got 25 characters",
      "auth.secret: token is shorter than 16 characters, got 3 characters",
      "auth.secret: token must not contain spaces, got 3 characters",
      "auth.n: expected a number, got 6 characters",
    ]);
  });
});

describe("JSON Schema options (ajv)", () => {
  const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): JsonSchemaObject => ({
    type: "object",
    properties,
    additionalProperties: false,
    ...extra,
  });

  it.each<[string, JsonSchemaObject, Record<string, unknown>, string[]]>([
    ["a nullable type", object({ s: { type: ["string", "null"] } }), { s: 5 }, ["s: expected a string or null, got 5"]],
    ["a missing option", object({ n: { type: "integer" } }, { required: ["n"] }), {}, ["n: required (expected an integer)"]],
    ["a union of types", object({ u: { anyOf: [{ type: "string" }, { type: "array" }] } }), { u: 5 }, ["u: expected a string or an array, got 5"]],
    [
      "a union where one shape fits",
      object({ u: { anyOf: [{ type: "string" }, object({ a: { type: "string" } })] } }),
      { u: { a: 1 } },
      ["u.a: expected a string, got 1"],
    ],
    ["a const", object({ v: { const: "x" } }), { v: "y" }, ['v: must be "x", got "y"']],
    ["a pattern", object({ s: { type: "string", pattern: "^a+$" } }), { s: "b" }, ['s: must match /^a+$/, got "b"']],
    ["a format", object({ s: { type: "string", format: "uri" } }), { s: "nope" }, ['s: must be a URI, got "nope"']],
    ["an exclusive lower bound", object({ n: { type: "number", exclusiveMinimum: 0 } }), { n: 0 }, ["n: must be greater than 0, got 0"]],
    ["a long string", object({ s: { type: "string", maxLength: 2 } }), { s: "abc" }, ["s: must be at most 2 characters long, got 3 characters"]],
    ["a short list", object({ l: { type: "array", minItems: 2 } }), { l: [1] }, ["l: must have at least 2 items, got 1"]],
    [
      "a nested unknown option",
      object({ auth: object({ bearer: { type: "array" } }) }),
      { auth: { beerer: [] } },
      ['auth.beerer: unknown option (did you mean "bearer"?)'],
    ],
    [
      "an object key that looks like an index",
      object({ m: { type: "object", additionalProperties: { type: "number" } } }),
      { m: { "0": "x" } },
      ['m.0: expected a number, got "x"'],
    ],
    ["a list item", object({ l: { type: "array", items: { type: "number" } } }), { l: [1, "x"] }, ['l[1]: expected a number, got "x"']],
    [
      "a draft 2020-12 schema",
      { $schema: "https://json-schema.org/draft/2020-12/schema", ...object({ t: { type: "array", prefixItems: [{ type: "number" }] } }) },
      { t: ["x"] },
      ['t[0]: expected a number, got "x"'],
    ],
  ])("%s", (_, schema, options, expected) => {
    expect(check(schema, options)).toEqual(expected);
  });

  it("gives a secret's length, never its value", () => {
    const schema = object({ secret: { type: "string", minLength: 16, pattern: "^\\S*$", writeOnly: true }, n: { type: "number", writeOnly: true } });
    expect(check(schema, { secret: "s3 cret", n: "s3cret" })).toEqual([
      "secret: must be at least 16 characters long, got 7 characters",
      "secret: must match /^\\S*$/, got 7 characters",
      "n: expected a number, got 6 characters",
    ]);
  });

  it("applies defaults, nested ones too", () => {
    const schema = object({ n: { type: "number", default: 3 }, o: object({ b: { type: "boolean", default: true } }, { default: {} }) });
    expect(check(schema, {})).toEqual({ ok: { n: 3, o: { b: true } } });
  });

  it("reports a schema ajv cannot compile as the plugin's fault", () => {
    expect(check({ type: "object", properties: { n: { type: "nonsense" } } }, {})).toEqual([
      expect.stringMatching(/^the source plugin "t" has an invalid options schema: /),
    ]);
  });
});
