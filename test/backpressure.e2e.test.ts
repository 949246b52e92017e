/**
 * End to end (CONTRACT 7): a real livetap process reads syslog over TCP into a sink that
 * confirms nothing until a gate file appears. The source must stop reading at
 * maxPendingEvents, so the sender's socket backs up on the sender's side while livetap's
 * memory stays bounded; once the sink confirms again, every message arrives exactly once.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// Real processes on a shared machine: starting one can take many seconds.
vi.setConfig({ testTimeout: 120_000 });
import net from "node:net";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, livetap, tempDir, writeConfig, type Run } from "./cli/harness.js";
import { freePort } from "../core/testing.js";
import { untilValue } from "./support/until.js";

const MESSAGES = 40_000;
const MAX_PENDING = 500;
/** ~1 KiB each: 40 MB in all, far more than loopback socket buffers hold. */
const PADDING = "x".repeat(900);

async function metric(port: number, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

const frame = (n: number): string => {
  const msg = `<14>1 2026-12-01T10:00:00.000Z host app - - - seq=${n} ${PADDING}`;
  return `${Buffer.byteLength(msg)} ${msg}`;
};

describe("syslog tcp -> a sink that stops confirming", () => {
  let dir: string;
  let run: Run | undefined;
  beforeAll(() => {
    dir = tempDir("livetap-backpressure-");
  });
  afterAll(() => {
    run?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("stops reading at maxPendingEvents, pushes back on the sender, keeps memory bounded and loses nothing", async () => {
    const [syslogPort, ssePort] = [await freePort(), await freePort()];
    const out = join(dir, "out.txt");
    const gate = join(dir, "gate");
    const config = writeConfig(dir, {
      plugins: [join(ROOT, "test/fixtures/gated-sink.mjs")],
      dataDir: join(dir, "data"),
      sources: { syslog: { type: "syslog", mode: "tcp", address: `127.0.0.1:${syslogPort}`, maxPendingEvents: MAX_PENDING } },
      sinks: {
        slow: { type: "gated", inputs: ["syslog"], path: out, gate },
        live: { type: "sse", inputs: ["syslog"], address: `127.0.0.1:${ssePort}` },
      },
    });
    run = livetap(["run", "--config", config]);
    await run.waitFor("press Ctrl-C", 60_000);

    const sender = net.connect(syslogPort, "127.0.0.1");
    sender.on("error", () => undefined); // livetap is killed at the end, whatever the sender still has
    await new Promise((r) => sender.once("connect", r));
    for (let i = 1; i <= MESSAGES; i++) sender.write(frame(i));

    // livetap holds at most maxPendingEvents unsettled events, plus the rest of the one read
    // chunk that crossed the bound (a 64 KiB chunk holds at most 72 of these messages)...
    const pending = await untilValue(async () => {
      const n = await metric(ssePort, "sources_syslog_pending");
      return n !== undefined && n >= MAX_PENDING ? n : undefined;
    }, "the source to reach its bound");
    expect(pending).toBeLessThanOrEqual(MAX_PENDING + 72);
    // ...and then reads no more, so what it did not read stays queued on the sender's side.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await metric(ssePort, "sources_syslog_pending")).toBe(pending);
    expect(sender.writableLength).toBeGreaterThan(10 * 1024 * 1024);
    const received = await metric(ssePort, "events_received_total");
    expect(received).toBeLessThan(MESSAGES / 2);
    const rss = (await metric(ssePort, "server_memory"))!;
    expect(rss).toBeLessThan(400 * 1024 * 1024);

    // The sink catches up: everything arrives, once.
    writeFileSync(gate, "");
    sender.end();
    await untilValue(() => (existsSync(out) && readFileSync(out, "utf8").split("\n").length - 1 >= MESSAGES ? true : undefined), "every message", 60_000);
    const seqs = readFileSync(out, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => Number(/seq=(\d+)/.exec(l)![1]));
    expect(seqs.length).toBe(MESSAGES);
    expect(new Set(seqs).size).toBe(MESSAGES);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  });
});
