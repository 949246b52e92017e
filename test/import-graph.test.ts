import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

function tsFiles(dir: string, withTests = false): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p, withTests);
    return p.endsWith(".ts") && (withTests || !isTestCode(p)) ? [p] : [];
  });
}

/** Tests and their helpers (`test-support.ts`, `test-helpers.ts`): they may use core/testing.js. */
function isTestCode(file: string): boolean {
  return file.endsWith(".test.ts") || basename(file).startsWith("test-");
}

/** What a plugin may import from core: the plugin API and the kit (tests: also the test helpers). */
const PLUGIN_API = ["core/index.js", "core/kit.js"];
const TEST_API = [...PLUGIN_API, "core/testing.js"];
/**
 * The dashboard page is browser code bundled by vite: it cannot load the kit (node modules),
 * so it imports the one pure module it shares with core, the filter's naming rules.
 */
const DASHBOARD = "plugins/sinks/sse/dashboard/";
const DASHBOARD_API = ["core/lib/filter/names.js"];
/**
 * Modules a receive thread (a worker) loads: the kit would cost each thread about 400 ms and
 * 8 MiB of imports it never uses, so they take the one pure module they need from core.
 */
const THREAD_CODE = ["plugins/sources/syslog/scan-rfc5424.ts", "plugins/sources/syslog/framing.ts", "plugins/sources/syslog/stream-server.ts", "plugins/sources/syslog/receive-thread.ts"];
const THREAD_API = ["core/lib/utf8.js"];

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);
}

// zod's no-circular-imports test, for our two layering rules.
describe("import graph", () => {
  it("core never imports plugins/ (the CLI entry aside)", () => {
    const offenders = tsFiles(join(ROOT, "core"))
      .filter((f) => relative(ROOT, f) !== join("core", "cli", "main.ts"))
      .flatMap((f) => imports(f).filter((s) => resolve(join(f, ".."), s).startsWith(join(ROOT, "plugins"))).map((s) => `${relative(ROOT, f)} -> ${s}`));
    expect(offenders).toEqual([]);
  });

  it("plugins import only the public API (core/index.js, core/kit.js; tests also core/testing.js) and never each other", () => {
    const offenders: string[] = [];
    for (const f of tsFiles(join(ROOT, "plugins"), true)) {
      const own = relative(join(ROOT, "plugins"), f).split("/").slice(0, 2).join("/");
      if (own === "index.ts") continue;
      const file = relative(ROOT, f);
      const allowed = file.startsWith(DASHBOARD) ? DASHBOARD_API : THREAD_CODE.includes(file) ? THREAD_API : isTestCode(f) ? TEST_API : PLUGIN_API;
      for (const s of imports(f)) {
        if (!s.startsWith(".")) continue;
        const target = relative(ROOT, resolve(join(f, ".."), s));
        if (target.startsWith("core/") && !allowed.includes(target)) offenders.push(`${file} -> ${s}`);
        if (target.startsWith("plugins/") && !target.startsWith(`plugins/${own}/`)) offenders.push(`${relative(ROOT, f)} -> ${s}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
