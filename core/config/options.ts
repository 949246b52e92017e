import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule, { type FormatsPlugin } from "ajv-formats";
import { z } from "zod";
import type { JsonSchemaObject, PluginDefinition, Problem } from "../plugin.js";
import { ajvErrorsToProblems } from "./ajv-issues.js";
import { isSecretAt, knownKeysAt } from "./schema-walk.js";
import { ZOD_PARSE_PARAMS, zodIssuesToProblems } from "./zod-issues.js";

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the
// module object, so take the plugin function from it.
const addFormats: FormatsPlugin = (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin);

export type OptionsResult = { ok: true; options: unknown } | { ok: false; problems: Problem[] };

/** Checks one component's options against its plugin's schema; paths relative to the options. */
export type OptionsValidator = (definition: PluginDefinition, options: Record<string, unknown>) => OptionsResult;

/** Duck-typed, so a plugin built against its own copy of zod 4 is still recognised. */
export function isZodSchema(schema: unknown): schema is z.ZodType {
  return typeof (schema as { safeParse?: unknown } | null)?.safeParse === "function";
}

/**
 * A validator for one config load. The ajv instances (for plain-JS plugins' JSON Schemas) are
 * made on first use and live as long as the validator, not the process: compiled schemas are
 * cached per instance, and a module-level cache would be hidden global state.
 */
export function createOptionsValidator(): OptionsValidator {
  const ajvs = new Map<string, Ajv>();

  // ajv caches compiled functions by schema object, so each plugin's schema compiles once.
  const compile = (schema: JsonSchemaObject): ValidateFunction => {
    // draft 2020-12 schemas need ajv's 2020 class; everything else is read as draft-07.
    const draft = typeof schema.$schema === "string" && schema.$schema.includes("2020-12") ? "2020" : "07";
    let ajv = ajvs.get(draft);
    if (!ajv) {
      // strict: false because a user's schema may carry annotations ajv does not know
      // (`x-unit`, `examples` in old drafts); they are documentation, not an error.
      const options = { allErrors: true, useDefaults: true, verbose: true, strict: false } as const;
      ajv = draft === "2020" ? (new Ajv2020(options) as unknown as Ajv) : new Ajv(options);
      addFormats(ajv);
      ajvs.set(draft, ajv);
    }
    return ajv.compile(schema);
  };

  return (definition, options) => {
    const schema = definition.options;
    if (isZodSchema(schema)) {
      const result = schema.safeParse(options, ZOD_PARSE_PARAMS);
      if (result.success) return { ok: true, options: result.data };
      // The JSON Schema is only needed for messages (option names, secrets), so it is built on demand.
      let json: Record<string, unknown> | undefined;
      const jsonSchema = (): Record<string, unknown> => {
        try {
          json ??= zodToJsonSchema(schema);
        } catch {
          // A schema zod cannot express as JSON Schema: no suggestions, still every problem.
          json = {};
        }
        return json;
      };
      const hints = { knownKeys: (path: readonly (string | number)[]) => knownKeysAt(jsonSchema(), path), isSecret: (path: readonly (string | number)[]) => isSecretAt(jsonSchema(), path) };
      return { ok: false, problems: zodIssuesToProblems(result.error.issues, hints) };
    }
    let validate: ValidateFunction;
    try {
      validate = compile(schema);
    } catch (err) {
      return { ok: false, problems: [{ path: [], message: `the ${definition.kind} plugin "${definition.type}" has an invalid options schema: ${(err as Error).message}` }] };
    }
    // useDefaults writes into the data; the caller's object stays as the user wrote it.
    const data = structuredClone(options);
    if (validate(data)) return { ok: true, options: data };
    return { ok: false, problems: ajvErrorsToProblems(validate.errors ?? [], data) };
  };
}

/**
 * The input-side JSON Schema of a zod options schema: options with defaults are optional,
 * as the user writes them. Transforms and refinements have no JSON Schema form, so they
 * are left open (`{}`) rather than failing the whole schema.
 */
export function zodToJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
}
