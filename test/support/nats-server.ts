import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { freePort } from "../../core/testing.js";

export { freePort };

/**
 * A real nats-server with JetStream on 127.0.0.1, its store in a temp dir (file storage, so
 * it survives kill and restart on the same port). Stopped by its pid.
 */
export class NatsServer {
  private child: ChildProcess | undefined;
  log = "";

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly extraArgs: string[],
  ) {}

  static async start(extraArgs: string[] = [], port?: number): Promise<NatsServer> {
    const dir = await mkdtemp(join(tmpdir(), "livetap-nats-"));
    const server = new NatsServer(port ?? (await freePort()), dir, extraArgs);
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (again) on the same port and store. */
  async restart(): Promise<void> {
    const child = spawn("nats-server", ["-js", "-sd", this.storeDir, "-a", "127.0.0.1", "-p", String(this.port), ...this.extraArgs], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const onData = (b: Buffer) => {
        this.log += b.toString();
        if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
        if (/Server is ready/.test(this.log)) resolve();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`nats-server exited (${code}): ${this.log}`)));
      child.once("error", reject);
    });
    this.log = "";
  }

  /** SIGKILL, waits for the exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      process.kill(child.pid!, signal);
    });
  }

  async stop(): Promise<void> {
    await this.kill("SIGTERM");
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

/**
 * One nats-server for a test file, with a plain client connected to it: started before the
 * file's tests, stopped after them. Read `server` and `nc` inside tests (they are set by then).
 */
export function sharedNatsServer(): { readonly server: NatsServer; readonly nc: NatsConnection } {
  let server: NatsServer | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });
  return {
    get server() {
      return server!;
    },
    get nc() {
      return nc!;
    },
  };
}

/**
 * nats-servers of a test's own (own flags, a port to restart on): the returned function starts
 * one, and every server it started is stopped after each test of the file.
 */
export function natsServerPerTest(): (args?: string[], port?: number) => Promise<NatsServer> {
  const servers: NatsServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });
  return async (args = [], port) => {
    const s = await NatsServer.start(args, port);
    servers.push(s);
    return s;
  };
}
