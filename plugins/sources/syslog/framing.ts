import { utf8End } from "../../../core/lib/utf8.js";
/**
 * RFC 6587 framing of syslog over a byte stream (TCP, TLS). Pure.
 *
 * - octet counting (3.4.1): `MSG-LEN SP SYSLOG-MSG`;
 * - non-transparent framing (3.4.2): one message per line, ended by LF (a CR before it is
 *   trimmed by the parser);
 * - auto: decided per frame as rsyslog and Vector do: a frame that starts with digits and a
 *   space is octet-counted, anything else runs to the next LF.
 *
 * Memory: a frame that fits in one chunk is passed on as a view of it, no copy. One that spans
 * chunks is copied, at most `maxLength` bytes of it: a longer one is cut there, passed on at
 * once as truncated, and the rest of it is skipped, so the stream never stalls and a
 * connection never holds more than `maxLength` + 10 bytes.
 */
export type Framing = "auto" | "octet-counting" | "newline";

/**
 * One frame. `error` is set when the bytes are not a frame of the configured framing or the
 * stream ended inside one; they are still passed on (CONTRACT 1: never dropped).
 */
export type FrameHandler = (buffer: Buffer, start: number, end: number, truncated: boolean, error?: string) => void;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
/** Longest MSG-LEN read as one: 9 digits (up to 1 GB, skipped when over maxLength). */
const MAX_LEN_DIGITS = 9;

const enum State {
  Start,
  Length,
  Octets,
  SkipOctets,
  Line,
  SkipLine,
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

export class Framer {
  private state = State.Start;
  /** MSG-LEN being read, and its digits when they span chunks. */
  private length = 0;
  private lengthDigits = 0;
  private lengthBytes: Buffer | undefined;
  /** Bytes of an octet-counted frame still to come (to keep, then to skip). */
  private remaining = 0;
  private truncated = false;
  /** Why the current line is passed on as an error (octet-counting framing that was not). */
  private lineError: string | undefined;
  private parts: Buffer[] = [];
  private kept = 0;

  constructor(
    private readonly framing: Framing,
    private readonly maxLength: number,
    private readonly onFrame: FrameHandler,
  ) {}

  /** Bytes of a frame held between chunks (the memory bound is maxLength + 10). */
  get buffered(): number {
    return this.kept + (this.lengthBytes?.length ?? 0);
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case State.Start: {
          // Blank lines between frames are not frames.
          while (i < n && (chunk[i] === LF || chunk[i] === CR)) i++;
          if (i >= n) return;
          this.truncated = false;
          this.lineError = undefined;
          if (this.framing !== "newline" && isDigit(chunk[i])) {
            // The usual case first: a whole octet-counted frame within maxLength in this chunk,
            // read with locals and passed on in place. Everything else takes the states below.
            let j = i;
            let len = 0;
            while (j < n && j - i <= MAX_LEN_DIGITS && isDigit(chunk[j])) len = len * 10 + (chunk[j++] - 0x30);
            if (j < n && chunk[j] === SP && j - i <= MAX_LEN_DIGITS && len > 0 && len <= this.maxLength && n - j - 1 >= len) {
              i = j + 1 + len;
              this.onFrame(chunk, j + 1, i, false);
              break;
            }
            this.state = State.Length;
            this.length = 0;
            this.lengthDigits = 0;
          } else {
            if (this.framing === "octet-counting") this.lineError = lengthExpected(chunk[i]);
            this.state = State.Line;
          }
          break;
        }
        case State.Length: {
          const from = i;
          while (i < n && this.lengthDigits <= MAX_LEN_DIGITS && isDigit(chunk[i])) {
            this.length = this.length * 10 + (chunk[i] - 0x30);
            this.lengthDigits++;
            i++;
          }
          if (i >= n) {
            // The digits go on in the next chunk: keep them, they may be the start of a line.
            this.lengthBytes = this.lengthBytes ? Buffer.concat([this.lengthBytes, chunk.subarray(from)]) : Buffer.from(chunk.subarray(from));
            return;
          }
          if (chunk[i] === SP && this.lengthDigits <= MAX_LEN_DIGITS) {
            i++;
            this.lengthBytes = undefined;
            this.remaining = this.length;
            this.truncated = this.length > this.maxLength;
            this.state = this.length === 0 ? State.Start : State.Octets;
            break;
          }
          // Not a MSG-LEN: the digits start a line.
          if (this.framing === "octet-counting") this.lineError = lengthExpected(chunk[i]);
          const digits = this.lengthDigits - (this.lengthBytes?.length ?? 0);
          if (this.lengthBytes) this.keep(this.lengthBytes, 0, this.lengthBytes.length);
          this.lengthBytes = undefined;
          i -= digits;
          this.state = State.Line;
          break;
        }
        case State.Octets: {
          const want = Math.min(this.remaining, this.maxLength) - this.kept;
          const take = Math.min(want, n - i);
          if (this.kept === 0 && take === want) {
            // The whole (kept part of the) frame is in this chunk: pass its place in it.
            this.emitOctets(chunk, i, i + take);
          } else {
            this.keep(chunk, i, i + take);
            if (take === want) {
              const frame = this.joined();
              this.emitOctets(frame, 0, frame.length);
            }
          }
          i += take;
          break;
        }
        case State.SkipOctets: {
          const skip = Math.min(this.remaining, n - i);
          this.remaining -= skip;
          i += skip;
          if (this.remaining === 0) this.state = State.Start;
          break;
        }
        case State.Line: {
          const nl = chunk.indexOf(LF, i);
          const stop = nl < 0 ? n : nl;
          // One byte over maxLength is allowed: the CR of a CRLF ending.
          const room = this.maxLength + 1 - this.kept;
          if (stop - i > room) {
            this.keep(chunk, i, i + room);
            const line = this.joined();
            this.emitLine(line, 0, line.length, true);
            this.state = nl < 0 ? State.SkipLine : State.Start;
            i = nl < 0 ? n : nl + 1;
          } else if (nl < 0) {
            this.keep(chunk, i, n);
            i = n;
          } else {
            if (this.kept === 0) this.emitLine(chunk, i, nl, false);
            else {
              this.keep(chunk, i, nl);
              const line = this.joined();
              this.emitLine(line, 0, line.length, false);
            }
            this.state = State.Start;
            i = nl + 1;
          }
          break;
        }
        case State.SkipLine: {
          const nl = chunk.indexOf(LF, i);
          if (nl < 0) return;
          i = nl + 1;
          this.state = State.Start;
          break;
        }
      }
    }
  }

  /**
   * The stream ended (EOF, close, drain): a last line without LF is a frame; an octet-counted
   * frame cut short is passed on with an error saying so, not lost.
   */
  end(): void {
    switch (this.state) {
      case State.Length: {
        const digits = this.lengthBytes ?? Buffer.alloc(0);
        this.onFrame(digits, 0, digits.length, false, this.framing === "octet-counting" ? "RFC 6587: stream ended inside a MSG-LEN" : undefined);
        break;
      }
      case State.Octets: {
        const frame = this.joined();
        this.onFrame(frame, 0, frame.length, this.truncated, `RFC 6587: stream ended after ${this.kept} of ${this.remaining} bytes of an octet-counted frame`);
        break;
      }
      case State.Line:
        if (this.kept > 0) {
          const line = this.joined();
          this.emitLine(line, 0, line.length, false);
        }
        break;
      default:
        break;
    }
    this.reset();
  }

  private emitOctets(b: Buffer, start: number, end: number): void {
    this.remaining -= Math.min(this.remaining, this.maxLength);
    if (this.truncated) end = utf8End(b, start, end);
    if (this.kept > 0) this.parts = [];
    this.kept = 0;
    this.state = this.remaining > 0 ? State.SkipOctets : State.Start;
    this.onFrame(b, start, end, this.truncated);
  }

  private emitLine(b: Buffer, start: number, end: number, overflow: boolean): void {
    let truncated = overflow;
    if (end > start && b[end - 1] === CR && !overflow) end--;
    if (end - start > this.maxLength) truncated = true;
    if (truncated) end = utf8End(b, start, Math.min(end, start + this.maxLength));
    const error = this.lineError;
    if (this.kept > 0) this.parts = [];
    this.kept = 0;
    this.lineError = undefined;
    this.onFrame(b, start, end, truncated, error);
  }

  /** Copies b[from, to) into the frame being built (the chunk itself is not kept alive). */
  private keep(b: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.parts.push(Buffer.from(b.subarray(from, to)));
    this.kept += to - from;
  }

  private joined(): Buffer {
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.kept);
  }

  private reset(): void {
    this.state = State.Start;
    this.parts = [];
    this.kept = 0;
    this.lengthBytes = undefined;
    this.remaining = 0;
    this.lineError = undefined;
  }
}

function lengthExpected(c: number): string {
  const got = c >= 0x21 && c <= 0x7e ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, "0")}`;
  return `RFC 6587 octet counting: MSG-LEN and a space expected at the start of a frame, got ${got}`;
}
