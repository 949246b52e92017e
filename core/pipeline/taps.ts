import { Observable, Subject, tap, type MonoTypeOperatorFunction } from "rxjs";
import type { LiveEvent } from "../event.js";
import type { ComponentConfig } from "../config/model.js";
import type { ComponentStats, ComponentTaps, PipelineView } from "../taps.js";

import type { ComponentCounts } from "./counts.js";

interface Point {
  readonly config: ComponentConfig;
  /** Events that passed the point: a source's or operator's output, a sink's input. */
  passed: number;
  /** Fed only while observed, so an untapped component costs a read of `observed`. */
  readonly subject: Subject<LiveEvent>;
  readonly live: boolean;
}

/**
 * Core's implementation of the TAPS and PIPELINE services: one point per component, inserted
 * by the pipeline on each output (sources, operators) and each sink's input. A point counts
 * what passes and forwards it to its Subject only while someone taps it. Memory: one Subject
 * and a few numbers per component.
 */
export class PipelineTaps implements ComponentTaps, PipelineView {
  private readonly points = new Map<string, Point>();
  private countsOf: (c: ComponentConfig) => ComponentCounts = () => ({ dropped: 0 });

  /**
   * Declares the pipeline's components (in config order); `live`: on a path to a sink, hence
   * wired; `counts`: the counters kept elsewhere (core/pipeline/counts.ts), read when asked.
   */
  describe(components: readonly ComponentConfig[], live: ReadonlySet<string>, counts: (c: ComponentConfig) => ComponentCounts): void {
    this.countsOf = counts;
    for (const c of components) this.points.set(c.path, { config: c, passed: 0, subject: new Subject(), live: live.has(c.name) });
  }

  /** The operator the pipeline puts on a component's output (or a sink's input). */
  point(path: string): MonoTypeOperatorFunction<LiveEvent> {
    const p = this.points.get(path);
    if (!p) return (events) => events;
    const subject = p.subject;
    return tap((e) => {
      p.passed++;
      if (subject.observed) subject.next(e);
    });
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
    return p.subject.asObservable();
  }

  components(): ComponentStats[] {
    return [...this.points.values()].map(({ config: c, passed }) => {
      const counts = this.countsOf(c);
      return {
        name: c.name,
        kind: c.kind,
        type: c.type,
        inputs: [...c.inputs],
        eventsIn: counts.eventsIn ?? passed,
        eventsOut: counts.eventsOut ?? passed,
        dropped: counts.dropped,
      };
    });
  }
}
