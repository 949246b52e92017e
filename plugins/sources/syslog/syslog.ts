import { Observable, share, type SchedulerLike } from "rxjs";
import { type ComponentMetrics, type Delivery, DELIVERY, inject, injectable, type LiveEventInput, LOGGER, type Logger, METRICS, OPTIONS, PluginProblems, SCHEDULER, type Source, untrackedDelivery } from "../../../core/index.js";
import { EventSubject, parseAddress } from "../../../core/kit.js";
import type { SyslogOptions } from "./options.js";
import { Receiver, type BoundAddress, type ReceiverDeps } from "./receiver.js";
import { parseZone } from "./time.js";

/**
 * Syslog over UDP, TCP or TLS (RFC 5426, 6587, 5425), RFC 5424 and RFC 3164 messages
 * (CONTRACT 1 "Syslog events").
 *
 * start() binds, so an address in use is a startup problem. events() is hot inside (one
 * socket, shared by every subscriber) and lives as long as someone subscribes: the last
 * unsubscribe closes the socket and its connections, and a later subscription binds again.
 * drain() stops accepting, emits the partial frames of open connections, closes and completes.
 */
@injectable()
export class SyslogSource implements Source {
  private readonly deps: ReceiverDeps;
  /** Bound by start() and not yet taken by a subscription. */
  private bound: Receiver | undefined;
  /** The receiver of the running subscription. */
  private active: Receiver | undefined;
  private readonly stream: Observable<LiveEventInput>;

  constructor(
    @inject(OPTIONS) opts: SyslogOptions,
    @inject(LOGGER) log: Logger,
    @inject(METRICS) metrics: ComponentMetrics,
    @inject(SCHEDULER) clock: SchedulerLike,
    // Defaulted for a source built by hand (benchmarks, tests): nothing is tracked then.
    @inject(DELIVERY) delivery: Delivery = untrackedDelivery,
  ) {
    const address = parseAddress(opts.address);
    if (typeof address === "string") throw new PluginProblems([{ path: ["address"], message: address }]);
    const zone = parseZone(opts.timezone);
    if (typeof zone === "string") throw new PluginProblems([{ path: ["timezone"], message: zone }]);
    const dropped = metrics.own.counter("dropped", "UDP datagrams dropped at maxPendingEvents");
    this.deps = { opts, host: address.host, port: address.port, zone, log, metrics, clock, delivery, dropped };
    this.stream = new Observable<LiveEventInput>((subscriber) => {
      let receiver: Receiver | undefined;
      let gone = false;
      const use = (r: Receiver): void => {
        if (gone) {
          void r.close();
          return;
        }
        receiver = this.active = r;
        r.attach({ next: (e) => subscriber.next(e), complete: () => subscriber.complete(), error: (err) => subscriber.error(err) });
      };
      const taken = this.bound;
      this.bound = undefined;
      if (taken) use(taken);
      else Receiver.bind(this.deps).then(use, (err: unknown) => subscriber.error(err));
      return () => {
        gone = true;
        if (!receiver) return;
        if (this.active === receiver) this.active = undefined;
        receiver.detach();
        void receiver.close();
      };
    }).pipe(share({ connector: () => new EventSubject<LiveEventInput>() }));
  }

  async start(): Promise<void> {
    if (this.bound || this.active) return;
    this.bound = await Receiver.bind(this.deps);
  }

  events(): Observable<LiveEventInput> {
    return this.stream;
  }

  drain(): void {
    this.active?.drain();
    void this.closeUnused();
  }

  /** Closes the socket and every connection, subscribed or not. Safe twice and without start(). */
  async stop(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    await Promise.all([active?.close(), this.closeUnused()]);
  }

  /** Where the socket is bound (port 0 in the options becomes the real port); undefined when not bound. */
  boundAddress(): BoundAddress | undefined {
    return (this.active ?? this.bound)?.address();
  }

  private async closeUnused(): Promise<void> {
    const unused = this.bound;
    this.bound = undefined;
    await unused?.close();
  }
}
