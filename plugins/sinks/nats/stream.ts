import type { JetStreamManager, StreamConfig } from "@nats-io/jetstream";
import { PluginProblems, type Logger } from "../../../core/index.js";
import { anyCovers, templateFilter } from "../../../core/kit.js";
import { durationMs, type NatsSinkOptions } from "./options.js";

const NS_PER_MS = 1_000_000;

/**
 * Makes sure `opts.stream` exists and takes what the sink publishes: creates it from
 * `createStream` when missing; an existing stream is never changed (another node or an
 * operator owns it), it must only cover the subjects. What differs otherwise is logged.
 */
export async function ensureStream(jsm: JetStreamManager, opts: NatsSinkOptions, log: Logger, dryRun = false): Promise<void> {
  const filter = templateFilter(opts.subject);
  const wanted = opts.createStream ? desiredConfig(opts) : undefined;
  let existing: StreamConfig;
  try {
    existing = (await jsm.streams.info(opts.stream)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    if (!wanted) {
      throw new PluginProblems([{ path: ["stream"], message: `stream "${opts.stream}" does not exist: create it (covering "${filter}"), or set "createStream"` }]);
    }
    if (dryRun) return; // `validate` creates nothing: run would create it
    try {
      await jsm.streams.add(wanted);
      log.info({ stream: opts.stream, subjects: wanted.subjects }, `created stream ${opts.stream}`);
      return;
    } catch (addErr) {
      // Another node created it meanwhile: check that one instead.
      if (!/already in use|exists/i.test(String((addErr as Error)?.message))) {
        throw new PluginProblems([{ path: ["createStream"], message: `cannot create stream "${opts.stream}": ${(addErr as Error)?.message ?? String(addErr)}` }]);
      }
      existing = (await jsm.streams.info(opts.stream)).config;
    }
  }
  const subjects = existing.subjects ?? [];
  if (!anyCovers(subjects, filter)) {
    const path = opts.createStream ? ["createStream", "subjects"] : ["subject"];
    throw new PluginProblems([
      {
        path,
        message: `stream "${opts.stream}" exists with subjects ${JSON.stringify(subjects)}, which do not cover "${filter}" (what "subject" "${opts.subject}" publishes): add "${filter}" to the stream's subjects, or change "subject"`,
      },
    ]);
  }
  if (wanted) {
    const diffs = differences(existing, wanted);
    if (diffs.length > 0) log.warn({ stream: opts.stream, differences: diffs }, `stream ${opts.stream} exists and differs from createStream (left as it is): ${diffs.join("; ")}`);
  }
}

function desiredConfig(opts: NatsSinkOptions): StreamConfig {
  const c = opts.createStream!;
  return {
    name: opts.stream,
    subjects: c.subjects ?? [templateFilter(opts.subject)],
    max_age: durationMs(c.maxAge)! * NS_PER_MS,
    max_bytes: c.maxBytes,
    storage: c.storage,
    num_replicas: c.replicas,
  } as StreamConfig;
}

/** Human lines for the settings `createStream` asks for that the existing stream does not have. */
function differences(existing: StreamConfig, wanted: StreamConfig): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same([...(existing.subjects ?? [])].sort(), [...(wanted.subjects ?? [])].sort())) {
    out.push(`subjects ${JSON.stringify(existing.subjects)} (createStream.subjects ${JSON.stringify(wanted.subjects)})`);
  }
  if (existing.max_age !== wanted.max_age) out.push(`maxAge ${existing.max_age / NS_PER_MS} ms (createStream.maxAge ${wanted.max_age / NS_PER_MS} ms)`);
  if (existing.max_bytes !== wanted.max_bytes) out.push(`maxBytes ${existing.max_bytes} (createStream.maxBytes ${wanted.max_bytes})`);
  if (existing.storage !== wanted.storage) out.push(`storage ${existing.storage} (createStream.storage ${wanted.storage})`);
  if (existing.num_replicas !== wanted.num_replicas) out.push(`replicas ${existing.num_replicas} (createStream.replicas ${wanted.num_replicas})`);
  return out;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; code?: number; message?: string; api_error?: { err_code?: number } };
  return e?.name === "StreamNotFoundError" || e?.api_error?.err_code === 10059 || /stream not found/i.test(e?.message ?? "");
}
