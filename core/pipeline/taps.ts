import { Subject, type Observable } from "rxjs";
import type { LiveEvent } from "../event.js";
import type { ComponentConfig } from "../config/model.js";
import type { ComponentStats, ComponentTaps, PipelineView } from "../taps.js";
import type { ComponentCounts } from "./counts.js";
import { GuardedObservable } from "./guarded-observable.js";

/**
 * Where the pipeline hands a component's output to its taps. It counts nothing (the delivery
 * ledgers count each event once) and is no stage of its own: the pipeline calls `emit` from
 * the step that already counts the event, so while nobody taps an event costs one read.
 */
export class TapFeed {
  constructor(private readonly subject: Subject<LiveEvent>) {}
  emit(event: LiveEvent): void {
    if (this.subject.observed) this.subject.next(event);
  }
}

const NO_FEED = new TapFeed(new Subject());

interface Point {
  readonly config: ComponentConfig;
  readonly subject: Subject<LiveEvent>;
  readonly feed: TapFeed;
  readonly live: boolean;
  readonly tapped: Observable<LiveEvent>;
}

/** What the pipeline tells the taps about itself. */
export interface TapsWiring {
  /** The counters kept elsewhere (core/pipeline/counts.ts), read when asked. */
  counts: (c: ComponentConfig) => ComponentCounts;
  /** A tap subscriber threw: it has been unsubscribed; the pipeline reports it. */
  threw: (path: string, err: unknown) => void;
}

/**
 * Core's implementation of the TAPS and PIPELINE services: a feed per source and operator
 * output, forwarding events to a Subject only while someone taps it. A tap never touches
 * delivery: it gets the events as they pass, and what its subscriber throws cuts that
 * subscriber off instead of reaching the pipeline. Memory: one Subject per component.
 */
export class PipelineTaps implements ComponentTaps, PipelineView {
  private readonly points = new Map<string, Point>();
  private wiring: TapsWiring = { counts: () => ({ eventsIn: 0, eventsOut: 0, dropped: 0 }), threw: () => undefined };

  /** Declares the pipeline's components (in config order); `live`: on a path to a sink, hence wired. */
  describe(components: readonly ComponentConfig[], live: ReadonlySet<string>, wiring: TapsWiring): void {
    this.wiring = wiring;
    for (const c of components) {
      const subject = new Subject<LiveEvent>();
      const tapped = new GuardedObservable(subject, (_event, err) => this.wiring.threw(c.path, err), true);
      this.points.set(c.path, { config: c, subject, feed: new TapFeed(subject), live: live.has(c.name), tapped });
    }
  }

  /** Where the pipeline emits a component's output for its taps. */
  feed(path: string): TapFeed {
    return this.points.get(path)?.feed ?? NO_FEED;
  }

  names(): string[] {
    return [...this.points.values()].filter((p) => p.live && p.config.kind !== "sink").map((p) => p.config.path);
  }

  resolve(name: string): string | undefined {
    const tappable = this.names();
    if (tappable.includes(name)) return name;
    const bare = tappable.filter((path) => path.slice(path.indexOf(".") + 1) === name);
    return bare.length === 1 ? bare[0] : undefined;
  }

  tap(path: string): Observable<LiveEvent> {
    const p = this.points.get(path);
    if (!p || !p.live || p.config.kind === "sink") throw new Error(`no tappable component ${JSON.stringify(path)}`);
    return p.tapped;
  }

  components(): ComponentStats[] {
    return [...this.points.values()].map(({ config: c }) => ({ name: c.name, kind: c.kind, type: c.type, inputs: [...c.inputs], ...this.wiring.counts(c) }));
  }
}
