import pino, { type Logger } from "pino";
import { PinoPretty } from "pino-pretty";

export type LogFormat = "auto" | "json" | "pretty";

/**
 * Logs go to stderr (data owns stdout): JSON lines for machines, a readable one-liner when a
 * person watches the terminal. Synchronous so the last lines before exit are never lost.
 */
export function createLogger(level: string, format: LogFormat): Logger {
  const pretty = format === "pretty" || (format === "auto" && process.stderr.isTTY === true);
  if (!pretty) return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: true }));
  return pino(
    { level, base: undefined },
    PinoPretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true, ignore: "component", messageKey: "msg", translateTime: "HH:MM:ss.l" }),
  );
}
