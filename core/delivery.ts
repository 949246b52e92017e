import { z } from "zod";
import type { LiveEvent, LiveEventInput } from "./event.js";

/**
 * Delivery acknowledgements (CONTRACT 7), after Vector's end-to-end acknowledgements and
 * Benthos's transactions: a source tracks what it emits, core follows each event through
 * operators and fan-out, and the source learns when the event is settled: confirmed by every
 * sink it reached, or dropped on purpose by an operator.
 *
 * One `Delivery` is resolved per component (token `DELIVERY`). Each kind uses its part:
 * - a source calls `track()` on what it is about to emit and watches `pending` / `onCapacity`;
 * - an operator calls `drop()` for an event it discards and `replace()` when it emits a copy;
 * - a sink calls `confirm()` once an event is safe (written, acknowledged) or `fail()`.
 * Untracked events cost a symbol lookup at each step and nothing else.
 *
 * Rules for a user's operator: every input event is either emitted (the same object, or a
 * `replace()`d copy) or `drop()`ped. An event that is neither settles as lost after the
 * source's `ackTimeoutMs`, counted in `pipeline.ack-timeouts`, with a warning naming the
 * operator. Events an operator creates from nothing are untracked.
 *
 * A sink that declares `acknowledges: true` confirms each event itself; for any other sink
 * core confirms an event when it hands it to `consume()`.
 */
export interface Delivery {
  // ---- sources ----
  /**
   * Tracks `events` as one batch (one read chunk, one request): `onSettled` runs once, when
   * every event of the batch is settled. Returns `events`, to emit. Tracking one batch per
   * chunk rather than one per event is what keeps the mechanism cheap.
   */
  track<T extends LiveEventInput>(events: T[], onSettled?: SettleCallback): T[];
  /** The source's tracked events that are not settled yet. */
  readonly pending: number;
  /** True while `pending` is at or over the source's `maxPendingEvents`: stop taking input. */
  readonly full: boolean;
  /**
   * Runs `resume` once, as soon as `pending` is below `maxPendingEvents` (at once when it
   * already is). A source that paused its input at `full` resumes it here.
   */
  onCapacity(resume: () => void): void;

  // ---- operators ----
  /** The operator discarded `event` on purpose (filter, sample, throttle): it counts as settled. */
  drop(event: LiveEvent): void;
  /** The operator emits `to` instead of `from` (a copy): `to` carries `from`'s tracking. Returns `to`. */
  replace<T extends LiveEvent>(from: LiveEvent, to: T): T;

  // ---- sinks (with `acknowledges: true`) ----
  /** The sink has the event safe (written to the OS, acknowledged by the server...). */
  confirm(event: LiveEvent): void;
  /** Confirms a batch at once. */
  confirmAll(events: readonly LiveEvent[]): void;
  /**
   * The sink could not deliver the event (an error, not a drop): it stays unsettled for its
   * source's retry rule (file re-reads from it, nats redelivers); reported with the sink's
   * name and counted in `pipeline.sink-failures`.
   */
  fail(event: LiveEvent, err: unknown): void;
}

/** How a tracked batch settled. `failed + lost === 0` means every event is safe. */
export interface Settlement {
  /** Events of the batch, counted once each. */
  readonly events: number;
  /** Events some sink failed: the source should keep them for a retry where it can. */
  readonly failed: number;
  /** Events that settled by `ackTimeoutMs` without any word (an operator swallowed them). */
  readonly lost: number;
}
export type SettleCallback = (settlement: Settlement) => void;

/** The options every source has (CONTRACT 7); spread into a source's option schema. */
export const DeliveryOptionsShape = {
  maxPendingEvents: z
    .int()
    .min(1)
    .max(10_000_000)
    .default(10_000)
    .describe(
      "Bound on this source's unsettled events, emitted but not yet confirmed by every sink (default 10000; 1 to 10000000): at the bound the source stops taking input the way its protocol allows, so memory for in-flight events is bounded by it. Its current value is the `sources.<name>.pending` gauge.",
    ),
  ackTimeoutMs: z
    .int()
    .min(1)
    .max(3_600_000)
    .default(10_000)
    .describe(
      "Milliseconds after which an event that an operator swallowed without telling core settles as lost (default 10000; 1 to 3600000), counted in `pipeline.ack-timeouts` with a warning naming the operator. Events waiting in a slow sink are not affected: they wait.",
    ),
};
export const DeliveryOptions = z.strictObject(DeliveryOptionsShape);
export type DeliveryOptions = z.infer<typeof DeliveryOptions>;

/**
 * A `Delivery` for a plugin built outside a pipeline (a benchmark, a hand-made test): every
 * batch settles as it is tracked, nothing is ever full.
 */
export const untrackedDelivery: Delivery = Object.freeze({
  track<T extends LiveEventInput>(events: T[], onSettled?: SettleCallback): T[] {
    onSettled?.({ events: events.length, failed: 0, lost: 0 });
    return events;
  },
  pending: 0,
  full: false,
  onCapacity: (resume: () => void) => resume(),
  drop: () => undefined,
  replace: <T extends LiveEvent>(_from: LiveEvent, to: T) => to,
  confirm: () => undefined,
  confirmAll: () => undefined,
  fail: () => undefined,
});
