import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

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

  it("plugins import only the public API (core/index.js) and never each other", () => {
    const offenders: string[] = [];
    for (const f of tsFiles(join(ROOT, "plugins"))) {
      const own = relative(join(ROOT, "plugins"), f).split("/").slice(0, 2).join("/");
      if (own === "index.ts") continue;
      for (const s of imports(f)) {
        if (!s.startsWith(".")) continue;
        const target = relative(ROOT, resolve(join(f, ".."), s));
        if (target.startsWith("core/") && target !== "core/index.js") offenders.push(`${relative(ROOT, f)} -> ${s}`);
        if (target.startsWith("plugins/") && !target.startsWith(`plugins/${own}/`)) offenders.push(`${relative(ROOT, f)} -> ${s}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
