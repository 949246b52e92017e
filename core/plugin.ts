import type { Observable, OperatorFunction } from "rxjs";
import type { z } from "zod";
import type { LiveEvent, LiveEventInput } from "./event.js";
import type { PluginCommand } from "./command.js";
import { formatProblem } from "./problem-text.js";
import type { HistoryQuery, SourceHistory, StoredAt } from "./history.js";

/**
 * A source produces events. The observable is cold: subscribing starts it (opens sockets,
 * watchers), unsubscribing is the whole stop. It completes when the input ended by itself
 * (stdin at EOF) and errors only when it cannot go on; bad input is data, not an error.
 */
export interface Source {
  /** Optional: bind ports / register HTTP routes before the pipeline starts (errors are startup problems). */
  start?(): Promise<void>;
  /**
   * Optional: the dry start of `livetap validate`, called instead of start(): the same startup
   * checks (ports, files, credentials) without side effects: nothing created, truncated or
   * written. Without it validate runs start(), then stop().
   */
  check?(): Promise<void>;
  events(): Observable<LiveEventInput>;
  /**
   * Optional graceful stop: stop accepting input, emit what is buffered, then complete the
   * observable. Without it core simply unsubscribes.
   */
  drain?(): void;
  /**
   * Optional: release what start() acquired (sockets bound before anyone subscribed). Core
   * calls it after the run, and when another component's startup failed. Safe twice and
   * without start().
   */
  stop?(): Promise<void>;
  /**
   * Optional: past events, for sinks downstream that need more than they kept (see
   * `History`). Resolves undefined when the query is not this source's (an id it never gave).
   */
  history?(query: HistoryQuery): Promise<SourceHistory | undefined>;
  /** Optional, beside history(): when it stored the event `id` (see `History.storedAt`); undefined when the id is not its. */
  storedAt?(id: string): Promise<StoredAt | undefined>;
}

/** An operator maps the event stream: a plain RxJS operator function. */
export interface Operator {
  operator(): OperatorFunction<LiveEvent, LiveEvent>;
}

/**
 * A sink consumes the stream. `start()` binds ports and opens files; `consume()` subscribes
 * and resolves once its input completed and everything is flushed (rejects when it cannot go
 * on); `stop()` closes, and is safe twice and without `start()`.
 */
export interface Sink {
  /**
   * True when this sink confirms each event itself through `DELIVERY` (`confirm` once it is
   * written or acknowledged, `fail` on an error). Otherwise core confirms an event when it
   * hands it to `consume()`, which is right for a live view.
   */
  readonly acknowledges?: boolean;
  start?(): Promise<void>;
  /**
   * Optional: the dry start of `livetap validate`, called instead of start(): the same startup
   * checks (ports, files) without side effects: nothing created, truncated or
   * written. Without it validate runs start(), then stop().
   */
  check?(): Promise<void>;
  consume(events: Observable<LiveEvent>): Promise<void>;
  stop?(): Promise<void>;
}

export type PluginKind = "source" | "operator" | "sink";
export interface PluginInstanceOf {
  source: Source;
  operator: Operator;
  sink: Sink;
}

/** A JSON Schema object, for plugins written in plain JavaScript (validated with ajv). */
export type JsonSchemaObject = { type?: string; properties?: Record<string, unknown>; [k: string]: unknown };

/**
 * Options: a zod schema (the source of truth; TS types by z.infer), or a JSON Schema for
 * plain JS plugins.
 */
export type OptionsSchema<O> = z.ZodType<O> | JsonSchemaObject;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PluginClass<T> = (new (...args: any[]) => T) & {
  /** For plain JS plugins without decorators: the tokens to inject, in constructor order. */
  inject?: readonly symbol[];
};

export interface PluginDefinition<K extends PluginKind = PluginKind, O = unknown> {
  readonly kind: K;
  /** The config `type`: lowercase, kebab-case. */
  readonly type: string;
  /** One line for the README and `$schema` descriptions. */
  readonly description: string;
  readonly options: OptionsSchema<O>;
  readonly plugin: PluginClass<PluginInstanceOf[K]>;
  /**
   * The smallest valid options, as a user writes them in the config (Vector's
   * `generate_config`, OTel's `metadata.yaml`): docs and `conformance()` start the plugin with
   * them. Name every address the plugin binds (`conformance()` gives it a free port) and write
   * file paths as `./name` (`conformance()` puts them in a temporary directory).
   */
  readonly example?: Readonly<Record<string, unknown>>;
  /** CLI commands this plugin brings (`livetap <name>`), e.g. a client for what it serves. */
  readonly commands?: readonly PluginCommand[];
}

type DefineArgs<K extends PluginKind, O> = Omit<PluginDefinition<K, O>, "kind">;

export function defineSource<O>(d: DefineArgs<"source", O>): PluginDefinition<"source", O> {
  return { kind: "source", ...d };
}
export function defineOperator<O>(d: DefineArgs<"operator", O>): PluginDefinition<"operator", O> {
  return { kind: "operator", ...d };
}
export function defineSink<O>(d: DefineArgs<"sink", O>): PluginDefinition<"sink", O> {
  return { kind: "sink", ...d };
}

export function isPluginDefinition(value: unknown): value is PluginDefinition {
  if (typeof value !== "object" || value === null) return false;
  const d = value as Partial<PluginDefinition>;
  return (
    (d.kind === "source" || d.kind === "operator" || d.kind === "sink") &&
    typeof d.type === "string" &&
    typeof d.plugin === "function" &&
    typeof d.options === "object" &&
    d.options !== null
  );
}

/** A startup or config problem: `path` relative to what reports it, core prefixes and prints it. */
export interface Problem {
  path: (string | number)[];
  message: string;
}

/** Thrown by a plugin's constructor or start() to report problems at their option paths. */
export class PluginProblems extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join("; "));
    this.name = "PluginProblems";
  }
}
