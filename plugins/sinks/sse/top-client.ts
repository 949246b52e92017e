import type { SchedulerLike, Subscription } from "rxjs";
import type { LiveEvent } from "../../../core/index.js";
import { fieldReader, type FieldReader } from "../../../core/kit.js";
import type { Selection } from "./client.js";
import type { StreamClient } from "./client-set.js";
import type { SseConnection } from "./connection.js";
import { sendPeriodically } from "./periodic.js";
import { followKey } from "./follow.js";
import { pingFrame } from "./frames.js";
import type { TopQuery } from "./stream-query.js";
import { SlidingTopK, windowSlots } from "./top-k.js";

export function topFrame(data: unknown): string {
  return `event: top\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * One `/api/telemetry/top/live` client: counts the values of `by` among the events its
 * selection passes, and writes an `event: top` frame every interval. A frame that finds the
 * socket still blocked is skipped (the next one carries newer counts anyway), so a slow client
 * costs its counter and nothing else. Memory: one SlidingTopK of `maxTopKeys` values.
 */
export class TopClient implements StreamClient {
  private readonly counts: SlidingTopK;
  private readonly read: FieldReader;
  private timer: Subscription | undefined;
  private lastPingAt: number;

  constructor(
    readonly connection: SseConnection,
    private readonly selection: Selection,
    private readonly query: TopQuery,
    maxTopKeys: number,
    private readonly scheduler: SchedulerLike,
    private readonly pingIntervalMs: number,
  ) {
    const { slotMs, slots } = windowSlots(query.windowSeconds);
    this.counts = new SlidingTopK(maxTopKeys, slotMs, slots);
    this.read = fieldReader(query.by);
    this.lastPingAt = scheduler.now();
  }

  /** Every event of the stream it watches (the sink's input, or a tapped component). */
  observe(event: LiveEvent): void {
    if (!this.selection.matchesAll && !this.selection.predicate(event)) return;
    const key = followKey(this.read(event));
    if (key !== undefined) this.counts.add(key, this.scheduler.now());
  }

  frame(): string {
    const top = this.counts.top(this.query.top, this.scheduler.now()); // moves the window first
    return topFrame({ by: this.query.by, window: this.query.windowSeconds, total: this.counts.total, exact: this.counts.exact, top });
  }

  start(): void {
    this.timer = sendPeriodically(this.scheduler, this.query.intervalMs, () => this.send());
  }

  tick(now: number): void {
    this.connection.checkStall(now);
    if (now - this.lastPingAt >= this.pingIntervalMs) {
      this.lastPingAt = now;
      if (this.connection.writable) this.connection.write(pingFrame(this.pingIntervalMs), now);
    }
  }

  finish(): void {
    this.stop();
    this.connection.end();
  }

  stop(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  private send(): void {
    if (this.connection.writable) this.connection.write(this.frame(), this.scheduler.now());
  }
}
