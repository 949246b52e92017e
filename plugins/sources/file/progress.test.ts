import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import pino from "pino";
import fc from "fast-check";
import { Progress, type Mark } from "./progress.js";

const OK = { events: 1, failed: 0, lost: 0 };
const at = (offset: number, fp = "ab"): Mark => ({ fp, fpLen: fp === "" ? 0 : 1, offset, tail: Buffer.from(`t${offset}`) });
const file = { path: "/a.log", dev: "1", ino: "2" };

function progress() {
  let logs = "";
  const log = pino(
    { level: "debug" },
    new Writable({
      write(c, _e, cb) {
        logs += String(c);
        cb();
      },
    }),
  );
  return { p: new Progress(log), logs: () => logs };
}
const offsets = (p: Progress) => p.snapshot().files.map((f) => f.offset);

describe("Progress", () => {
  it("starts at where the file starts, and commits a settled batch", () => {
    const { p } = progress();
    p.follow("k", file, at(10));
    expect(p.snapshot().files).toEqual([{ path: "/a.log", dev: "1", ino: "2", fingerprint: "ab", fingerprintBytes: 1, offset: 10, tail: Buffer.from("t10").toString("base64") }]);
    const settle = p.handOver("k", at(20), 3);
    expect(offsets(p)).toEqual([10]);
    settle(OK);
    expect(offsets(p)).toEqual([20]);
  });

  it("a settled batch after an unsettled one waits for it", () => {
    const { p } = progress();
    p.follow("k", file, at(0));
    const a = p.handOver("k", at(10), 1);
    const b = p.handOver("k", at(20), 1);
    const c = p.handOver("k", at(30), 1);
    b(OK);
    c(OK);
    expect(offsets(p)).toEqual([0]);
    a(OK);
    expect(offsets(p)).toEqual([30]);
    expect(p.unsettledSteps).toBe(0);
  });

  it("lines settled as lost (an operator swallowed them) count as settled", () => {
    const { p } = progress();
    p.follow("k", file, at(0));
    p.handOver("k", at(10), 2)({ events: 2, failed: 0, lost: 2 });
    expect(offsets(p)).toEqual([10]);
  });

  it("a failed batch stops the checkpoint before it; later batches no longer count", () => {
    const { p, logs } = progress();
    p.follow("k", file, at(0));
    const a = p.handOver("k", at(10), 1);
    const b = p.handOver("k", at(20), 1);
    const c = p.handOver("k", at(30), 1);
    a(OK);
    b({ events: 1, failed: 1, lost: 0 });
    c(OK);
    p.handOver("k", at(40), 1)(OK);
    expect(offsets(p)).toEqual([10]);
    expect(p.unsettledSteps).toBe(0);
    expect(logs()).toMatch(/a sink failed 1 lines of \/a\.log: its checkpoint stays at offset 10/);
    // Found again (renamed back into the globs): still stuck.
    p.follow("k", file, at(0));
    expect(offsets(p)).toEqual([10]);
  });

  it("moves without lines (a truncation) follow once what came before is settled", () => {
    const { p } = progress();
    p.follow("k", file, at(0));
    const a = p.handOver("k", at(100), 5);
    p.moved("k", at(0, ""));
    // Before the truncation's lines are settled, the old content's position is what is safe.
    expect(p.snapshot().files[0]).toMatchObject({ offset: 0, fingerprint: "ab" });
    a(OK);
    expect(p.snapshot().files[0]).toMatchObject({ offset: 0, fingerprint: "", fingerprintBytes: 0 });
  });

  it("a batch without lines behind unsettled ones does not add a step (blank chunks keep memory bounded)", () => {
    const { p } = progress();
    p.follow("k", file, at(0));
    const a = p.handOver("k", at(10), 1);
    for (let i = 1; i <= 1000; i++) p.handOver("k", at(10 + i), 0)(OK);
    expect(p.unsettledSteps).toBe(2);
    a(OK);
    expect(offsets(p)).toEqual([1010]);
  });

  it("a released file stays in the checkpoint until its lines are settled", () => {
    const { p } = progress();
    p.follow("k", file, at(0));
    const a = p.handOver("k", at(10), 1);
    p.release("k");
    expect(offsets(p)).toEqual([0]);
    a(OK);
    expect(p.snapshot().files).toEqual([]);
  });

  it("property: the committed offset is the end of the longest settled prefix of batches, whatever the settle order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 30 }), fc.array(fc.nat()), (sizes, order) => {
        const { p } = progress();
        p.follow("k", file, at(0));
        let end = 0;
        // As the tailer does: a batch without lines is settled as it is handed over.
        const batches = sizes.map((n) => {
          const settle = p.handOver("k", at((end += 10)), n);
          if (n === 0) settle(OK);
          return { end, settle, done: n === 0 };
        });
        const open = batches.filter((b) => !b.done);
        for (const pick of order) {
          if (open.length === 0) break;
          const [b] = open.splice(pick % open.length, 1);
          b.settle(OK);
          b.done = true;
          const prefix = batches.findIndex((x) => !x.done);
          const want = prefix === -1 ? batches.at(-1)!.end : prefix === 0 ? 0 : batches[prefix - 1].end;
          expect(offsets(p)).toEqual([want]);
        }
      }),
    );
  });
});
