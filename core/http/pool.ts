import { readFile } from "node:fs/promises";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { PluginProblems, type Problem } from "../plugin.js";
import { parseAddress, urlFor, type HostPort } from "../lib/address.js";

export interface HttpServerOptions {
  /** PEM file paths; the listener serves HTTPS when set. */
  tls?: { cert: string; key: string };
  /** Where the address sits in the plugin's options, for error paths (default ["address"]). */
  addressPath?: (string | number)[];
}

export interface BoundServer {
  /** The shared fastify instance: add routes inside `app.register(...)` before start() returns. */
  app: FastifyInstance;
  /** The URL the server listens on once the pipeline is up (port 0 resolved); undefined before. */
  url(): string | undefined;
}

/**
 * What plugins see: one fastify instance per address, shared with other components on that
 * address (a webhook source and an SSE sink may share 127.0.0.1:8080). The pool listens once
 * every component has started, so all routes exist before the first request.
 */
export interface HttpServers {
  server(address: string, opts?: HttpServerOptions): Promise<BoundServer>;
}

interface Entry {
  hp: HostPort;
  app: FastifyInstance;
  tlsKey: string;
  owners: { component: string; addressPath: (string | number)[] }[];
  bound?: string;
}

/** Owns every HTTP listener of the process. */
export class HttpServerPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly log: Logger) {}

  /** The facade handed to one component; `component` is its config path (`sinks.live`). */
  forComponent(component: string): HttpServers {
    return { server: (address, opts = {}) => this.acquire(component, address, opts) };
  }

  private async acquire(component: string, address: string, opts: HttpServerOptions): Promise<BoundServer> {
    const addressPath = opts.addressPath ?? ["address"];
    const hp = parseAddress(address);
    if (typeof hp === "string") throw new PluginProblems([{ path: addressPath, message: hp }]);
    const key = `${hp.host}:${hp.port}`;
    const tlsKey = opts.tls ? `${opts.tls.cert}\n${opts.tls.key}` : "";
    let entry = hp.port === 0 ? undefined : this.entries.get(key);
    if (entry && entry.tlsKey !== tlsKey) {
      throw new PluginProblems([
        { path: addressPath, message: `${address} is shared with ${entry.owners[0].component}, which uses ${entry.tlsKey ? "other TLS files" : "no TLS"}` },
      ]);
    }
    if (!entry) {
      const https = opts.tls ? await readTls(opts.tls) : undefined;
      const app = Fastify({
        logger: false,
        forceCloseConnections: true, // live streams never end by themselves
        return503OnClosing: true,
        // https options differ in type only; fastify picks the server from them.
        ...(https ? { https } : {}),
      } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
      app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
        const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
        if (status >= 500) this.log.error({ err, address }, "http handler failed");
        void reply.status(status).send({ error: status >= 500 ? "internal error" : httpReason(status), details: status >= 500 ? "see the server log" : err.message });
      });
      app.setNotFoundHandler((req, reply) => {
        void reply.status(404).send({ error: "not found", details: `no route for ${req.method} ${req.url.split("?")[0]}` });
      });
      entry = { hp, app, tlsKey, owners: [] };
      this.entries.set(hp.port === 0 ? `${key}#${this.entries.size}` : key, entry);
    }
    entry.owners.push({ component, addressPath });
    const e = entry;
    return { app: e.app, url: () => e.bound };
  }

  /** Listens on every address; problems carry full paths (`sinks.live.address`). */
  async listenAll(): Promise<Problem[]> {
    const problems: Problem[] = [];
    await Promise.all(
      [...this.entries.values()].map(async (e) => {
        try {
          await e.app.listen({ host: e.hp.host, port: e.hp.port });
          const addr = e.app.server.address();
          const port = typeof addr === "object" && addr ? addr.port : e.hp.port;
          e.bound = urlFor(e.tlsKey ? "https" : "http", e.hp.host, port);
          this.log.info({ url: e.bound, components: e.owners.map((o) => o.component) }, `listening on ${e.bound}`);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const where = `${e.hp.host.includes(":") ? `[${e.hp.host}]` : e.hp.host}:${e.hp.port}`;
          const message =
            code === "EADDRINUSE" ? `${where} is already in use`
            : code === "EADDRNOTAVAIL" ? `${where} is not an address of this machine`
            : code === "EACCES" ? `${where}: permission denied (ports below 1024 need privileges)`
            : code === "ENOTFOUND" || code === "EAI_AGAIN" ? `host "${e.hp.host}" does not resolve`
            : `cannot listen on ${where}: ${(err as Error).message}`;
          for (const o of e.owners) problems.push({ path: [...o.component.split("."), ...o.addressPath], message });
        }
      }),
    );
    return problems;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.app.close().catch(() => undefined)));
    this.entries.clear();
  }
}

async function readTls(tls: { cert: string; key: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (field: "cert" | "key"): Promise<Buffer | Problem> => {
    try {
      return await readFile(tls[field]);
    } catch (err) {
      return { path: ["tls", field], message: `cannot read "${tls[field]}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  };
  // Read together, reported in option order (not in the order the reads happened to fail).
  const [cert, key] = await Promise.all([read("cert"), read("key")]);
  const problems = [cert, key].filter((r): r is Problem => !Buffer.isBuffer(r));
  if (problems.length) throw new PluginProblems(problems);
  return { cert: cert as Buffer, key: key as Buffer };
}

function httpReason(status: number): string {
  const reasons: Record<number, string> = {
    400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found", 405: "method not allowed",
    406: "not acceptable", 413: "payload too large", 415: "unsupported media type", 429: "too many requests",
  };
  return reasons[status] ?? "request failed";
}
