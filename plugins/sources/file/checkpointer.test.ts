import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import type { CheckpointStore } from "../../../core/index.js";
import { FileCheckpointStore, MetricsRegistry } from "../../../core/testing.js";
import { Checkpointer } from "./checkpointer.js";
import { CHECKPOINT_VERSION, type SavedCheckpoint, type SavedPosition } from "./identity.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "livetap-cp-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(store: CheckpointStore = new FileCheckpointStore(join(dir, "state"))) {
  let logText = "";
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk, _enc, cb) {
        logText += String(chunk);
        cb();
      },
    }),
  );
  const errors = new MetricsRegistry().counter("file.checkpoint-errors");
  return { cp: new Checkpointer(store, log, errors), errors, logs: () => logText, store };
}

const pos = (offset: number, ino = "7"): SavedPosition => ({ path: "/x.log", dev: "1", ino, fingerprint: "ab", fingerprintBytes: 1, offset, tail: "" });
const snap = (...files: SavedPosition[]): SavedCheckpoint => ({ version: CHECKPOINT_VERSION, files });
const onDisk = async () => JSON.parse(await readFile(join(dir, "state", "files.json"), "utf8")) as SavedCheckpoint;

describe("Checkpointer: restore", () => {
  it("gives back what was saved", async () => {
    const { cp } = setup();
    cp.save(snap(pos(42)));
    await cp.settled();
    const restored = await setup().cp.restore('readFrom "end"');
    expect(restored).toEqual([{ path: "/x.log", dev: "1", ino: "7", fp: "ab", fpLen: 1, offset: 42, tail: Buffer.alloc(0) }]);
  });

  it("a first start (no directory yet) is quiet; a missing checkpoint where one was written is warned about", async () => {
    const first = setup();
    expect(await first.cp.restore('readFrom "end"')).toBeUndefined();
    expect(first.logs()).not.toMatch(/"level":40/);
    mkdirSync(join(dir, "state"));
    const again = setup();
    expect(await again.cp.restore('readFrom "end"')).toBeUndefined();
    expect(again.logs()).toMatch(/"level":40.*no checkpoint in .*readFrom \\"end\\"/);
    expect(again.errors.value).toBe(0);
  });

  it("an unreadable or foreign checkpoint is warned about, counted, and not used", async () => {
    mkdirSync(join(dir, "state"));
    writeFileSync(join(dir, "state", "files.json"), "{not json");
    const torn = setup();
    expect(await torn.cp.restore("x")).toBeUndefined();
    expect(torn.errors.value).toBe(1);
    expect(torn.logs()).toMatch(/unreadable/);
    writeFileSync(join(dir, "state", "files.json"), JSON.stringify({ version: 99, files: [] }));
    const foreign = setup();
    expect(await foreign.cp.restore("x")).toBeUndefined();
    expect(foreign.errors.value).toBe(1);
    expect(foreign.logs()).toMatch(/not usable \(unknown version 99\)/);
  });
});

describe("Checkpointer: writing", () => {
  it("writes one at a time: of the values saved during a write only the newest goes next", async () => {
    const writes: SavedCheckpoint[] = [];
    const real = new FileCheckpointStore(join(dir, "state"));
    const store: CheckpointStore = { dir: real.dir, read: (k) => real.read(k), remove: (k) => real.remove(k), write: (k, v) => (writes.push(v as SavedCheckpoint), real.write(k, v)) };
    const { cp } = setup(store);
    cp.save(snap(pos(1)));
    cp.save(snap(pos(2)));
    cp.save(snap(pos(3)));
    await cp.settled();
    expect(writes.map((w) => w.files[0].offset)).toEqual([1, 3]);
    expect((await onDisk()).files[0].offset).toBe(3);
    // The same value again is not written again.
    cp.save(snap(pos(3)));
    await cp.settled();
    expect(writes).toHaveLength(2);
  });

  it("a failing write is warned about and counted, and the next one is tried", async () => {
    let fail = true;
    const real = new FileCheckpointStore(join(dir, "state"));
    const store: CheckpointStore = { dir: real.dir, read: (k) => real.read(k), remove: (k) => real.remove(k), write: (k, v) => (fail ? Promise.reject(new Error("disk full")) : real.write(k, v)) };
    const { cp, errors, logs } = setup(store);
    cp.save(snap(pos(1)));
    await cp.settled();
    expect(errors.value).toBe(1);
    expect(logs()).toMatch(/disk full.*cannot write the checkpoint/);
    fail = false;
    cp.save(snap(pos(1)));
    await cp.settled();
    expect((await onDisk()).files[0].offset).toBe(1);
  });
});
