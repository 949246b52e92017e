import type { SchedulerAction, SchedulerLike, Subscription } from "rxjs";
import type { Gauge } from "../../../core/index.js";

/** An open stream of either kind, as the sink's housekeeping sees it. */
export interface StreamClient {
  /** Periodic work: stall check, ping when due. */
  tick(now: number): void;
  /** Final flush and graceful end (sink stop). */
  finish(): void;
}

export interface ClientSetOptions {
  maxClients: number;
  pingIntervalMs: number;
  stallTimeoutMs: number;
}

/**
 * The open streams of one sink (both endpoints: `maxClients` counts them together) and the
 * one housekeeping tick they share, which runs only while some stream is open.
 */
export class ClientSet {
  private readonly members = new Set<StreamClient>();
  private tickAction: Subscription | undefined;
  private readonly tickMs: number;

  constructor(
    private readonly opts: ClientSetOptions,
    private readonly scheduler: SchedulerLike,
    /** `sse.clients`, shared by every sse sink of the process: changed by deltas, never set outright. */
    private readonly gauge: Gauge,
  ) {
    // Fine enough for pings to be on time within a second and stalls to be seen within a
    // quarter of their timeout; coarse enough to cost nothing.
    this.tickMs = Math.max(10, Math.min(1000, opts.pingIntervalMs, Math.ceil(opts.stallTimeoutMs / 4)));
  }

  get size(): number {
    return this.members.size;
  }

  get full(): boolean {
    return this.members.size >= this.opts.maxClients;
  }

  add(client: StreamClient): void {
    if (this.members.has(client)) return;
    this.members.add(client);
    this.gauge.set(this.gauge.value + 1);
    this.tickAction ??= this.scheduler.schedule(
      function (this: SchedulerAction<ClientSet>, set) {
        if (set!.tick()) this.schedule(set, set!.tickMs);
      },
      this.tickMs,
      this,
    );
  }

  delete(client: StreamClient): void {
    if (!this.members.delete(client)) return;
    this.gauge.set(this.gauge.value - 1);
  }

  /** Ends every stream (each flushes what it has queued first). */
  finishAll(): void {
    for (const c of [...this.members]) {
      c.finish();
      this.delete(c);
    }
    this.tickAction?.unsubscribe();
    this.tickAction = undefined;
  }

  /** One housekeeping round; false (and the tick stops) when no stream is open. */
  private tick(): boolean {
    if (this.members.size === 0) {
      this.tickAction = undefined;
      return false;
    }
    const now = this.scheduler.now();
    // A copy: a stalled client is closed (and deleted) during its own tick.
    for (const c of [...this.members]) c.tick(now);
    return true;
  }
}
