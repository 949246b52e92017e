/**
 * Structured-data names (SD-IDs, PARAM-NAMEs) as strings, remembered between messages. Pure.
 *
 * A sender repeats the same few names in every message. Each becomes an object key, and a key
 * decoded fresh from the bytes costs V8 a string-table lookup (hashing it) on every use; the
 * same string handed back again is already in the table. So the last name seen per slot is
 * kept with its bytes, and returned when the bytes match exactly. Only ASCII names are kept
 * (their bytes are their characters); others are decoded each time. Memory: SLOTS names of at
 * most MAX_NAME bytes.
 */
import { utf8Text } from "../../../core/kit.js";
import type { Text } from "./pri.js";

const SLOTS = 64;
const MAX_NAME = 32;

export class NameCache {
  private readonly names: string[] = new Array<string>(SLOTS).fill("");
  /** The bytes of names[slot] at slot * MAX_NAME; their length is names[slot].length. */
  private readonly bytes = new Uint8Array(SLOTS * MAX_NAME);

  /** The text of t.b[from, to): the remembered string when the bytes are the same. */
  get(t: Text, from: number, to: number): string {
    const b = t.b;
    const n = to - from;
    if (n === 0 || n > MAX_NAME) return t.get(from, to);
    const slot = (n * 31 + b[from] * 7 + b[to - 1]) & (SLOTS - 1);
    const known = this.names[slot];
    const at = slot * MAX_NAME;
    if (known.length === n) {
      let i = 0;
      while (i < n && b[from + i] === this.bytes[at + i]) i++;
      if (i === n) return known;
    }
    for (let i = from; i < to; i++) if (b[i] >= 0x80) return t.get(from, to);
    // Decoded on its own, not sliced from the message, so keeping it keeps no message alive.
    const name = utf8Text(b, from, to);
    this.names[slot] = name;
    this.bytes.set(b.subarray(from, to), at);
    return name;
  }
}
