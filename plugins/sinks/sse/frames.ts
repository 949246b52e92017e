/**
 * SSE frames of CONTRACT 4. Every `data` is one line of JSON: JSON.stringify escapes CR and
 * LF inside strings, so a payload can never end a frame early.
 */
import type { MetricSample } from "../../../core/index.js";

export const STREAM_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-store",
  // nginx buffers proxied responses by default, which would hold frames back.
  "x-accel-buffering": "no",
} as const;

export function pingFrame(intervalMs: number): string {
  return `event: ping\ndata: {"interval":${intervalMs}}\n\n`;
}

export const GAP_FRAME = 'event: gap\ndata: {"missed":true}\n\n';

/** `count` events dropped, `fromId` the first of them and `toId` the last (CONTRACT 9). */
export function droppedFrame(count: number, fromId?: string, toId?: string): string {
  const range = fromId === undefined || toId === undefined ? "" : `,"fromId":${JSON.stringify(fromId)},"toId":${JSON.stringify(toId)}`;
  return `event: dropped\ndata: {"count":${count}${range}}\n\n`;
}

/**
 * A batch: `jsons` are serialised events, `lastId` the last one's id (the client's
 * Last-Event-ID after this frame).
 */
export function traceFrame(lastId: string, jsons: string): string {
  return traceFrameHead(lastId) + jsons + TRACE_FRAME_TAIL;
}

/** A `trace` frame up to its events, for assembling one from bytes (client.ts). */
export function traceFrameHead(lastId: string): string {
  return `id: ${sseId(lastId)}\nevent: trace\ndata: [`;
}
export const TRACE_FRAME_TAIL = "]\n\n";

export function metricsFrame(samples: MetricSample[]): string {
  return `event: metrics\ndata: ${JSON.stringify(samples)}\n\n`;
}

// An id from a source's input could hold a line break (which would end the field) or NUL
// (which makes browsers ignore it); both are dropped, the rest of the id is kept.
// (No /g flag on the test: a global regex keeps lastIndex between calls.)
const UNSAFE_ID = /[\r\n\0]/;
function sseId(id: string): string {
  return UNSAFE_ID.test(id) ? id.replace(/[\r\n\0]/g, "") : id;
}
