/**
 * How a problem's path is printed, once for config errors (ConfigError) and plugin startup
 * problems (PluginProblems), so the two never disagree.
 */
import type { Problem } from "./plugin.js";

/**
 * `sinks.live.auth.bearer[0]: message`: the one way paths are printed (not zod's prettifyError).
 * Keys other than letters, digits, `_`, `-` and `$` are quoted: `sources["my source"].type`.
 * Digits may lead (component names may, `sources.1st`), so problems and log prefixes agree;
 * array indexes are numbers and print as `[0]`, so `.0` is never ambiguous.
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[\w$-]+$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || "(config)";
}

/** A problem about the whole file (unreadable, invalid JSON) names the file itself: no prefix. */
export function formatProblem(p: Problem): string {
  return p.path.length === 0 ? p.message : `${formatPath(p.path)}: ${p.message}`;
}
