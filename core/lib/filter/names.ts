/**
 * How the traces stream names data keys in its query (CONTRACT 4 "Filters on the traces
 * stream"). Pure and DOM-free: the SSE sink, the filter matcher and the dashboard page (bundled
 * by vite) all import this one definition.
 */

/** Parameter names that are never key filters (`token` belongs to auth, `lastEventId` to replay). */
export const RESERVED_PARAMS: ReadonlySet<string> = new Set(["filter", "type", "token", "lastEventId"]);

/** Longest data key name a filter takes. */
export const MAX_NAME_LENGTH = 128;

const KEBAB_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Lowercase letters and digits, single inner dashes, at most MAX_NAME_LENGTH: a name the endpoint maps. */
export function isKebabName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && KEBAB_NAME.test(name);
}

/** `remote-ip` -> `remoteIp`, `listener-id` -> `listenerId`; names without dashes are unchanged. */
export function kebabToCamel(name: string): string {
  return name.includes("-") ? name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : name;
}

/** `remoteIp` -> `remote-ip`: the endpoint's name for that data key. */
export function camelToKebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
