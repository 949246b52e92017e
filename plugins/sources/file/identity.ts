import { createHash } from "node:crypto";

/**
 * Where a file was left: its identity (device + inode, and a hash of its first `fpLen` bytes),
 * the position up to which its lines were handed over, and the bytes just before that position.
 * The same shape is saved in checkpoints (`tail` as base64 there).
 */
export interface Position {
  path: string;
  dev: string;
  ino: string;
  /** sha1 hex of the first fpLen bytes ("" when fpLen is 0). */
  fp: string;
  fpLen: number;
  offset: number;
  tail: Buffer;
}

export const CHECKPOINT_KEY = "files";
export const CHECKPOINT_VERSION = 1;

export interface SavedPosition {
  path: string;
  dev: string;
  ino: string;
  fingerprint: string;
  fingerprintBytes: number;
  offset: number;
  tail: string;
}
export interface SavedCheckpoint {
  version: number;
  files: SavedPosition[];
}

export function fingerprint(bytes: Buffer): string {
  return bytes.length === 0 ? "" : createHash("sha1").update(bytes).digest("hex");
}

export function toSaved(p: Position): SavedPosition {
  return { path: p.path, dev: p.dev, ino: p.ino, fingerprint: p.fp, fingerprintBytes: p.fpLen, offset: p.offset, tail: p.tail.toString("base64") };
}

const HEX = /^[0-9a-f]*$/;
const DIGITS = /^\d+$/;

/** Validates what was read from the checkpoint store; a reason when it is not a checkpoint of ours. */
export function fromSaved(value: unknown): Position[] | string {
  if (typeof value !== "object" || value === null) return "not an object";
  const v = value as Partial<SavedCheckpoint>;
  if (v.version !== CHECKPOINT_VERSION) return `unknown version ${JSON.stringify(v.version)}`;
  if (!Array.isArray(v.files)) return "no files list";
  const out: Position[] = [];
  for (const [i, f] of v.files.entries()) {
    const ok =
      typeof f === "object" &&
      f !== null &&
      typeof f.path === "string" &&
      typeof f.dev === "string" &&
      DIGITS.test(f.dev) &&
      typeof f.ino === "string" &&
      DIGITS.test(f.ino) &&
      typeof f.fingerprint === "string" &&
      HEX.test(f.fingerprint) &&
      Number.isSafeInteger(f.fingerprintBytes) &&
      f.fingerprintBytes >= 0 &&
      Number.isSafeInteger(f.offset) &&
      f.offset >= 0 &&
      typeof f.tail === "string";
    if (!ok) return `files[${i}] is malformed`;
    out.push({ path: f.path, dev: f.dev, ino: f.ino, fp: f.fingerprint, fpLen: f.fingerprintBytes, offset: f.offset, tail: Buffer.from(f.tail, "base64") });
  }
  return out;
}
