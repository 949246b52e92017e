import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { until } from "../support/until.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const CLI = join(ROOT, "dist/core/cli/main.js");

export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the process exited. */
  exited: Promise<number | string>;
  /** Resolves once stderr or stdout contains `text` (rejects after `ms`). */
  waitFor(text: string | RegExp, ms?: number, stream?: "stdout" | "stderr"): Promise<void>;
}

/** Spawns the built CLI (dist/) like a user would, collecting its output. */
export function livetap(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  const exited = new Promise<number | string>((res) => child.on("exit", (code, signal) => res(code ?? signal ?? -1)));
  const waitFor = async (text: string | RegExp, ms = 15_000, stream?: "stdout" | "stderr") => {
    const hit = () => {
      const hay = stream === "stdout" ? out : stream === "stderr" ? err : out + err;
      return typeof text === "string" ? hay.includes(text) : text.test(hay);
    };
    await until(hit, String(text), ms).catch((e: Error) => {
      throw new Error(`${e.message}\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`);
    });
  };
  return { child, stdout: () => out, stderr: () => err, exited, waitFor };
}

export function tempDir(prefix = "livetap-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, config: unknown, name = "livetap.json"): string {
  const file = join(dir, name);
  writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  return file;
}
