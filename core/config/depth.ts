import type { Problem } from "../plugin.js";

/**
 * How deep a config may nest. Real configs stay under ten levels (a component, its options,
 * an `auth` object, a list of users); the bound only has to keep every recursive walk after
 * it (env substitution, zod, ajv, problem ordering) far from the call-stack limit.
 */
export const MAX_CONFIG_DEPTH = 64;

/**
 * `PATH: nested deeper than 64` for each value sitting deeper than `max` levels (the root is
 * level 0, `sources.demo` level 2), one per too-deep branch. Iterative on purpose: the input
 * is exactly the kind of document that overflows a recursive walk.
 */
export function tooDeep(doc: unknown, max = MAX_CONFIG_DEPTH): Problem[] {
  const problems: Problem[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: doc, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (path.length > max) {
      problems.push({ path, message: `nested deeper than ${max}` });
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    // Pushed in reverse so branches come off the stack, and are reported, in file order.
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], path: [...path, entries[i][0]] });
  }
  return problems;
}
