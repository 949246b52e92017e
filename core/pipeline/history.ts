import { EMPTY, Observable, merge, share, tap } from "rxjs";
import type { DependencyContainer } from "tsyringe";
import { isEventType, toCreatedAt, type LiveEvent, type LiveEventInput } from "../event.js";
import type { History, HistoryPage, HistoryQuery, SourceHistory, StoredAt } from "../history.js";
import type { Source } from "../plugin.js";
import type { ComponentConfig, PipelineConfig } from "../config/model.js";
import { toEventType } from "../lib/record.js";
import { instantiate, type Services } from "./instantiate.js";
import { DeliveryHub } from "./delivery.js";
import { MetricsRegistry } from "../metrics/registry.js";

/**
 * Core's side of `HISTORY`: for each sink, the sources upstream of it that offer history,
 * and the operators between them. A query goes to those sources; the first that knows it
 * answers, and its page runs through fresh instances of the operators on every path to the
 * sink (fresh, so a replay never disturbs the live operators' state: a throttle window, a
 * metric's counts). The sink then gets what it would have got live, keyed `sample` included.
 */
export class HistoryRouter {
  private readonly byName: Map<string, ComponentConfig>;
  /**
   * Replay operators get metrics and delivery of their own: a replay must not count as live
   * traffic (drop counters, the metric operator's series), and their events are untracked.
   */
  private readonly replayServices: Services;

  constructor(
    config: PipelineConfig,
    services: Services,
    private readonly parent: DependencyContainer,
    private readonly sourceOf: (name: string) => Source | undefined,
  ) {
    this.byName = new Map(config.components.map((c) => [c.name, c]));
    const metrics = new MetricsRegistry();
    this.replayServices = { ...services, metrics, delivery: new DeliveryHub({ metrics, scheduler: services.scheduler, logger: services.logger }) };
  }

  forSink(sink: ComponentConfig): History {
    const sources = () => this.historySources(sink);
    return {
      get available() {
        return sources().length > 0;
      },
      query: (q) => this.query(sink, q),
      storedAt: (id) => this.storedAt(sink, id),
    };
  }

  /** Names of the sources upstream of `c` whose instance has history(). */
  private historySources(c: ComponentConfig): string[] {
    const found = new Set<string>();
    const seen = new Set<string>();
    const walk = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const up = this.byName.get(name);
      if (!up) return;
      if (up.kind === "source") {
        if (typeof this.sourceOf(name)?.history === "function") found.add(name);
      } else for (const i of up.inputs) walk(i);
    };
    for (const i of c.inputs) walk(i);
    return [...found];
  }

  private async query(sink: ComponentConfig, q: HistoryQuery): Promise<HistoryPage | undefined> {
    for (const name of this.historySources(sink)) {
      const answer = await this.sourceOf(name)!.history!(q);
      if (answer) return this.page(sink, name, answer, q);
    }
    return undefined;
  }

  private async storedAt(sink: ComponentConfig, id: string): Promise<StoredAt | undefined> {
    for (const name of this.historySources(sink)) {
      const at = await this.sourceOf(name)!.storedAt?.(id);
      if (at !== undefined) return at;
    }
    return undefined;
  }

  private page(sink: ComponentConfig, sourceName: string, answer: SourceHistory, q: HistoryQuery): HistoryPage {
    let read = 0;
    let lastId: string | undefined;
    const fromSource = answer.events.pipe(
      tap((e) => {
        read++;
        if (typeof e.id === "string") lastId = e.id;
      }),
      completeEvents,
      share(),
    );
    const memo = new Map<string, Observable<LiveEvent>>();
    const streamAt = (name: string): Observable<LiveEvent> => {
      let s = memo.get(name);
      if (s) return s;
      const c = this.byName.get(name);
      if (!c || (c.kind === "source" && name !== sourceName)) s = EMPTY;
      else if (c.kind === "source") s = fromSource;
      else {
        const op = instantiate(c.definition, c.options, this.replayServices, c.name, this.parent) as { operator(): (o: Observable<LiveEvent>) => Observable<LiveEvent> };
        s = merge(...c.inputs.map(streamAt)).pipe(op.operator(), share());
      }
      memo.set(name, s);
      return s;
    };
    const events = merge(...sink.inputs.map(streamAt));
    return {
      gap: answer.gap,
      events,
      get next() {
        return read >= q.limit && lastId !== undefined ? { afterId: lastId, limit: q.limit } : undefined;
      },
      get lastId() {
        return lastId ?? q.afterId;
      },
    };
  }
}

/** History events carry their source's id; the rest is completed as core does for live ones. */
function completeEvents(input: Observable<LiveEventInput>): Observable<LiveEvent> {
  return new Observable<LiveEvent>((sub) =>
    input.subscribe({
      next: (e) => {
        const event = {
          id: typeof e.id === "string" ? e.id : "",
          type: isEventType(e.type) ? e.type : (toEventType(e.type) ?? "event.unknown"),
          createdAt: toCreatedAt(e.createdAt) ?? new Date(0).toISOString(),
        } as LiveEvent;
        if (e.text !== undefined) event.text = e.text;
        if (e.details !== undefined) event.details = e.details;
        event.data = typeof e.data === "object" && e.data !== null ? e.data : {};
        sub.next(event);
      },
      error: (err) => sub.error(err),
      complete: () => sub.complete(),
    }),
  );
}
