/**
 * Stalwart's filters on the traces stream (CONTRACT 11), applied to events already in compat
 * shape (event.ts), so filters see exactly the keys and values the client sees:
 * - `filter=S` matches a string, boolean or nested value containing S (times and IP
 *   addresses are strings here); numbers never;
 * - `some-key=S` (kebab-case of a Stalwart key, `type` included) matches when that key's
 *   value contains S as text; key filters AND among themselves;
 * - an event passes when `filter` matches OR every key filter matches;
 * - names that are no Stalwart key are ignored (WebAdmin's free text cannot cause a 400).
 */
import type { LiveEvent } from "../../../../core/index.js";
import { kebabToCamel, type Matcher } from "../../../../core/kit.js";
import { STALWART_KEYS } from "./keys.js";

/** Nesting below this depth is not searched: bounds the recursion on hostile data. */
const MAX_SEARCH_DEPTH = 64;

/** Never key filters: auth, replay, and the live-view parameters of CONTRACT 9. */
const RESERVED = new Set(["filter", "token", "lastEventId", "follow", "since", "outputs-of"]);

/** `follow=` is read with the other live-view parameters; the sink follows `spanId` by default in this mode. */
export function compileStalwartFilter(params: URLSearchParams): Matcher {
  const last = new Map<string, string>();
  for (const [k, v] of params) last.set(k, v); // the last of a repeated parameter wins
  let needle: string | undefined;
  const keys: Record<string, string> = {};
  for (const [name, value] of last) {
    if (value === "") continue;
    if (name === "filter") needle = value;
    else if (RESERVED.has(name)) continue;
    else {
      const key = kebabToCamel(name);
      if (STALWART_KEYS.has(key)) keys[key] = value;
    }
  }
  const keyList = Object.entries(keys);
  const conditions = { filter: needle, keys };
  if (needle === undefined && keyList.length === 0) return { predicate: () => true, matchesAll: true, conditions };
  const text = needle === undefined ? undefined : (e: LiveEvent) => containsText(e.data, needle!, false, 0);
  const byKeys =
    keyList.length === 0
      ? undefined
      : (e: LiveEvent) => {
          const data = e.data;
          for (const [k, v] of keyList) if (!Object.prototype.hasOwnProperty.call(data, k) || !containsText(data[k], v, true, 0)) return false;
          return true;
        };
  const predicate = text && byKeys ? (e: LiveEvent) => text(e) || byKeys(e) : (text ?? byKeys)!;
  return { predicate, matchesAll: false, conditions };
}

/**
 * Strings by substring, booleans by their text, arrays and objects by any nested value;
 * numbers by their text only for key filters (`filter` never matches a number, as in Stalwart).
 */
function containsText(value: unknown, needle: string, numbers: boolean, depth: number): boolean {
  switch (typeof value) {
    case "string":
      return value.includes(needle);
    case "boolean":
      return String(value).includes(needle);
    case "number":
      return numbers && String(value).includes(needle);
    case "object": {
      if (value === null || depth >= MAX_SEARCH_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (containsText(value[i], needle, numbers, depth + 1)) return true;
        return false;
      }
      const obj = value as Record<string, unknown>;
      for (const k in obj) if (containsText(obj[k], needle, numbers, depth + 1)) return true;
      return false;
    }
    default:
      return false;
  }
}
