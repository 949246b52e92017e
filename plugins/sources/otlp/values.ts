/**
 * OTLP common values (opentelemetry/proto/common/v1) to event JSON, the way the Collector's
 * exporters render pcommon values as plain JSON (`Value.AsRaw()`): strings, booleans and doubles
 * as they are, int64 as a number (a decimal string past 2^53, where a JSON number would lose
 * digits), bytes as base64, arrays as arrays, kvlists as objects with their keys unchanged.
 *
 * The messages are protobufjs's decoded objects; the interfaces below name only the fields
 * read here. int64/fixed64 fields are `Long` objects (or numbers, when decoded without Long).
 */

/** protobufjs's 64-bit integer: a `long.js` Long, or a number. */
export type Int64 = number | { low: number; high: number; unsigned: boolean; toNumber(): number; toString(): string };

export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] } | null;
  kvlistValue?: { values?: KeyValue[] } | null;
  bytesValue?: Uint8Array;
  /** The oneof's set member (a protobufjs virtual field). */
  value?: string;
}
export interface KeyValue {
  key?: string;
  value?: AnyValue | null;
}

/** Bounds of one record's values (CONTRACT: memory bounded; OTLP values nest without limit). */
export interface ValueLimits {
  /** Arrays/kvlists inside each other deeper than this refuse the record. */
  maxDepth: number;
  /** Bytes of strings, keys and scalars (8 each) one record may hold. */
  maxBytes: number;
}

/** Limits plus the per-receiver caches that keep mapping cheap (attribute names repeat in every record). */
export interface MapContext extends ValueLimits {
  names: KeyNames;
  times: IsoTimes;
}

const DAY_MS = 86_400_000;
const MAX_RFC3339_MS = 253_402_300_800_000; // 10000-01-01
const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * ms since the epoch as `Date#toISOString` prints them, the date part formatted once per day:
 * records of a batch share their day, and this halves the cost of mapping a record.
 */
export class IsoTimes {
  private day = -1;
  private prefix = "";
  format(ms: number | undefined): string | undefined {
    if (ms === undefined || !(ms >= 0 && ms < MAX_RFC3339_MS)) return undefined;
    const t = Math.trunc(ms);
    const day = Math.floor(t / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    }
    let rest = t - day * DAY_MS;
    const milli = rest % 1000;
    rest = (rest - milli) / 1000;
    const sec = rest % 60;
    rest = (rest - sec) / 60;
    const min = rest % 60;
    return `${this.prefix}${pad2((rest - min) / 60)}:${pad2(min)}:${pad2(sec)}.${pad3(milli)}Z`;
  }
}

/** Remembers `dottedToCamel` per attribute key: a batch repeats the same few keys in every record. */
export class KeyNames {
  private readonly cache = new Map<string, string>();
  constructor(private readonly max = 4096) {}
  camel(key: string): string {
    let c = this.cache.get(key);
    if (c === undefined) {
      if (this.cache.size >= this.max) this.cache.clear();
      c = dottedToCamel(key);
      this.cache.set(key, c);
    }
    return c;
  }
}

/** Why a record was refused: goes into the response's `partialSuccess.errorMessage`. */
export class RecordRefused extends Error {}

/** Counts the size of one record's values against `maxBytes`. */
export class Budget {
  private left: number;
  readonly names: KeyNames;
  constructor(private readonly limits: ValueLimits & { names?: KeyNames }) {
    this.left = limits.maxBytes;
    this.names = limits.names ?? new KeyNames(16);
  }
  get maxDepth(): number {
    return this.limits.maxDepth;
  }
  /** As spend(), for an attribute: its label is only built when it is needed. */
  spendOn(key: string, bytes: number): void {
    this.left -= bytes;
    if (this.left < 0) throw new RecordRefused(`attribute "${key.slice(0, 100)}" takes the record past maxRecordBytes (${this.limits.maxBytes} bytes)`);
  }
  spend(bytes: number, what: string): void {
    this.left -= bytes;
    if (this.left < 0) throw new RecordRefused(`${what} takes the record past maxRecordBytes (${this.limits.maxBytes} bytes)`);
  }
}

const SCALAR_BYTES = 8;
const TWO_32 = 4_294_967_296;

/** An int64 as a JS number when exact, else as its decimal string. */
export function int64Value(v: Int64): number | string {
  if (typeof v === "number") return v;
  // Exact below 2^53: the high word then fits in 21 bits (sign aside).
  if (v.high >= -0x200000 && v.high < 0x200000) return v.toNumber();
  return v.toString();
}

/** An int64/fixed64 as a (possibly rounded) number: for counts, sums and times. */
export function int64Number(v: Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") return v;
  return v.unsigned ? (v.high >>> 0) * TWO_32 + (v.low >>> 0) : v.high * TWO_32 + (v.low >>> 0);
}

/** Nanoseconds since the epoch to milliseconds; undefined for 0 (the proto default: "unknown"). */
export function nanosToMs(v: Int64 | undefined | null): number | undefined {
  const ns = int64Number(v);
  return ns > 0 ? ns / 1e6 : undefined;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Trace and span ids in lowercase hex (OTLP/JSON's form); undefined when empty or all zero (invalid ids). */
export function idHex(id: Uint8Array | undefined | null): string | undefined {
  if (!id || id.length === 0) return undefined;
  // A table and string concatenation: no Buffer per id, two per record add up.
  let hex = "";
  let any = 0;
  for (let i = 0; i < id.length; i++) {
    any |= id[i];
    hex += HEX[id[i]];
  }
  return any === 0 ? undefined : hex;
}

/** `client.address` -> `clientAddress` (CONTRACT 10: data keys camelCase). */
export function dottedToCamel(key: string): string {
  if (!key.includes(".")) return key;
  return key.replace(/\.+([^.])/g, (_, c: string) => c.toUpperCase()).replace(/\.+$/, "");
}

const VALUE_KINDS = ["stringValue", "intValue", "boolValue", "doubleValue", "kvlistValue", "arrayValue", "bytesValue"] as const;

/**
 * The member set in an AnyValue's oneof. protobufjs puts every member's default on the
 * prototype and offers a `value` getter that lists the object's keys on each call; own
 * properties are what decoding set, and testing them is several times cheaper.
 */
export function valueKind(v: AnyValue): (typeof VALUE_KINDS)[number] | undefined {
  for (let i = 0; i < VALUE_KINDS.length; i++) {
    const k = VALUE_KINDS[i];
    if (Object.hasOwn(v, k) && v[k] !== null && v[k] !== undefined) return k;
  }
  return undefined;
}

/** An AnyValue as JSON; `depth` is 1 for a top-level attribute or body. */
export function anyValueToJson(v: AnyValue | null | undefined, depth: number, budget: Budget, where: string): unknown {
  if (!v) return null;
  switch (valueKind(v)) {
    case "stringValue":
      budget.spend(v.stringValue!.length, where);
      return v.stringValue;
    case "boolValue":
      budget.spend(SCALAR_BYTES, where);
      return v.boolValue;
    case "intValue":
      budget.spend(SCALAR_BYTES, where);
      return int64Value(v.intValue!);
    case "doubleValue": {
      budget.spend(SCALAR_BYTES, where);
      const d = v.doubleValue!;
      // JSON has no NaN or infinities: their names, as the proto3 JSON mapping writes them.
      return Number.isFinite(d) ? d : String(d);
    }
    case "bytesValue":
      budget.spend(v.bytesValue!.length, where);
      return Buffer.from(v.bytesValue!.buffer, v.bytesValue!.byteOffset, v.bytesValue!.length).toString("base64");
    case "arrayValue": {
      if (depth >= budget.maxDepth) throw tooDeep(where, budget.maxDepth);
      const values = v.arrayValue?.values ?? [];
      const out: unknown[] = [];
      for (let i = 0; i < values.length; i++) {
        budget.spend(SCALAR_BYTES, where);
        out.push(anyValueToJson(values[i], depth + 1, budget, where));
      }
      return out;
    }
    case "kvlistValue": {
      if (depth >= budget.maxDepth) throw tooDeep(where, budget.maxDepth);
      const out: Record<string, unknown> = {};
      for (const kv of v.kvlistValue?.values ?? []) {
        const key = kv.key ?? "";
        budget.spend(key.length + SCALAR_BYTES, where);
        out[key] = anyValueToJson(kv.value, depth + 1, budget, where);
      }
      return out;
    }
    default:
      // An AnyValue with nothing set: the spec's "empty value".
      return null;
  }
}

/** Attributes as a data object, dotted keys camelCased, into `out` (later keys win, as in a map). */
export function attributesInto(out: Record<string, unknown>, attrs: KeyValue[] | undefined, budget: Budget, skip?: string): Record<string, unknown> {
  if (!attrs) return out;
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i];
    const key = kv.key ?? "";
    if (key === skip) continue;
    const v = kv.value;
    const kind = v ? valueKind(v) : undefined;
    // The common case inline: a string or an int, no label to build.
    if (kind === "stringValue") {
      budget.spendOn(key, key.length + SCALAR_BYTES + v!.stringValue!.length);
      out[budget.names.camel(key)] = v!.stringValue;
    } else {
      const where = `attribute "${key.slice(0, 100)}"`;
      budget.spend(key.length + SCALAR_BYTES, where);
      out[budget.names.camel(key)] = anyValueToJson(v, 1, budget, where);
    }
  }
  return out;
}

/** The string value of attribute `key`, if it is one. */
export function stringAttribute(attrs: KeyValue[] | undefined, key: string): string | undefined {
  if (!attrs) return undefined;
  for (const kv of attrs) if (kv.key === key && kv.value && valueKind(kv.value) === "stringValue") return kv.value.stringValue;
  return undefined;
}

function tooDeep(where: string, max: number): RecordRefused {
  return new RecordRefused(`${where} nests arrays/kvlists deeper than maxValueDepth (${max})`);
}
