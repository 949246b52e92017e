/**
 * NATS subject arithmetic for the `nats` plugins: a sink's `{type}` template, and whether a
 * stream's subject filters cover what a sink publishes. Pure.
 */

const TYPE = "{type}";

/** Why `template` cannot be a publish subject template, or undefined when it can. */
export function templateProblem(template: string): string | undefined {
  if (template.length === 0 || template.length > 255) return "must be 1 to 255 characters";
  if (/\s/.test(template)) return `"${template}" holds whitespace, which NATS subjects cannot`;
  const tokens = template.split(".");
  if (tokens.some((t) => t.length === 0)) return `"${template}" has an empty token (two dots, or a dot at an end)`;
  if (tokens.some((t) => t.includes("*") || t.includes(">"))) return `"${template}" holds a wildcard (* or >): a publish subject is literal, use {type} for the event type`;
  if (template.replaceAll(TYPE, "").includes("{")) return `"${template}" has a placeholder other than {type}`;
  return undefined;
}

/** A function from an event type to its subject, with the template split once. */
export function subjectTemplate(template: string): (type: string) => string {
  const parts = template.split(TYPE);
  if (parts.length === 1) return () => template;
  if (parts.length === 2) {
    const [before, after] = parts;
    return (type) => before + type + after;
  }
  return (type) => parts.join(type);
}

/**
 * The subjects a template can produce, as one filter: event types are dotted (one or more
 * tokens), so `{type}` stands for `>` and everything after it is covered by that too.
 */
export function templateFilter(template: string): string {
  const tokens = template.split(".");
  const i = tokens.findIndex((t) => t.includes(TYPE));
  return i < 0 ? template : [...tokens.slice(0, i), ">"].join(".");
}

/** True when every subject that `subject` matches (it may hold wildcards) is matched by `filter`. */
export function subjectCovers(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return i < s.length;
    if (i >= s.length) return false;
    if (s[i] === ">") return false;
    if (f[i] === "*") continue;
    if (s[i] === "*" || f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

/** True when some filter of `filters` covers `subject`. */
export function anyCovers(filters: readonly string[], subject: string): boolean {
  return filters.some((f) => subjectCovers(f, subject));
}
