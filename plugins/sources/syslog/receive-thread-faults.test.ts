/**
 * A receive thread that fails (a bug: no input can make it throw) ends its source loudly
 * instead of leaving it waiting for frames that never come. The thread here is the build's
 * receive-thread.js wrapped by a script that injects the fault; everything else is real
 * (the receiver, the worker, sockets on 127.0.0.1).
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { asyncScheduler } from "rxjs";
import { PluginProblems, untrackedDelivery } from "../../../core/index.js";
import { componentMetrics, MetricsRegistry } from "../../../core/testing.js";
import { until } from "../../../test/support/until.js";
import { SyslogOptions } from "./options.js";
import { Receiver, type Emitter } from "./receiver.js";
import { octet } from "./test-helpers.js";
import { UTC } from "./time.js";

const REAL = new URL("../../../dist/plugins/sources/syslog/receive-thread.js", import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), "livetap-thread-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A thread script: `before` runs first, then the real thread, then `after`. */
function faultyThread(name: string, before: string, after = ""): URL {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `import { parentPort } from "node:worker_threads";\n${before}\nawait import(${JSON.stringify(REAL)});\n${after}\n`);
  return pathToFileURL(file);
}

const ON_READ = (fault: string) => `parentPort.on("message", (m) => { if (m.t === "read") setImmediate(() => { ${fault} }); });`;
/** Faults once the first connection is reported, before any subscriber. */
const ON_OPEN = (fault: string) =>
  `const post = parentPort.postMessage.bind(parentPort); parentPort.postMessage = (m, t) => { post(m, t); if (m.t === "open") setImmediate(() => { ${fault} }); };`;

interface Logged {
  level: number;
  msg: string;
  err?: string;
}

const receivers: Receiver[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function bind(threadScript: URL): Promise<{ receiver: Receiver; logged: Logged[] }> {
  const logged: Logged[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => void logged.push(JSON.parse(line) as Logged) });
  const metrics = componentMetrics(new MetricsRegistry(), "sources.syslog");
  const opts = SyslogOptions.parse({ address: "127.0.0.1:0", mode: "tcp", threaded: true });
  const receiver = await Receiver.bind({ opts, host: "127.0.0.1", port: 0, zone: UTC, log, metrics, clock: asyncScheduler, delivery: untrackedDelivery, dropped: metrics.own.counter("dropped"), threadScript });
  receivers.push(receiver);
  return { receiver, logged };
}

function emitter(): Emitter & { errors: Error[]; events: number } {
  const e = { errors: [] as Error[], events: 0, next: () => void e.events++, complete: () => undefined, error: (err: Error) => void e.errors.push(err) };
  return e;
}

describe("a receive thread that fails", () => {
  it("that throws: the source errors with the thread's error, logged once, and closes without waiting", async () => {
    const { receiver, logged } = await bind(faultyThread("throws", "", ON_READ(`throw new Error("injected fault");`)));
    const out = emitter();
    receiver.attach(out);
    await until(() => out.errors.length > 0, "the source's error");
    expect(out.errors.map((e) => e.message)).toEqual(["syslog receive thread failed: injected fault"]);
    // The 'exit' that follows the 'error' is not a second failure.
    await new Promise((r) => setTimeout(r, 50));
    expect(logged.filter((l) => l.msg === "syslog receive thread failed").map((l) => l.err)).toEqual(["injected fault"]);
    await receiver.close();
    expect(out.errors).toHaveLength(1);
  });

  it("that exits on its own: the source errors with its exit code", async () => {
    const { receiver } = await bind(faultyThread("exits", "", ON_READ("process.exit(3);")));
    const out = emitter();
    receiver.attach(out);
    await until(() => out.errors.length > 0, "the source's error");
    expect(out.errors[0].message).toBe("syslog receive thread failed: exited with code 3");
    await receiver.close();
  });

  it("before the pipeline subscribes: the subscription gets the error at once", async () => {
    const { receiver, logged } = await bind(faultyThread("exits-on-open", ON_OPEN("process.exit(4);")));
    const s = net.connect(receiver.address()!.port, "127.0.0.1");
    sockets.push(s);
    s.on("error", () => undefined);
    s.write(octet("<13>1 - h a - - - before anyone listens"));
    await until(() => logged.some((l) => l.msg === "syslog receive thread failed"), "the failure logged");
    const out = emitter();
    receiver.attach(out);
    expect(out.errors.map((e) => e.message)).toEqual(["syslog receive thread failed: exited with code 4"]);
    expect(out.events).toBe(0);
  });

  it("before it listens: bind fails with a problem at `address`", async () => {
    const failing = bind(faultyThread("throws-at-start", `throw new Error("injected at start");`));
    const err = await failing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginProblems);
    expect((err as PluginProblems).problems).toEqual([{ path: ["address"], message: expect.stringContaining("injected at start") }]);
  });

  it("after a normal close, the thread's end is no failure", async () => {
    const { receiver, logged } = await bind(new URL(REAL));
    const out = emitter();
    receiver.attach(out);
    const s = net.connect(receiver.address()!.port, "127.0.0.1");
    sockets.push(s);
    s.write(octet("<13>1 - h a - - - one"));
    await until(() => out.events === 1, "the event");
    await receiver.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(out.errors).toEqual([]);
    expect(logged.filter((l) => l.level >= 50)).toEqual([]);
  });
});
