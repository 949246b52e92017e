import type { Readable, Writable } from "node:stream";

/**
 * A CLI command a plugin contributes (`livetap <name> ...`), as plain data plus an action, so
 * a plugin needs no CLI library and core never names a plugin: the CLI registers the commands
 * of every loaded definition. Argument and option syntax is commander's.
 */
export interface PluginCommand {
  /** `livetap <name>`: lowercase kebab-case, unique among all commands. */
  readonly name: string;
  /** One line for `livetap --help`. */
  readonly description: string;
  /** Positional arguments in order: `<url>` required, `[file]` optional, `<files...>` variadic. */
  readonly arguments?: readonly CommandArgument[];
  readonly options?: readonly CommandOption[];
  /** Printed after the options in `livetap <name> --help` (examples, exit codes). */
  readonly helpAfter?: string;
  /** Unknown options and extra operands go to `args` (in order) instead of being an error. */
  readonly passThrough?: boolean;
  /** Runs the command; resolves with the process exit code. */
  action(context: CommandContext): Promise<number>;
}

export interface CommandArgument {
  /** `<name>`, `[name]` or `<name...>`. */
  readonly name: string;
  readonly description: string;
}

export interface CommandOption {
  /** `--filter <text>`, `-p, --pretty`, `--level [n]`; the value is under the camelCase long name. */
  readonly flags: string;
  readonly description: string;
  /** An environment variable that gives the value when the option is absent (shown in --help). */
  readonly env?: string;
  readonly default?: string | boolean;
}

/** What an action gets: its words, and the process's streams without touching globals. */
export interface CommandContext {
  /** The operands (with `passThrough` also the unknown options), in the order typed. */
  readonly args: readonly string[];
  /** Options given (or from `env`/`default`), by camelCase long name: `--last-event-id` is `lastEventId`. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
  /**
   * Aborted on SIGINT/SIGTERM. From the first call until the action settles those signals no
   * longer end the process: the action ends itself (a command that never calls this keeps the
   * default, and Ctrl-C ends it at once).
   */
  interrupted(): AbortSignal;
  /** Ends the command like a usage error of the CLI itself: `error: <message>` on stderr, exit 1. */
  usageError(message: string): never;
}
