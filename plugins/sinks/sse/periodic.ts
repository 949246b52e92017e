import type { SchedulerAction, SchedulerLike, Subscription } from "rxjs";

interface Repeat {
  readonly intervalMs: number;
  readonly send: () => void;
}

/** Calls `send` every `intervalMs` on `scheduler`, the first time one interval from now (the metrics and top streams' frames). */
export function sendPeriodically(scheduler: SchedulerLike, intervalMs: number, send: () => void): Subscription {
  return scheduler.schedule(sendAndRepeat, intervalMs, { intervalMs, send });
}

function sendAndRepeat(this: SchedulerAction<Repeat>, repeat?: Repeat): void {
  repeat!.send();
  this.schedule(repeat, repeat!.intervalMs);
}
