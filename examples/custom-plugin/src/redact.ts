import { createHmac } from "node:crypto";
import { filter, map, pipe, type OperatorFunction } from "rxjs";
import type { LiveEvent } from "livetap";
import type { RedactOptions } from "./options.js";

/**
 * Replaces the listed top-level data fields: `mask` keeps only the shape (`192.0.2.x`,
 * `j***@example.org`), `hash` gives a keyed HMAC so the same value still groups together
 * without revealing it; `drop` discards every event that carries one of them. Pure: the
 * operator function is all there is to test.
 *
 * The two hooks keep core's delivery tracking right (livetap's acknowledgement rule: every
 * event is emitted, or replaced by a copy, or dropped): `replaced` is told each copy and
 * `dropped` each discarded event; the plugin class passes DELIVERY's `replace` and `drop`.
 */
export const redact = (
  o: RedactOptions,
  replaced: (from: LiveEvent, to: LiveEvent) => LiveEvent = (_, to) => to,
  dropped: (event: LiveEvent) => void = () => undefined,
): OperatorFunction<LiveEvent, LiveEvent> => {
  const fields = new Set(o.fields);
  if (o.mode === "drop") {
    return pipe(
      filter((event) => {
        const keep = !Object.keys(event.data).some((key) => fields.has(key) && event.data[key] !== undefined && event.data[key] !== null);
        if (!keep) dropped(event);
        return keep;
      }),
    );
  }
  const hide = o.mode === "hash" ? (v: string) => hashOf(v, o.hashKey ?? "") : mask;
  return map((event) => {
    let data: Record<string, unknown> | undefined;
    for (const key of Object.keys(event.data)) {
      const value = event.data[key];
      if (!fields.has(key) || value === undefined || value === null) continue;
      data ??= { ...event.data }; // copy on write: other branches of the DAG share this event
      data[key] = hide(typeof value === "string" ? value : JSON.stringify(value));
    }
    return data ? replaced(event, { ...event, data }) : event;
  });
};

export function mask(value: string): string {
  const v4 = /^(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}$/.exec(value);
  if (v4) return `${v4[1]}.x`;
  if (value.includes(":") && /^[0-9a-fA-F:]+$/.test(value)) return `${value.split(":").slice(0, 3).join(":")}:x`;
  const at = value.indexOf("@");
  if (at > 0) return `${value[0]}***${value.slice(at)}`;
  return "***";
}

function hashOf(value: string, key: string): string {
  return `hmac:${createHmac("sha256", key).update(value).digest("hex").slice(0, 16)}`;
}
