import type { Problem } from "../plugin.js";
import { didYouMean } from "../lib/did-you-mean.js";
import type { ComponentDraft } from "./components.js";
import { quote, suggestion } from "./messages.js";

export interface Graph {
  /** Every component whose inputs all resolve, inputs first, otherwise in config order. */
  order: ComponentDraft[];
  problems: Problem[];
  /** `sources.x: not used by any operator or sink`. */
  warnings: string[];
}

/**
 * The DAG the `inputs` lists describe: every input names a source or operator, no cycles,
 * and an order in which each component comes after everything it reads. `namesComplete` is
 * false when a section could not be read, so unknown input names are not reported.
 */
export function buildGraph(drafts: readonly ComponentDraft[], namesComplete = true): Graph {
  const problems: Problem[] = [];
  const nodes = drafts.filter((d) => !d.duplicate);
  const byName = new Map(nodes.map((d) => [d.name, d]));
  const producers = nodes.filter((d) => d.kind !== "sink").map((d) => d.name);

  /** Resolved upstream components of each draft (unresolvable inputs are problems). */
  const upstream = new Map<ComponentDraft, ComponentDraft[]>();
  for (const d of drafts) {
    const resolved: ComponentDraft[] = [];
    for (const input of d.inputs) {
      const path = [d.section, d.name, "inputs", input.index];
      const target = byName.get(input.name);
      if (!target) {
        // With a section unreadable, the name may well be in it: that section's problem is the one to fix.
        if (namesComplete) problems.push({ path, message: `no component named ${quote(input.name)}${suggestion(didYouMean(input.name, producers))}` });
      }
      else if (target.kind === "sink") problems.push({ path, message: `${quote(input.name)} is a sink: sinks have no output to read` });
      else resolved.push(target);
    }
    upstream.set(d, resolved);
  }

  problems.push(...findCycles(nodes, upstream));

  const consumed = new Set([...upstream.values()].flat());
  const warnings = nodes
    .filter((d) => d.kind !== "sink" && !consumed.has(d))
    .map((d) => `${d.section}.${d.name}: not used by any operator or sink`);

  return { order: topologicalOrder(nodes, upstream), problems, warnings };
}

/**
 * Kahn's algorithm, always taking the earliest ready component in config order, so the order
 * is deterministic and as close to the file as the graph allows. Components in or behind a
 * cycle never become ready and are left out (the config is invalid then anyway).
 */
function topologicalOrder(nodes: readonly ComponentDraft[], upstream: ReadonlyMap<ComponentDraft, ComponentDraft[]>): ComponentDraft[] {
  const done = new Set<ComponentDraft>();
  const order: ComponentDraft[] = [];
  for (;;) {
    const next = nodes.find((d) => !done.has(d) && upstream.get(d)!.every((u) => done.has(u)));
    if (!next) return order;
    done.add(next);
    order.push(next);
  }
}

/**
 * One problem per strongly connected group of operators (Tarjan), at the group's first member
 * in config order, naming the shortest cycle through it in the direction events flow:
 * `operators.a.inputs: cycle a -> b -> a` (b reads a, a reads b).
 */
function findCycles(nodes: readonly ComponentDraft[], upstream: ReadonlyMap<ComponentDraft, ComponentDraft[]>): Problem[] {
  const downstream = new Map<ComponentDraft, ComponentDraft[]>(nodes.map((d) => [d, []]));
  for (const d of nodes) for (const u of upstream.get(d)!) downstream.get(u)?.push(d);

  const problems: Problem[] = [];
  for (const group of stronglyConnected(nodes, downstream)) {
    const start = nodes.find((d) => group.has(d))!;
    const selfLoop = downstream.get(start)!.includes(start);
    if (group.size === 1 && !selfLoop) continue;
    const cycle = shortestCycle(start, group, downstream);
    problems.push({ path: [start.section, start.name, "inputs"], message: `cycle ${cycle.map((d) => d.name).join(" -> ")}` });
  }
  return problems;
}

/** Breadth-first from `start` back to itself inside its group: `[start, ..., start]`. */
function shortestCycle(start: ComponentDraft, group: ReadonlySet<ComponentDraft>, downstream: ReadonlyMap<ComponentDraft, ComponentDraft[]>): ComponentDraft[] {
  const cameFrom = new Map<ComponentDraft, ComponentDraft>();
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of downstream.get(at)!) {
      if (!group.has(next)) continue;
      if (next === start) {
        const between: ComponentDraft[] = [];
        for (let d = at; d !== start; d = cameFrom.get(d)!) between.unshift(d);
        return [start, ...between, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, at);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** Tarjan's strongly connected components; groups come out in reverse topological order. */
function stronglyConnected(nodes: readonly ComponentDraft[], edges: ReadonlyMap<ComponentDraft, ComponentDraft[]>): Set<ComponentDraft>[] {
  let counter = 0;
  const index = new Map<ComponentDraft, number>();
  const low = new Map<ComponentDraft, number>();
  const stack: ComponentDraft[] = [];
  const onStack = new Set<ComponentDraft>();
  const groups: Set<ComponentDraft>[] = [];
  // Recursion depth is bounded by the number of components in one config file.
  const visit = (v: ComponentDraft): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group = new Set<ComponentDraft>();
      let w: ComponentDraft;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.add(w);
      } while (w !== v);
      groups.push(group);
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return groups;
}
