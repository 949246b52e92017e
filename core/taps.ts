import type { Observable } from "rxjs";
import type { LiveEvent } from "./event.js";
import type { PluginKind } from "./plugin.js";

/**
 * The outputs of this process's components, for live views that tap them (CONTRACT 9
 * `outputs-of`, Vector's `tap --outputs-of`). A plugin never sees the DAG: it gets names and
 * streams, nothing to change the pipeline with.
 */
export interface ComponentTaps {
  /** Components whose output can be tapped, as paths (`sources.syslog`, `operators.no-debug`), in config order. */
  names(): string[];
  /** The path `name` means (`sources.x`, `operators.x`, or a bare component name); undefined when none. */
  resolve(name: string): string | undefined;
  /**
   * The events a component emits, as they pass (hot: no replay). Taps never touch delivery
   * acknowledgements, and while nobody subscribes the component pays one property read per event.
   */
  tap(path: string): Observable<LiveEvent>;
}

/** One component as `GET /api/pipeline` shows it (CONTRACT 9). */
export interface ComponentStats {
  name: string;
  kind: PluginKind;
  type: string;
  inputs: string[];
  /** Events that reached it (a source: events it produced). */
  eventsIn: number;
  /** Events it passed on (a sink: those it took and neither failed nor dropped, so in = out + dropped). */
  eventsOut: number;
  /**
   * Events it dropped on purpose or lost: a source's `sources.<name>.dropped` metric (UDP
   * datagrams over maxPendingEvents, a dropCounter); an operator's drops plus the events it
   * swallowed or threw on; a sink's failed or dropped events, core's failures for it included.
   */
  dropped: number;
}

/** The running pipeline's shape and live counters. */
export interface PipelineView {
  components(): ComponentStats[];
}
