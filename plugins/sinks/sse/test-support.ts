/**
 * Helpers for the sse sink's tests: running a created sink, and a minimal SSE reader over
 * node:http (so tests see raw frames, headers and the end of the response). Test code: the
 * public API and core/testing.js only.
 */
import http from "node:http";
import { Subject } from "rxjs";
import type { LiveEvent, Problem, Sink } from "../../../core/index.js";
import type { MetricsRegistry } from "../../../core/testing.js";
import type { SseSink } from "./index.js";
import { until } from "../../../test/support/until.js";

/** What `createPlugin(sseDefinition, ...)` returns (core/testing.js; the tests pass it in). */
export interface CreatedSink {
  plugin: Sink;
  services: {
    metrics: MetricsRegistry;
    http: { listenAll(): Promise<Problem[]>; closeAll(): Promise<void> };
  };
}

export interface RunningSink {
  sink: SseSink;
  services: CreatedSink["services"];
  input: Subject<LiveEvent>;
  /** consume()'s promise. */
  consumed: Promise<void>;
  url: string;
  close(): Promise<void>;
}

/** Starts a created sink, listens, and feeds it from a Subject. */
export async function runSink(created: CreatedSink): Promise<RunningSink> {
  const sink = created.plugin as SseSink;
  const { services } = created;
  await sink.start();
  const problems = await services.http.listenAll();
  if (problems.length) throw new Error(problems.map((p) => p.message).join("; "));
  const input = new Subject<LiveEvent>();
  const consumed = sink.consume(input.asObservable());
  consumed.catch(() => undefined); // a test that cares awaits it
  return {
    sink,
    services,
    input,
    consumed,
    url: sink.url()!,
    async close() {
      await sink.stop();
      await services.http.closeAll();
    },
  };
}

/** An event maker: each event gets a fresh id (`<ms>-<seq>`, increasing). */
export function eventMaker(): (type: string, data?: Record<string, unknown>) => LiveEvent {
  let seq = 0;
  return (type, data = {}) => ({ id: `1732445000000-${++seq}`, type, createdAt: "2026-11-24T11:50:00.123Z", data });
}

export interface Frame {
  event: string;
  data: string;
  id?: string;
}

/** Parses complete SSE frames off the front of `buffer`; returns the unparsed rest. */
export function parseFrames(buffer: string, out: Frame[]): string {
  let end: number;
  while ((end = buffer.indexOf("\n\n")) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const frame: Frame = { event: "message", data: "" };
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") frame.event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") frame.id = value;
    }
    frame.data = data.join("\n");
    out.push(frame);
  }
  return buffer;
}

/** One SSE response read with node:http. */
export class StreamReader {
  readonly frames: Frame[] = [];
  ended = false;
  private rest = "";

  private constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    private readonly req: http.ClientRequest,
    readonly res: http.IncomingMessage,
  ) {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      this.rest = parseFrames(this.rest + chunk, this.frames);
    });
    res.on("end", () => (this.ended = true));
    res.on("close", () => (this.ended = true));
    res.on("error", () => (this.ended = true));
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<StreamReader> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { headers, agent: false }, (res) => resolve(new StreamReader(res.statusCode ?? 0, res.headers, req, res)));
      req.on("error", reject);
    });
  }

  /** Events of every `trace` frame so far, in order. */
  events(): LiveEvent[] {
    return this.frames.filter((f) => f.event === "trace").flatMap((f) => JSON.parse(f.data) as LiveEvent[]);
  }

  ids(): string[] {
    return this.events().map((e) => e.id);
  }

  until(cond: (r: StreamReader) => boolean, what: string, timeoutMs?: number): Promise<void> {
    return until(() => cond(this), what, timeoutMs);
  }

  /** Waits for the first frame (the stream is registered server-side by then). */
  connected(): Promise<void> {
    return this.until((r) => r.frames.length > 0, "the first frame");
  }

  close(): void {
    this.req.destroy();
  }
}

/** A plain request: status, headers and the body as text. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** An SseConnection for hub tests, whose socket "fills" on demand: after `fill()` the next write returns false. */
export class FakeConnection {
  text = "";
  blocked = false;
  isClosed = false;
  private fillOnNextWrite = false;
  get writable(): boolean {
    return !this.blocked && !this.isClosed;
  }
  write(frame: string | Buffer): boolean {
    if (this.isClosed) return false;
    this.text += typeof frame === "string" ? frame : frame.toString("utf8");
    if (this.fillOnNextWrite) this.blocked = true;
    return !this.blocked;
  }
  fill(): void {
    this.fillOnNextWrite = true;
  }
  drain(client: { onDrain(): void }): void {
    this.fillOnNextWrite = false;
    this.blocked = false;
    client.onDrain();
  }
  end(): void {
    this.isClosed = true;
  }
  checkStall(): void {}
  frames(): Frame[] {
    const out: Frame[] = [];
    parseFrames(this.text, out);
    return out;
  }
}
