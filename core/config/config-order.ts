import type { Problem } from "../plugin.js";

type Part = string | number;

/**
 * Sorts problems in the order their paths appear in the document (keys in the file's order,
 * array items by index), so the list reads top to bottom like the file. A path's own problem
 * comes before those under it; paths to keys the file does not have (a missing required
 * option) come after its keys. Stable: equal positions keep the order they were found in.
 */
export function sortByConfigOrder(problems: readonly Problem[], doc: unknown): Problem[] {
  return [...problems].sort((a, b) => comparePaths(a.path, b.path, doc));
}

export function comparePaths(a: readonly Part[], b: readonly Part[], doc: unknown): number {
  let node = doc;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return rank(node, a[i]) - rank(node, b[i]);
    node = child(node, a[i]);
  }
  return a.length - b.length;
}

function rank(node: unknown, part: Part): number {
  if (Array.isArray(node)) return typeof part === "number" ? part : Number.MAX_SAFE_INTEGER;
  if (typeof node === "object" && node !== null) {
    const i = Object.keys(node).indexOf(String(part));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  }
  return Number.MAX_SAFE_INTEGER;
}

function child(node: unknown, part: Part): unknown {
  return typeof node === "object" && node !== null ? (node as Record<Part, unknown>)[part] : undefined;
}
