/**
 * End to end (CONTRACT 7): a real livetap process, a webhook source with ack "delivered" and a
 * sink that confirms nothing until a gate file appears. The 202 must wait for the sink; a
 * request that cannot settle within ackTimeoutMs gets 503 with Retry-After.
 */
import { afterEach, describe, expect, it, vi } from "vitest";

// Real processes on a shared machine: starting one can take many seconds.
vi.setConfig({ testTimeout: 120_000 });
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, livetap, tempDir, writeConfig, type Run } from "./cli/harness.js";
import { freePort } from "../core/testing.js";

const runs: { run: Run; dir: string }[] = [];
afterEach(() => {
  for (const { run, dir } of runs.splice(0)) {
    run.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

async function start(ackTimeoutMs: number): Promise<{ url: string; gate: string }> {
  const dir = tempDir("livetap-webhook-ack-");
  const port = await freePort();
  const gate = join(dir, "gate");
  const config = writeConfig(dir, {
    plugins: [join(ROOT, "test/fixtures/gated-sink.mjs")],
    dataDir: join(dir, "data"),
    sources: { hooks: { type: "webhook", address: `127.0.0.1:${port}`, ack: "delivered", ackTimeoutMs } },
    sinks: { slow: { type: "gated", inputs: ["hooks"], path: join(dir, "out.txt"), gate } },
  });
  const run = livetap(["run", "--config", config]);
  runs.push({ run, dir });
  await run.waitFor("press Ctrl-C", 60_000);
  return { url: `http://127.0.0.1:${port}/ingest`, gate };
}

const post = (url: string, body: string) => fetch(url, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });

describe('webhook ack "delivered" -> a slow sink', () => {
  it("answers 202 only once the sink confirmed every event of the request", async () => {
    const { url, gate } = await start(30_000);
    let answered = false;
    const response = post(url, '{"message":"a"}\n{"message":"b"}\n').then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(answered).toBe(false);
    writeFileSync(gate, "");
    const r = await response;
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({ accepted: 2 });
  });

  it("answers 503 with Retry-After when the events do not settle within ackTimeoutMs", async () => {
    const { url } = await start(500);
    const r = await post(url, '{"message":"a"}\n');
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await r.json()) as { details: string }).details).toMatch(/not delivered within ackTimeoutMs \(500 ms\)/);
  });
});

describe("an operator that drops events without telling core", () => {
  it("does not stall its source past ackTimeoutMs: the events settle as lost and the warning names it", async () => {
    const dir = tempDir("livetap-swallow-");
    const out = join(dir, "out.jsonl");
    const config = writeConfig(dir, {
      plugins: [join(ROOT, "test/fixtures/swallow-operator.mjs")],
      dataDir: join(dir, "data"),
      sources: { in: { type: "stdin", maxPendingEvents: 10, ackTimeoutMs: 300 } },
      operators: { evens: { type: "swallow-odd", inputs: ["in"] } },
      sinks: { out: { type: "file", inputs: ["evens"], path: out } },
    });
    const lines = Array.from({ length: 200 }, (_, n) => JSON.stringify({ n })).join("\n");
    // stdin with a bound of 10: without the timeout the source would stop reading for good.
    const run = livetap(["run", "--config", config], { input: `${lines}\n` });
    runs.push({ run, dir });
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/settled as lost after ackTimeoutMs \(300 ms\): operators\.evens took them/);
    const written = (await import("node:fs")).readFileSync(out, "utf8").split("\n").filter(Boolean);
    expect(written).toHaveLength(100);
  });
});
