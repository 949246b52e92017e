import { readdir, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import picomatch from "picomatch";

/** `**` descends at most this deep below a glob's fixed directory: symlink loops and `/` cannot run away. */
export const MAX_GLOB_DEPTH = 16;
/** Directory entries looked at in one scan, over all roots: one bad glob cannot stall the source. */
export const MAX_SCAN_ENTRIES = 200_000;
const STAT_BATCH = 32;

export interface Found {
  path: string;
  /** `dev:ino`: what the file is, whatever its name. */
  key: string;
  dev: string;
  ino: string;
  size: number;
}

export type ScanProblem = (path: string, err: NodeJS.ErrnoException) => void;

interface Root {
  dir: string;
  /** Directory levels below `dir` to descend into (0: only the entries of dir). */
  depth: number;
}

/**
 * Finds the files that the include globs match and the exclude globs do not. One walk per
 * distinct fixed directory of the globs (`/var/log` of `/var/log/*.log`), however many globs
 * share it, and one matcher for all of them.
 */
export class GlobScanner {
  private readonly roots: Root[];
  private readonly literals: string[];
  private readonly included: (path: string) => boolean;
  private readonly excluded: (path: string) => boolean;

  constructor(include: readonly string[], exclude: readonly string[], cwd: string) {
    const abs = include.map((g) => (isAbsolute(g) ? g : resolve(cwd, g)));
    const roots = new Map<string, number>();
    const literals = new Set<string>();
    for (const g of abs) {
      const s = picomatch.scan(g);
      if (!s.isGlob) {
        literals.add(s.base);
        continue;
      }
      const segments = s.glob.split("/");
      const depth = segments.some((p) => p.includes("**")) ? MAX_GLOB_DEPTH : segments.length - 1;
      const dir = s.base === "" ? "/" : s.base;
      roots.set(dir, Math.max(depth, roots.get(dir) ?? 0));
    }
    this.roots = [...roots].map(([dir, depth]) => ({ dir, depth }));
    this.literals = [...literals];
    this.included = picomatch(abs);
    const ex = exclude.map((g) => (g.includes("/") && !isAbsolute(g) ? resolve(cwd, g) : g));
    this.excluded = ex.length > 0 ? picomatch(ex, { basename: true }) : () => false;
  }

  /** Whether `path` (absolute) is one of ours. */
  matches(path: string): boolean {
    return this.included(path) && !this.excluded(path);
  }

  /** Directories worth watching for changes: where matches can appear. */
  directories(): string[] {
    return [...new Set([...this.roots.map((r) => r.dir), ...this.literals.map((l) => dirname(l))])];
  }

  /** Every matching regular file (symlinks followed), by `dev:ino`; the first path wins for a file seen twice. */
  async scan(onProblem: ScanProblem): Promise<Map<string, Found>> {
    const candidates: string[] = this.literals.filter((p) => this.matches(p));
    let budget = MAX_SCAN_ENTRIES;
    for (const root of this.roots) {
      let level = [root.dir];
      for (let depth = 0; depth <= root.depth && level.length > 0 && budget > 0; depth++) {
        const next: string[] = [];
        for (const dir of level) {
          let entries;
          try {
            entries = await readdir(dir, { withFileTypes: true });
          } catch (err) {
            const e = err as NodeJS.ErrnoException;
            if (e.code !== "ENOENT" && e.code !== "ENOTDIR") onProblem(dir, e);
            continue;
          }
          for (const entry of entries) {
            if (--budget < 0) break;
            const path = dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`;
            // Symlinked directories are not descended into (loops); symlinked files are tailed.
            if (entry.isDirectory()) {
              if (depth < root.depth) next.push(path);
            } else if ((entry.isFile() || entry.isSymbolicLink()) && this.matches(path)) candidates.push(path);
          }
        }
        level = next;
      }
    }
    const found = new Map<string, Found>();
    for (let i = 0; i < candidates.length; i += STAT_BATCH) {
      const batch = candidates.slice(i, i + STAT_BATCH);
      const stats = await Promise.all(
        batch.map((p) =>
          stat(p, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== "ENOENT") onProblem(p, err);
            return undefined;
          }),
        ),
      );
      stats.forEach((st, j) => {
        if (!st?.isFile()) return;
        const dev = st.dev.toString();
        const ino = st.ino.toString();
        const key = `${dev}:${ino}`;
        if (!found.has(key)) found.set(key, { path: batch[j], key, dev, ino, size: Number(st.size) });
      });
    }
    return found;
  }
}

/** Looks in `dir` for the file `dev:ino` (a file renamed out of the globs while we were not running). */
export async function findByKey(dir: string, keys: ReadonlySet<string>, limit = 10_000): Promise<Map<string, Found>> {
  const out = new Map<string, Found>();
  let names: string[];
  try {
    names = (await readdir(dir)).slice(0, limit);
  } catch {
    return out;
  }
  for (let i = 0; i < names.length && out.size < keys.size; i += STAT_BATCH) {
    const batch = names.slice(i, i + STAT_BATCH).map((n) => join(dir, n));
    const stats = await Promise.all(batch.map((p) => stat(p, { bigint: true }).catch(() => undefined)));
    stats.forEach((st, j) => {
      if (!st?.isFile()) return;
      const key = `${st.dev}:${st.ino}`;
      if (keys.has(key) && !out.has(key)) out.set(key, { path: batch[j], key, dev: st.dev.toString(), ino: st.ino.toString(), size: Number(st.size) });
    });
  }
  return out;
}
