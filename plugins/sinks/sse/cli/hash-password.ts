import { createInterface } from "node:readline";
import { Writable, type Readable } from "node:stream";
import type { PluginCommand } from "../../../../core/index.js";
import { hashPassword } from "../../../../core/kit.js";

const MAX_PASSWORD_CHARS = 4096;

type Input = Readable & { isTTY?: boolean };

/**
 * One line from `input`, without its end-of-line. On a terminal nothing is echoed (readline
 * writes its echo into a sink) and the prompt goes to `err`; piped, the first line is taken
 * and the rest ignored. Undefined when input ended before a line, null on Ctrl-C.
 */
export function readPasswordLine(input: Input, err: Writable): Promise<string | undefined | null> {
  const tty = input.isTTY === true;
  if (tty) err.write("Password: ");
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input, output: tty ? muted : undefined, terminal: tty, crlfDelay: Infinity });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (line: string | undefined | null) => {
      if (settled) return;
      settled = true;
      if (tty) err.write("\n");
      rl.close();
      resolve(line);
    };
    rl.once("line", (line) => finish(line));
    // Raw mode turns Ctrl-C into this event instead of a signal.
    rl.once("SIGINT", () => finish(null));
    rl.once("close", () => finish(undefined));
  });
}

/** `livetap hash-password` without process globals: the exit code. */
export async function runHashPassword(input: Input, out: Writable, err: Writable): Promise<number> {
  const line = await readPasswordLine(input, err);
  if (line === null) {
    err.write("hash-password: cancelled\n");
    return 130;
  }
  if (line === undefined || line === "") {
    err.write("hash-password: no password given: type it and press Enter, or pipe one line (printf '%s\\n' \"$PW\" | livetap hash-password)\n");
    return 1;
  }
  if (line.length > MAX_PASSWORD_CHARS) {
    err.write(`hash-password: password longer than ${MAX_PASSWORD_CHARS} characters\n`);
    return 1;
  }
  out.write(`${await hashPassword(line)}\n`);
  return 0;
}

/** `livetap hash-password`, contributed by the sse sink (for its `auth.basic`). */
export function hashPasswordCommand(): PluginCommand {
  return {
    name: "hash-password",
    description:
      "read one password line from stdin (not echoed on a terminal) and print its scrypt hash, " +
      "for `passwordHash` in an sse sink's `auth.basic`",
    action: (ctx) => runHashPassword(ctx.stdin, ctx.stdout, ctx.stderr),
  };
}
