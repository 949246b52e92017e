/** Severities of events: syslog codes, the names log libraries use, pino's numeric levels. */
import type { LiveEvent } from "../../event.js";

/** Syslog severity names, most severe first: the index is the RFC 5424 code. */
export const SEVERITY_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const;

/** Every name a severity condition accepts: the syslog names and the usual aliases of log libraries. */
const SEVERITY_ALIASES: Record<string, number> = {
  emerg: 0,
  emergency: 0,
  panic: 0,
  alert: 1,
  crit: 2,
  critical: 2,
  fatal: 2,
  err: 3,
  error: 3,
  warning: 4,
  warn: 4,
  notice: 5,
  info: 6,
  informational: 6,
  information: 6,
  debug: 7,
  trace: 7,
};
const SEVERITY_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries(SEVERITY_ALIASES));
export const SEVERITY_WORDS = Object.keys(SEVERITY_ALIASES) as [string, ...string[]];

/** The code of a severity word exactly as written (`warn` -> 4); undefined for anything else. */
export function severityCode(word: string | undefined): number | undefined {
  return word === undefined ? undefined : SEVERITY_BY_NAME.get(word);
}

/** pino/bunyan numeric levels, as JSON logs carry them in `level`. */
const NUMERIC_LEVELS: ReadonlyMap<number, number> = new Map([
  [10, 7],
  [20, 7],
  [30, 6],
  [40, 4],
  [50, 3],
  [60, 2],
]);

/**
 * The syslog severity code (0 = emerg … 7 = debug) of a severity value: a name or alias in any
 * case (`err`, `error`, `WARN`), a syslog code 0-7, or a pino level number (10-60).
 * Undefined when the value is none of these.
 */
export function severityRank(value: unknown): number | undefined {
  if (typeof value === "string") return SEVERITY_BY_NAME.get(value) ?? SEVERITY_BY_NAME.get(value.toLowerCase());
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value <= 7 ? value : NUMERIC_LEVELS.get(value);
  return undefined;
}

/** An event's severity code: `data.severity` (syslog events), else `data.level` (app logs, the demo source). */
export function eventSeverity(event: LiveEvent): number | undefined {
  const data = event.data;
  if (data == null) return undefined;
  return severityRank(data.severity) ?? severityRank(data.level);
}
