import type { PluginDefinition, PluginKind, Problem } from "../plugin.js";
import type { PluginRegistry } from "../registry.js";
import { didYouMean } from "../lib/did-you-mean.js";
import { describeValue, quote } from "./messages.js";
import type { OptionsValidator } from "./options.js";
import { COMPONENT_NAME, SECTIONS, type Section } from "./sections.js";

/** A component as read from the file; `definition` and `options` are set only when valid. */
export interface ComponentDraft {
  kind: PluginKind;
  section: Section["key"];
  name: string;
  type?: string;
  /** The string entries of `inputs`, with their index for problem paths. */
  inputs: { name: string; index: number }[];
  definition?: PluginDefinition;
  options?: unknown;
  /** A later component with an already used name: checked, but not a node of the graph. */
  duplicate: boolean;
}

export interface ReadComponents {
  drafts: ComponentDraft[];
  problems: Problem[];
  /** False when a section is missing or not an object: its names are unknown, not absent. */
  complete: boolean;
}

/** The sections, each component's name, type, inputs list and options; the graph comes later. */
export function readComponents(doc: Record<string, unknown>, registry: PluginRegistry, validateOptions: OptionsValidator): ReadComponents {
  const drafts: ComponentDraft[] = [];
  const problems: Problem[] = [];
  const owner = new Map<string, string>();
  let complete = true;
  for (const section of SECTIONS) {
    const value = doc[section.key];
    if (value === undefined && !section.required) continue;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      const message =
        value === undefined
          ? `required: at least one ${section.kind} (an object of named ${section.key})`
          : `expected an object of named ${section.key}, got ${describeValue(value)}`;
      problems.push({ path: [section.key], message });
      complete = false;
      continue;
    }
    const entries = Object.entries(value);
    if (entries.length === 0 && section.required) problems.push({ path: [section.key], message: `at least one ${section.kind} is required` });
    for (const [name, raw] of entries) {
      const path = [section.key, name];
      if (!COMPONENT_NAME.test(name)) {
        problems.push({ path, message: `invalid name ${quote(name)}: use 1-64 letters, digits, "_" or "-"` });
      }
      const previous = owner.get(name);
      if (previous) {
        problems.push({ path, message: `the name ${quote(name)} is already used by ${previous} (sources, operators and sinks share one namespace)` });
      } else owner.set(name, `${section.key}.${name}`);
      const draft = readComponent(section, name, raw, registry, validateOptions, problems);
      drafts.push({ ...draft, duplicate: previous !== undefined });
    }
  }
  return { drafts, problems, complete };
}

function readComponent(
  section: Section,
  name: string,
  raw: unknown,
  registry: PluginRegistry,
  validateOptions: OptionsValidator,
  problems: Problem[],
): Omit<ComponentDraft, "duplicate"> {
  const path = [section.key, name];
  const draft: Omit<ComponentDraft, "duplicate"> = { kind: section.kind, section: section.key, name, inputs: [] };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    problems.push({ path, message: `expected an object with a "type", got ${describeValue(raw)}` });
    return draft;
  }
  const { type, inputs, ...options } = raw as Record<string, unknown>;

  const definition = readType(section, type, registry, [...path, "type"], problems);
  if (typeof type === "string") draft.type = type;
  draft.inputs = readInputs(section, inputs, [...path, "inputs"], problems);

  if (definition) {
    const result = validateOptions(definition, options);
    if (result.ok) {
      draft.definition = definition;
      draft.options = result.options;
    } else {
      problems.push(...result.problems.map((p) => ({ path: [...path, ...p.path], message: p.message })));
    }
  }
  return draft;
}

function readType(section: Section, type: unknown, registry: PluginRegistry, path: (string | number)[], problems: Problem[]): PluginDefinition | undefined {
  const known = registry.types(section.kind);
  const knownList = `(known: ${known.length ? known.join(", ") : "none"})`;
  if (type === undefined) {
    problems.push({ path, message: `required ${knownList}` });
    return undefined;
  }
  if (typeof type !== "string") {
    problems.push({ path, message: `expected a string, got ${describeValue(type)} ${knownList}` });
    return undefined;
  }
  const definition = registry.get(section.kind, type);
  if (definition) return definition;
  let message = `unknown ${section.kind} type ${quote(type)} ${knownList}`;
  const hint = didYouMean(type, known);
  if (hint !== undefined) message += `; did you mean ${quote(hint)}?`;
  else {
    // `"type": "console"` under sources: the name is right, the section is not.
    const other = SECTIONS.find((s) => s.kind !== section.kind && registry.get(s.kind, type));
    if (other) message += `; "${type}" is a ${other.kind} type (put it under "${other.key}")`;
  }
  problems.push({ path, message });
  return undefined;
}

function readInputs(section: Section, inputs: unknown, path: (string | number)[], problems: Problem[]): ComponentDraft["inputs"] {
  if (section.kind === "source") {
    if (inputs !== undefined) problems.push({ path, message: "a source takes no inputs (events enter the pipeline there)" });
    return [];
  }
  if (inputs === undefined) {
    problems.push({ path, message: `required: the names of the sources or operators this ${section.kind} reads` });
    return [];
  }
  if (!Array.isArray(inputs)) {
    problems.push({ path, message: `expected an array of component names, got ${describeValue(inputs)}` });
    return [];
  }
  if (inputs.length === 0) {
    problems.push({ path, message: "must name at least one source or operator" });
    return [];
  }
  const names: ComponentDraft["inputs"] = [];
  inputs.forEach((input: unknown, index) => {
    if (typeof input !== "string") {
      problems.push({ path: [...path, index], message: `expected a component name, got ${describeValue(input)}` });
    } else if (names.some((n) => n.name === input)) {
      // The same stream twice would deliver every event twice.
      problems.push({ path: [...path, index], message: `${quote(input)} is listed twice` });
    } else names.push({ name: input, index });
  });
  return names;
}
