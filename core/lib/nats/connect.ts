import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import type { SchedulerLike, Subscription } from "rxjs";
import type { Logger } from "pino";
import type { Authenticator, NatsConnection } from "@nats-io/transport-node";
import { PluginProblems, type Problem } from "../../plugin.js";
import type { NatsConnectionOptions } from "./options.js";

/** The server could not be reached (refused, timed out, DNS): worth retrying, unlike bad credentials. */
export class NatsUnreachable extends Error {
  constructor(
    readonly servers: readonly string[],
    readonly reason: string,
  ) {
    super(`cannot reach ${servers.join(", ")} (${reason})`);
    this.name = "NatsUnreachable";
  }
}

/**
 * Thrown by `onConnected` for a state another node will fix (a stream not created yet):
 * `run` waits and tries again like for an unreachable server; `validate` reports it at `path`.
 */
export class NatsNotReady extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
    this.name = "NatsNotReady";
  }
}

/** First-connect retry delays: fast at first (a server starting next to us), then at most 10 s. */
export const FIRST_DELAY_MS = 250;
export const MAX_DELAY_MS = 10_000;
export function backoffMs(attempt: number): number {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 16));
}

const HANDSHAKE_TIMEOUT_MS = 5000;
const CLOSE_FLUSH_MS = 2000;

export interface NatsLinkHooks {
  /** Runs once connected, before `ready` resolves: stream checks. Its PluginProblems are startup problems. */
  onConnected(nc: NatsConnection): Promise<void>;
}

/**
 * One plugin's connection to NATS (the `nats` sink and source share it): credentials and TLS
 * from the options, the first connect with retries, and the client's own reconnects (with
 * backoff, forever) once connected.
 *
 * `start()` is the plugin's start(): bad credentials, unreadable files and a failing
 * `onConnected` are startup problems; an unreachable server is one only under
 * `livetap validate` (`dryRun`), while `run` logs which server it cannot reach and keeps
 * trying in the background. `ready` resolves once connected and checked.
 */
export class NatsLink {
  readonly ready: Promise<NatsConnection>;
  private resolveReady!: (nc: NatsConnection) => void;
  private rejectReady!: (err: unknown) => void;
  private nc: NatsConnection | undefined;
  private up = false;
  private readonly reconnectListeners: (() => void)[] = [];
  private retryTimer: Subscription | undefined;
  private closed = false;
  private attempt = 0;
  private reconnectAttempt = 0;

  constructor(
    private readonly opts: NatsConnectionOptions,
    private readonly log: Logger,
    private readonly scheduler: SchedulerLike,
    private readonly hooks: NatsLinkHooks,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // a plugin that never awaits it must not crash the process
  }

  /** The connection when there is one (for status checks); use `ready` to wait for it. */
  get connection(): NatsConnection | undefined {
    return this.nc;
  }

  /**
   * False between a disconnect and the reconnect: a publisher should wait rather than fill
   * the client's reconnect buffer with requests that will time out and be sent again.
   */
  get connected(): boolean {
    return this.up;
  }

  /** Calls `listener` after every reconnect. */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async start(dryRun: boolean): Promise<void> {
    const options = await this.connectionOptions();
    try {
      await this.attemptOnce(options);
    } catch (err) {
      if (!(err instanceof NatsUnreachable || err instanceof NatsNotReady) || dryRun) throw this.asProblems(err);
      this.log.warn(`${this.component()} ${err.message}; retrying in ${backoffMs(0)} ms, the pipeline waits meanwhile`);
      this.scheduleRetry(options);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.retryTimer?.unsubscribe();
    this.rejectReady(new Error("closed"));
    const nc = this.nc;
    this.nc = undefined;
    this.up = false;
    if (nc && !nc.isClosed()) {
      // Acks and publishes still in the client's buffer go out first (bounded: a dead server gets 2 s).
      await new Promise<void>((resolve) => {
        const timer = this.scheduler.schedule(() => resolve(), CLOSE_FLUSH_MS);
        nc.flush().then(
          () => {
            timer.unsubscribe();
            resolve();
          },
          () => resolve(),
        );
      });
      await nc.close().catch(() => undefined);
    }
  }

  private async attemptOnce(options: Parameters<typeof import("@nats-io/transport-node").connect>[0]): Promise<void> {
    const { connect } = await import("@nats-io/transport-node");
    let nc: NatsConnection;
    try {
      nc = await connect(options);
    } catch (err) {
      throw classify(err, this.opts);
    }
    if (this.closed) {
      await nc.close().catch(() => undefined);
      return;
    }
    this.nc = nc;
    this.up = true;
    this.watchStatus(nc);
    try {
      await this.hooks.onConnected(nc);
    } catch (err) {
      this.nc = undefined;
      await nc.close().catch(() => undefined);
      throw err;
    }
    this.log.info({ server: nc.getServer() }, `${this.component()} connected to ${nc.getServer()}`);
    this.resolveReady(nc);
  }

  private scheduleRetry(options: Parameters<typeof import("@nats-io/transport-node").connect>[0]): void {
    const delay = backoffMs(this.attempt++);
    this.retryTimer = this.scheduler.schedule(() => {
      if (this.closed) return;
      this.attemptOnce(options).catch((err: unknown) => {
        if (this.closed) return;
        if (err instanceof NatsUnreachable || err instanceof NatsNotReady) {
          // Every attempt at first, then every tenth: a server down for hours must not flood the log.
          if (this.attempt < 5 || this.attempt % 10 === 0) {
            this.log.warn(`${this.component()} ${err.message}; retrying in ${backoffMs(this.attempt)} ms (attempt ${this.attempt + 1})`);
          }
          this.scheduleRetry(options);
          return;
        }
        const problems = this.asProblems(err);
        for (const p of problems.problems) this.log.error(`${this.component()}.${p.path.join(".")}: ${p.message}`);
        this.rejectReady(problems);
      });
    }, delay);
  }

  private watchStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") this.up = false;
        if (s.type === "disconnect") this.log.warn(`${this.component()} lost the connection to ${s.server}; reconnecting with backoff, the pipeline waits meanwhile`);
        else if (s.type === "reconnect") {
          this.reconnectAttempt = 0;
          this.up = true;
          this.log.info(`${this.component()} reconnected to ${s.server}`);
          for (const l of this.reconnectListeners) l();
        } else if (s.type === "error") this.log.error({ err: String(s.error) }, `${this.component()} nats error: ${String(s.error)}`);
      }
    })().catch(() => undefined);
  }

  private async connectionOptions() {
    const { credsAuthenticator, nkeyAuthenticator } = await import("@nats-io/transport-node");
    const { auth, tls, servers } = this.opts;
    const problems: Problem[] = [];
    let authenticator: Authenticator | undefined;
    let token: string | undefined, user: string | undefined, pass: string | undefined;
    if (auth && "token" in auth) token = auth.token;
    else if (auth && "user" in auth) ({ user, password: pass } = auth);
    else if (auth && "nkeySeed" in auth) {
      const seed = new TextEncoder().encode(auth.nkeySeed.trim());
      if (!/^SU[A-Z2-7]{54,}$/.test(auth.nkeySeed.trim())) problems.push({ path: ["auth", "nkeySeed"], message: "is not an NKey user seed (it starts with SU)" });
      else authenticator = nkeyAuthenticator(seed);
    } else if (auth && "credsFile" in auth) {
      try {
        authenticator = credsAuthenticator(await readFile(auth.credsFile));
      } catch (err) {
        problems.push({ path: ["auth", "credsFile"], message: `cannot read "${auth.credsFile}": ${errText(err)}` });
      }
    }
    let tlsOptions: { caFile?: string; certFile?: string; keyFile?: string; checkServerIdentity?: typeof checkServerIdentity } | undefined;
    if (tls || servers.some((s) => s.startsWith("tls://"))) {
      tlsOptions = { checkServerIdentity: serverIdentityCheck(servers) };
      for (const [key, field] of [["ca", "caFile"], ["cert", "certFile"], ["key", "keyFile"]] as const) {
        const path = tls?.[key];
        if (path === undefined) continue;
        try {
          await readFile(path);
          tlsOptions[field] = path;
        } catch (err) {
          problems.push({ path: ["tls", key], message: `cannot read "${path}": ${errText(err)}` });
        }
      }
    }
    if (problems.length > 0) throw new PluginProblems(problems);
    return {
      servers: [...servers],
      name: `livetap ${this.component()}`,
      token,
      user,
      pass,
      authenticator,
      tls: tlsOptions,
      timeout: HANDSHAKE_TIMEOUT_MS,
      reconnect: true,
      maxReconnectAttempts: -1,
      // The client's own reconnects after the first connect: the same backoff, reset on success.
      reconnectDelayHandler: () => backoffMs(this.reconnectAttempt++),
      waitOnFirstConnect: false,
    };
  }

  private asProblems(err: unknown): PluginProblems {
    if (err instanceof PluginProblems) return err;
    if (err instanceof NatsUnreachable) return new PluginProblems([{ path: ["servers"], message: err.message }]);
    if (err instanceof NatsNotReady) return new PluginProblems([{ path: err.path, message: err.message }]);
    if (isAuthError(err)) {
      const message = this.opts.auth
        ? `${this.opts.servers.join(", ")} refused these credentials (${errText(err)})`
        : `${this.opts.servers.join(", ")} requires credentials: set "auth" (${errText(err)})`;
      return new PluginProblems([{ path: ["auth"], message }]);
    }
    const code = (err as { code?: unknown })?.code;
    if (typeof code === "string" && /CERT|SIGNATURE|ALTNAME/.test(code)) {
      const fix = code === "ERR_TLS_CERT_ALTNAME_INVALID" ? "a certificate issued for the name or IP in the URL" : '"tls.ca": the CA that signed it';
      // Node 24 appends a hint about --use-system-ca; the fix named here (tls.ca) is the one that applies to a NATS client.
      const reason = errText(err).replace(/; if the root CA is installed locally.*$/s, "");
      return new PluginProblems([{ path: ["tls"], message: `${this.opts.servers.join(", ")} presented a certificate this client does not trust (${reason}): it needs ${fix}` }]);
    }
    return new PluginProblems([{ path: ["servers"], message: `cannot connect to ${this.opts.servers.join(", ")}: ${errText(err)}` }]);
  }

  private component(): string {
    try {
      const c = this.log.bindings().component;
      return typeof c === "string" ? c : "nats";
    } catch {
      return "nats";
    }
  }
}

/**
 * The client gives Node no server name for an IP address (RFC 6066 forbids one), so Node
 * checks the certificate against "localhost" and a certificate for `IP:10.0.0.5` fails. A
 * certificate is accepted for the name Node checks or for a configured server's IP.
 */
function serverIdentityCheck(servers: readonly string[]): typeof checkServerIdentity {
  const ips = servers.map((s) => /^\w+:\/\/\[?([^\]/]+?)\]?(:\d+)?$/.exec(s)?.[1]).filter((h): h is string => h !== undefined && isIP(h) !== 0);
  return (name, cert) => {
    const error = checkServerIdentity(name, cert);
    return error === undefined || ips.some((ip) => checkServerIdentity(ip, cert) === undefined) ? undefined : error;
  };
}

function isAuthError(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === "AuthorizationError" || name === "UserAuthenticationExpiredError" || /authoriz|authentic/i.test(errText(err));
}

function classify(err: unknown, opts: NatsConnectionOptions): unknown {
  if (isAuthError(err)) return err;
  const text = errText(err);
  const code = (err as { code?: string; cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code;
  if (/refused|ECONNREFUSED|timeout|timed out|ENOTFOUND|EHOSTUNREACH|ECONNRESET|closed|connection/i.test(`${text} ${code ?? ""}`)) {
    // A server that verifies clients ends a TLS handshake without a client certificate in silence: the client sees a timeout.
    const hint = /timeout/i.test(text) && opts.tls && opts.tls.cert === undefined ? "; if the server verifies clients, set tls.cert and tls.key" : "";
    return new NatsUnreachable(opts.servers, code === "ECONNREFUSED" || /refused/i.test(text) ? "connection refused" : text + hint);
  }
  return err;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
