/**
 * What the wrk-driven HTTP ingest benches share (bench/webhook.bench.ts, bench/otlp.bench.ts):
 * their bounds from the environment, one `wrk` run and its POST script, a source started alone
 * with a counting consumer standing in for a fast pipeline, and the interleaved rounds with the
 * best round kept (neighbours on a shared machine only ever make a round slower).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subscription } from "rxjs";
import type { PluginDefinition, Source } from "../core/index.js";
import { createPlugin, type Services } from "../core/testing.js";

/** Seconds per measured case (BENCH_SECONDS, default 5, 1 to 60), after a 1 s warm-up. */
export const SECONDS = Math.min(60, Math.max(1, Number(process.env.BENCH_SECONDS ?? 5)));
/** Rounds of all cases (BENCH_ROUNDS, default 3, 1 to 10). */
export const ROUNDS = Math.min(10, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)));

export interface WrkResult {
  requestsPerSec: number;
  non2xx: number;
  latency: string;
}

/** One `wrk -t1` run of `script` against `url`. */
export function runWrk(url: string, script: string, seconds: number, connections: number): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const wrk = spawn("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    wrk.stdout.on("data", (c: Buffer) => (out += c.toString()));
    wrk.stderr.on("data", (c: Buffer) => (out += c.toString()));
    wrk.on("error", (err: NodeJS.ErrnoException) => reject(err.code === "ENOENT" ? new Error("wrk not found: install it (apt-get install -y wrk)") : err));
    wrk.on("close", (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
      const p99 = /99%\s+(\S+)/.exec(out);
      const avg = /Latency\s+(\S+)/.exec(out);
      resolve({ requestsPerSec: rps ? Number(rps[1]) : NaN, non2xx: non2xx ? Number(non2xx[1]) : 0, latency: `avg ${avg?.[1] ?? "?"} p99 ${p99?.[1] ?? "?"}` });
    });
  });
}

/** A wrk script posting `body`, read from a file (a 1 MiB string literal in Lua is asking for trouble). */
export function writePostScript(dir: string, key: string, body: string | Buffer, contentType: string): string {
  const bodyFile = join(dir, `${key}.body`);
  writeFileSync(bodyFile, body);
  const script = join(dir, `${key}.lua`);
  writeFileSync(
    script,
    ['wrk.method = "POST"', `local f = assert(io.open("${bodyFile}", "rb"))`, 'wrk.body = f:read("*a")', "f:close()", `wrk.headers["Content-Type"] = "${contentType}"`, ""].join("\n"),
  );
  return script;
}

/** A source listening alone, its events counted as a fast pipeline would take them. */
export interface CountedSource<S extends Source> {
  source: S;
  services: Services;
  taken(): number;
  close(): Promise<void>;
}

export async function startCountedSource<S extends Source>(definition: PluginDefinition<"source">, options: Record<string, unknown>): Promise<CountedSource<S>> {
  const { plugin, services } = createPlugin(definition, options);
  const source = plugin as S;
  await source.start?.();
  const problems = await services.http.listenAll();
  if (problems.length) throw new Error(problems.map((p) => p.message).join("; "));
  let taken = 0;
  const sub: Subscription = source.events().subscribe(() => taken++);
  return {
    source,
    services,
    taken: () => taken,
    close: async () => {
      sub.unsubscribe();
      await source.stop?.();
      await services.http.closeAll();
    },
  };
}

/** Compact rates for a table: `12.3k`, right-aligned. */
export const fmt = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0)).padStart(7);

export interface Rounds<C extends { key: string }, R> {
  /** The first line printed. */
  title: string;
  cases: C[];
  /** One measured case; `dir` is a scratch folder for wrk scripts. */
  run(c: C, dir: string): Promise<R>;
  print(r: R): void;
  /** Higher is better: the round kept per case. */
  score(r: R): number;
}

/** ROUNDS rounds of the cases BENCH_CASE selects (comma-separated keys; all when unset), interleaved; then the best round of each. */
export async function bestOfRounds<C extends { key: string }, R>(o: Rounds<C, R>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "livetap-wrk-bench-"));
  const only = process.env.BENCH_CASE;
  const selected = o.cases.filter((c) => !only || only.split(",").includes(c.key));
  const best = new Map<string, R>();
  try {
    console.log(o.title);
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}`);
      for (const c of selected) {
        const r = await o.run(c, dir);
        o.print(r);
        const b = best.get(c.key);
        if (!b || o.score(r) > o.score(b)) best.set(c.key, r);
      }
    }
    console.log(`best of ${ROUNDS}`);
    for (const c of selected) o.print(best.get(c.key)!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a bench's main, printing its error and failing the process instead of an unhandled rejection. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
