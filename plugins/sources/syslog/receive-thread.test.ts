/**
 * The receive thread on its own (the build's receive-thread.js, as the source runs it), driven
 * as the main thread drives it, with real sockets: what it posts, and when it stops reading.
 */
import { afterEach, describe, expect, it } from "vitest";
import net from "node:net";
import { Worker } from "node:worker_threads";
import { until } from "../../../test/support/until.js";
import { octet } from "./test-helpers.js";
import { BATCH_BYTES, FRAME_INTS, IN_FLIGHT_BYTES, SCANNED, type Frames, type FromThread, type ThreadConfig } from "./thread-protocol.js";
import { REC } from "./scan-rfc5424.js";

const SCRIPT = new URL("../../../dist/plugins/sources/syslog/receive-thread.js", import.meta.url);
const CONFIG: ThreadConfig = { host: "127.0.0.1", port: 0, framing: "auto", maxLength: 102_400, maxConnections: 10, idleTimeoutSeconds: 0, timezone: "UTC" };

interface Thread {
  worker: Worker;
  port: number;
  got: FromThread[];
  frames: () => Frames[];
  /** Frames posted so far. */
  count: () => number;
}

const threads: Worker[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(threads.splice(0).map((w) => w.terminate()));
});

async function startThread(config: Partial<ThreadConfig> = {}): Promise<Thread> {
  const worker = new Worker(SCRIPT, { workerData: { ...CONFIG, ...config } });
  threads.push(worker);
  const got: FromThread[] = [];
  const listening = new Promise<FromThread>((resolve) => worker.once("message", resolve));
  let count = 0;
  worker.on("message", (m: FromThread) => {
    got.push(m);
    if (m.t === "frames") count += framesOf([m]).length;
  });
  const first = await listening;
  if (first.t !== "listening") throw new Error(JSON.stringify(first));
  return { worker, port: first.port, got, frames: () => got.filter((m): m is Frames => m.t === "frames"), count: () => count };
}

function connect(port: number, localAddress = "127.0.0.1"): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1", localAddress }, () => resolve(s));
    sockets.push(s);
    s.once("error", reject);
  });
}

/** Each frame of the batches as [connection id, its bytes as text, scanned?]. */
function framesOf(batches: Frames[]): [number, string, boolean][] {
  const out: [number, string, boolean][] = [];
  for (const m of batches) {
    const a = m.records;
    for (let o = 0; o < a.length; ) {
      const b = Buffer.from(m.buffers[a[o + 2]]);
      out.push([a[o + 1], b.toString("utf8", a[o + 3], a[o + 4]), a[o] === SCANNED]);
      o += FRAME_INTS + (a[o] === SCANNED ? a[o + FRAME_INTS + REC.SIZE] : 0);
    }
  }
  return out;
}

describe("syslog receive thread", () => {
  it("accepts but does not read before `read`, then posts each connection's frames with its id and address", async () => {
    const t = await startThread();
    const a = await connect(t.port, "127.0.0.1");
    const b = await connect(t.port, "127.0.0.2");
    a.write(octet("<13>1 - a - - - - one"));
    b.write(octet("<13>1 - b - - - - uno"));
    await until(() => t.got.filter((m) => m.t === "open").length === 2, "two connections open");
    const opened = t.got.filter((m) => m.t === "open") as { id: number; remoteIp: string }[];
    const idOf = (ip: string) => opened.find((m) => m.remoteIp === ip)!.id;
    expect(t.frames()).toEqual([]);

    t.worker.postMessage({ t: "read" });
    // A frame split across writes (the framer joins it: it travels in a buffer of its own).
    const split = octet('<13>1 - a - - - [x@1 k="v"] two');
    a.write(split.subarray(0, 10));
    await until(() => t.count() === 2, "the first two frames");
    a.write(split.subarray(10));
    b.write("<13>Nov 25 12:00:00 b tag: dos\n");
    await until(() => t.count() === 4, "four frames");
    const frames = framesOf(t.frames());
    const A = idOf("127.0.0.1");
    const B = idOf("127.0.0.2");
    expect(frames.filter(([id]) => id === A)).toEqual([
      [A, "<13>1 - a - - - - one", true],
      [A, '<13>1 - a - - - [x@1 k="v"] two', true],
    ]);
    // RFC 3164 is left to the main thread's parser (not scanned), the newline kept for it to trim.
    expect(frames.filter(([id]) => id === B)).toEqual([
      [B, "<13>1 - b - - - - uno", true],
      [B, "<13>Nov 25 12:00:00 b tag: dos", false],
    ]);
  });

  it(`stops reading past ${IN_FLIGHT_BYTES} bytes not yet taken, pushing back on the sender, and reads on once they are`, async () => {
    const t = await startThread();
    t.worker.postMessage({ t: "read" });
    const s = await connect(t.port);
    const frame = octet(`<13>1 - h a - - - ${"x".repeat(200)}`);
    const chunk = Buffer.concat(Array.from({ length: 256 }, () => frame));
    const total = Math.ceil((3 * IN_FLIGHT_BYTES) / chunk.length);
    let written = 0;
    // Write until the socket's buffer says stop, again on each drain, up to `total` chunks.
    const pump = (): void => {
      while (written < total && s.write(chunk)) written++;
      if (written < total) s.once("drain", () => (written++, pump()));
    };
    pump();
    const posted = () => t.frames().reduce((n, m) => n + m.bytes, 0);
    // The thread posts until its bound, then the kernel's buffers fill and the writer waits.
    await until(() => posted() > IN_FLIGHT_BYTES, "the bound reached");
    let last = -1;
    await until(
      () => {
        const now = posted();
        const still = now === last;
        last = now;
        return still;
      },
      "the thread stopped posting",
      10_000,
      500,
    );
    expect(posted()).toBeLessThanOrEqual(IN_FLIGHT_BYTES + BATCH_BYTES + 64 * 1024);
    expect(written).toBeLessThan(total);
    // Taking what was posted lets everything through.
    const take = (m: FromThread) => m.t === "frames" && t.worker.postMessage({ t: "took", bytes: m.bytes });
    for (const m of t.frames()) take(m);
    t.worker.on("message", take);
    const expected = total * 256;
    await until(() => t.count() === expected, `${expected} frames`, 20_000, 50);
    expect(written).toBe(total);
  });

  it("on `close`: posts the partial frame of an open connection, reports it gone, then `closed` last", async () => {
    const t = await startThread();
    t.worker.postMessage({ t: "read" });
    const s = await connect(t.port);
    s.write("<13>1 - h a - - - no newline yet");
    await until(() => t.got.some((m) => m.t === "open"), "connection open");
    t.worker.postMessage({ t: "close" });
    await until(() => t.got.at(-1)?.t === "closed", "closed");
    expect(framesOf(t.frames()).map(([, text]) => text)).toEqual(["<13>1 - h a - - - no newline yet"]);
    expect(t.got.map((m) => m.t)).toEqual(["listening", "open", "frames", "gone", "closed"]);
  });

  it("reports an address in use instead of listening", async () => {
    const t = await startThread();
    const worker = new Worker(SCRIPT, { workerData: { ...CONFIG, port: t.port } });
    threads.push(worker);
    const first = await new Promise<FromThread>((resolve) => worker.once("message", resolve));
    expect(first).toMatchObject({ t: "listen-failed", code: "EADDRINUSE" });
  });
});
