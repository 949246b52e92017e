import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointCorrupt, CheckpointRetryLater, FileCheckpointStore, ReadOnlyCheckpointStore, makeDirs } from "./checkpoints.js";

describe("FileCheckpointStore", () => {
  it("round-trips values, leaves no temp files, and reports absent keys as undefined", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "livetap-cp-")), "sources", "app");
    const store = new FileCheckpointStore(dir);
    expect(await store.read("offsets")).toBeUndefined();
    await store.write("offsets", { a: 1 });
    await store.write("offsets", { a: 2 });
    expect(await store.read("offsets")).toEqual({ a: 2 });
    expect(readdirSync(dir)).toEqual(["offsets.json"]);
    await store.remove("offsets");
    expect(await store.read("offsets")).toBeUndefined();
  });

  it("says which file is corrupt", async () => {
    const dir = mkdtempSync(join(tmpdir(), "livetap-cp-"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "offsets.json"), "{torn");
    await expect(new FileCheckpointStore(dir).read("offsets")).rejects.toBeInstanceOf(CheckpointCorrupt);
  });

  it("refuses keys that could escape its directory", async () => {
    const store = new FileCheckpointStore(mkdtempSync(join(tmpdir(), "livetap-cp-")));
    await expect(store.write("../x", 1)).rejects.toThrow(/checkpoint key/);
  });

  it("backs off after a failed write: refused without touching the disk until 1 s, then 2 s, ... later", async () => {
    const root = mkdtempSync(join(tmpdir(), "livetap-cp-"));
    const blocker = join(root, "state");
    writeFileSync(blocker, "a file where the directory should be");
    const clock = { now: 0 };
    const store = new FileCheckpointStore(join(blocker, "sources", "app"), () => clock.now);
    await expect(store.write("offsets", 1)).rejects.toThrow(/state is a file, not a directory/);
    // Fixed now, but not retried before its time: the refusal says why and when.
    rmSync(blocker);
    const refused = await store.write("offsets", 2).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CheckpointRetryLater);
    expect((refused as Error).message).toMatch(/^checkpoint not written: the last attempt in .* failed \(cannot create .*\); next attempt in 1 s$/);
    expect(existsSync(blocker)).toBe(false);
    clock.now += 1_000;
    await store.write("offsets", 3);
    expect(await store.read("offsets")).toBe(3);
  });

  it("doubles the wait with each failure, up to a minute, and re-creates a directory that went away", async () => {
    const root = mkdtempSync(join(tmpdir(), "livetap-cp-"));
    const clock = { now: 0 };
    const dir = join(root, "state", "sources", "app");
    const store = new FileCheckpointStore(dir, () => clock.now);
    await store.write("offsets", 1);
    rmSync(join(root, "state"), { recursive: true });
    writeFileSync(join(root, "state"), "");
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      await expect(store.write("offsets", i)).rejects.not.toBeInstanceOf(CheckpointRetryLater);
      const r = (await store.write("offsets", i).catch((e: unknown) => e)) as CheckpointRetryLater;
      waits.push(r.retryInMs);
      clock.now += r.retryInMs;
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    rmSync(join(root, "state"));
    await store.write("offsets", "back");
    expect(await store.read("offsets")).toBe("back");
  });

  it("probe() creates the directory and leaves nothing in it", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "livetap-cp-")), "a", "b");
    await new FileCheckpointStore(dir).probe();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("makeDirs", () => {
  it.runIf(existsSync("/proc/1"))("fails at once where mkdir -p of Node spins forever (/proc/1/livetap)", async () => {
    await expect(makeDirs("/proc/1/livetap/sources/app")).rejects.toThrow("cannot create /proc/1/livetap (ENOENT, no such file or directory)");
  });

  it("names the file that is in the way", async () => {
    const root = mkdtempSync(join(tmpdir(), "livetap-cp-"));
    writeFileSync(join(root, "passwd"), "");
    await expect(makeDirs(join(root, "passwd", "sub", "x"))).rejects.toThrow(`cannot create ${join(root, "passwd", "sub", "x")}: ${join(root, "passwd")} is a file, not a directory`);
  });

  it("creates every missing level and accepts an existing directory", async () => {
    const root = mkdtempSync(join(tmpdir(), "livetap-cp-"));
    await makeDirs(join(root, "a", "b", "c"));
    await makeDirs(join(root, "a", "b", "c"));
    expect(readdirSync(join(root, "a", "b"))).toEqual(["c"]);
  });
});

describe("ReadOnlyCheckpointStore (validate's dry start)", () => {
  it("reads the stored state and writes nothing: no folder, no file, nothing removed", async () => {
    const root = mkdtempSync(join(tmpdir(), "livetap-cp-"));
    const kept = join(root, "sources", "app");
    await new FileCheckpointStore(kept).write("offsets", { a: 1 });
    const store = new ReadOnlyCheckpointStore(kept);
    expect(await store.read("offsets")).toEqual({ a: 1 });
    await store.write("offsets", { a: 2 });
    await store.remove("offsets");
    expect(await store.read("offsets")).toEqual({ a: 1 });
    const fresh = new ReadOnlyCheckpointStore(join(root, "sources", "other"));
    await fresh.write("offsets", { a: 3 });
    expect(readdirSync(join(root, "sources"))).toEqual(["app"]);
  });
});
