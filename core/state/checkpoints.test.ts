import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointCorrupt, FileCheckpointStore, ReadOnlyCheckpointStore } from "./checkpoints.js";

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
