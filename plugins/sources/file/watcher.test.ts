import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { until } from "../../../test/support/until.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { DirWatcher } from "./watcher.js";

let dir: string;
let watcher: DirWatcher | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "livetap-watch-"));
});
afterEach(async () => {
  watcher?.close();
  await rm(dir, { recursive: true, force: true });
});

const log = pino({ level: "silent" });

describe("DirWatcher", () => {
  it("reports a change in a watched directory by the entry's name", async () => {
    const hints: [string, string | null][] = [];
    watcher = new DirWatcher((d, _event, name) => hints.push([d, name]), log);
    watcher.update(new Set([dir]));
    expect(watcher.watched).toEqual([dir]);
    writeFileSync(join(dir, "a.log"), "x\n");
    await until(() => hints.some(([, name]) => name === "a.log"), "a hint for a.log");
    expect(hints.every(([d]) => d === dir)).toBe(true);
  });

  it("watches exactly what it is given: dropped directories are closed and report nothing", async () => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    mkdirSync(a);
    mkdirSync(b);
    const hints: string[] = [];
    watcher = new DirWatcher((d) => hints.push(d), log);
    watcher.update(new Set([a, b]));
    expect(watcher.watched.sort()).toEqual([a, b]);
    watcher.update(new Set([b]));
    expect(watcher.watched).toEqual([b]);
    writeFileSync(join(a, "x"), "1");
    writeFileSync(join(b, "y"), "1");
    await until(() => hints.includes(b), "a hint from b");
    expect(hints).not.toContain(a);
  });

  it("watches at most maxDirs directories; the others are left to polling", () => {
    const dirs = ["a", "b", "c"].map((n) => join(dir, n));
    for (const d of dirs) mkdirSync(d);
    watcher = new DirWatcher(() => undefined, log, 2);
    watcher.update(new Set(dirs));
    expect(watcher.watched).toHaveLength(2);
  });

  it("a directory that does not exist yet is watched once it does", async () => {
    const later = join(dir, "later");
    const hints: (string | null)[] = [];
    watcher = new DirWatcher((_d, _e, name) => hints.push(name), log);
    watcher.update(new Set([later]));
    expect(watcher.watched).toEqual([]);
    mkdirSync(later);
    watcher.update(new Set([later]));
    expect(watcher.watched).toEqual([later]);
    writeFileSync(join(later, "new.log"), "x\n");
    await until(() => hints.includes("new.log"), "a hint for new.log");
  });

  it("close() stops every watch, and update() may start again", () => {
    watcher = new DirWatcher(() => undefined, log);
    watcher.update(new Set([dir]));
    watcher.close();
    expect(watcher.watched).toEqual([]);
    watcher.update(new Set([dir]));
    expect(watcher.watched).toEqual([dir]);
  });
});
