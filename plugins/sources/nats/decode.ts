import type { LiveEventInput } from "../../../core/index.js";
import { isEventType, isPlainObject, toCreatedAt, utf8Boundary } from "../../../core/kit.js";

/** Raw text kept in a `nats.unparsed` event (at a character boundary): a foreign publisher cannot bloat the pipeline. */
export const MAX_UNPARSED_BYTES = 64 * 1024;

const decoder = new TextDecoder("utf-8");

/**
 * One stream message as an event. A message that is an event's JSON (CONTRACT 1, what the
 * `nats` sink publishes) is that event under the stream's id `id`; anything else (bad JSON,
 * JSON that is not an event, a foreign publisher) becomes `nats.unparsed` with the raw text,
 * so it is seen and acked, never redelivered in a loop. Pure; never throws.
 */
export function decodeMessage(payload: Uint8Array, id: string, subject: string): LiveEventInput {
  const text = decoder.decode(payload);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return unparsed(payload, id, subject, `not JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(value)) return unparsed(payload, id, subject, "not a JSON object");
  if (!isEventType(value.type)) return unparsed(payload, id, subject, typeof value.type === "string" ? `"type" ${JSON.stringify(value.type.slice(0, 100))} is not an event type` : 'no string "type"');
  const event: LiveEventInput = { id, type: value.type, data: isPlainObject(value.data) ? value.data : {} };
  const createdAt = toCreatedAt(value.createdAt);
  if (createdAt !== undefined) event.createdAt = createdAt;
  if (typeof value.text === "string") event.text = value.text;
  if (typeof value.details === "string") event.details = value.details;
  return event;
}

function unparsed(payload: Uint8Array, id: string, subject: string, parseError: string): LiveEventInput {
  const end = utf8Boundary(payload, MAX_UNPARSED_BYTES);
  const data: Record<string, unknown> = { message: decoder.decode(payload.subarray(0, end)), parseError, subject };
  if (end < payload.length) {
    data.truncated = true;
    data.bytes = payload.length;
  }
  return { id, type: "nats.unparsed", data };
}
