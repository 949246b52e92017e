/**
 * Tiny plugin definitions for the config tests, so they do not depend on the built-ins
 * (core never imports plugins/). Names mirror the built-ins where a message quotes them.
 */
import { EMPTY, identity, type Observable, type OperatorFunction } from "rxjs";
import { z } from "zod";
import { defineOperator, defineSink, defineSource, type Operator, type PluginDefinition, type Sink, type Source } from "../plugin.js";
import type { LiveEvent, LiveEventInput } from "../event.js";

class NoSource implements Source {
  events(): Observable<LiveEventInput> {
    return EMPTY;
  }
}
class NoOperator implements Operator {
  operator(): OperatorFunction<LiveEvent, LiveEvent> {
    return identity;
  }
}
class NoSink implements Sink {
  async consume(): Promise<void> {}
}

export const TickOptions = z.strictObject({
  rate: z.number().positive().max(1000).default(5).describe("Events/s, at most 1000."),
  label: z.string().optional().describe("Free text copied into every event."),
});
export const LinesOptions = z.strictObject({
  path: z.string().min(1).describe("File to read."),
  mode: z.enum(["udp", "tcp", "tls"]).default("udp").describe("Transport."),
});
export const KeepOptions = z.strictObject({
  match: z.string().describe("Substring an event must contain."),
  limit: z.int().min(1).optional().describe("Keep at most this many events."),
});
export const ConsoleOptions = z.strictObject({
  format: z.enum(["json", "pretty"]).default("json").describe("Output format."),
});
export const FileOptions = z.strictObject({
  path: z.string().min(1).describe("File to append to."),
});
export const SseOptions = z.strictObject({
  address: z.string().describe("host:port to listen on."),
  auth: z
    .strictObject({
      bearer: z.array(z.string()).min(1).describe("Accepted bearer tokens."),
    })
    .optional()
    .describe("Credentials required on the streams."),
});

/** A plain-JS plugin: a JSON Schema validated by ajv. */
export const plainSource: PluginDefinition = {
  kind: "source",
  type: "plain",
  description: "A plain JavaScript source.",
  options: {
    type: "object",
    properties: {
      port: { type: "integer", minimum: 1, maximum: 65535, default: 9000, description: "TCP port." },
      host: { type: "string", minLength: 1, default: "127.0.0.1", description: "Interface." },
      mode: { enum: ["udp", "tcp"], description: "Transport." },
      tags: { type: "array", items: { type: "string" }, minItems: 1, description: "Tags." },
    },
    additionalProperties: false,
  },
  plugin: NoSource,
};

export const testPlugins: PluginDefinition[] = [
  defineSource({ type: "tick", description: "Ticks.", options: TickOptions, plugin: NoSource }),
  defineSource({ type: "lines", description: "Lines of a file.", options: LinesOptions, plugin: NoSource }),
  plainSource,
  defineOperator({ type: "keep", description: "Keeps matching events.", options: KeepOptions, plugin: NoOperator }),
  defineOperator({ type: "pass", description: "Passes everything.", options: z.strictObject({}), plugin: NoOperator }),
  defineSink({ type: "blackhole", description: "Drops everything.", options: z.strictObject({}), plugin: NoSink }),
  defineSink({ type: "console", description: "Prints events.", options: ConsoleOptions, plugin: NoSink }),
  defineSink({ type: "file", description: "Appends JSON lines.", options: FileOptions, plugin: NoSink }),
  defineSink({ type: "sse", description: "Serves events over SSE.", options: SseOptions, plugin: NoSink }),
];
