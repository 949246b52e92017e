import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

/** What `npm pack` would put in the tarball, read from the built dist/ (scripts off: no rebuild under running tests). */
function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
  const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
  return pack.files.map((f) => f.path);
}

// A test file, a test helper or a bench, wherever tsc or a copy put it.
const NOT_PRODUCT = /(^|\/)(test|bench)\/|\.test\.|\.bench\.|(^|\/)test-(support|helpers|plugins)\.|(^|\/)dist-test\//;

describe("npm pack", () => {
  const files = packedFiles();

  it("ships no tests, test helpers or benches", () => {
    expect(files.filter((f) => NOT_PRODUCT.test(f))).toEqual([]);
  });

  it("ships every entry point package.json names", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      exports: Record<string, string | { types: string; default: string }>;
    };
    const entries = [
      ...Object.values(pkg.bin),
      ...Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : [e.types, e.default])),
    ].map((p) => p.replace(/^\.\//, ""));
    expect(entries.filter((p) => !files.includes(p))).toEqual([]);
    expect(files).toContain("dist/dashboard/index.html");
  });
});
