import { utf8Boundary } from "../../../core/kit.js";
const LF = 0x0a;
const CR = 0x0d;

/** How many bytes before a read position are remembered, to recognise that position in a copy of the file. */
export const TAIL_BYTES = 32;

export const LINE_PLAIN = 0;
export const LINE_TRUNCATED = 1;
export const LINE_SPLIT = 2;
export type LineFlag = typeof LINE_PLAIN | typeof LINE_TRUNCATED | typeof LINE_SPLIT;

/**
 * Called once per line: `bytes` (without its end-of-line) is only valid during the call, `offset`
 * is the file offset of its first byte.
 */
export type OnLine = (bytes: Buffer, offset: number, flag: LineFlag) => void;

export interface LineReaderOptions {
  maxLineBytes: number;
  longLines: "truncate" | "split";
  /** Cut long lines at a UTF-8 character boundary (false: any byte is a character). */
  utf8: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * The line state of one file: splits the bytes read at LF (a CR before it is dropped), keeps
 * the bytes of an unfinished line (at most maxLineBytes + 1), and knows the two positions that
 * matter: `readPos`, the next byte to read, and `lineStart`, the first byte not yet emitted as
 * (part of) a line: everything before it has been handed over, so it is the position to
 * checkpoint. `tail` holds the bytes just before `lineStart`, to recognise the position in a
 * copy of the file (copytruncate).
 */
export class LineReader {
  readPos = 0;
  lineStart = 0;
  /** The bytes just before lineStart (at most TAIL_BYTES). */
  tail: Buffer = EMPTY;
  /** readFrom "end" in the middle of a line: drop bytes up to the next newline. */
  skipToNewline = false;
  private parts: Buffer[] = [];
  private size = 0;
  /** Truncate mode: bytes of the current line were dropped. */
  private overflow = false;
  /** Split mode: pieces of the current line were already emitted. */
  private splitting = false;
  /** The last bytes read, up to readPos. */
  private recent: Buffer = EMPTY;

  constructor(
    private readonly o: LineReaderOptions,
    private readonly onLine: OnLine,
  ) {}

  /** True while an unfinished line is held (bytes after lineStart not yet emitted). */
  get hasPartial(): boolean {
    return this.size > 0 || this.overflow;
  }

  /** Starts over at `pos` (a fresh file, a truncated one, a checkpoint). `tail`: bytes before pos, when known. */
  reset(pos: number, tail: Buffer = EMPTY): void {
    this.readPos = pos;
    this.lineStart = pos;
    this.tail = tail;
    this.recent = tail;
    this.parts = [];
    this.size = 0;
    this.overflow = false;
    this.splitting = false;
    this.skipToNewline = false;
  }

  /** The next bytes of the file, read at readPos. `chunk` may be a reused buffer: nothing keeps a reference to it. */
  push(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    const base = this.readPos;
    let pos = 0;
    let lastEnd = -1;
    if (this.skipToNewline) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) {
        this.advanceRecent(chunk);
        this.readPos = this.lineStart = base + n;
        this.tail = this.recent;
        return;
      }
      this.skipToNewline = false;
      pos = lastEnd = nl + 1;
      this.lineStart = base + pos;
    }
    const max = this.o.maxLineBytes;
    while (pos < n) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) break;
      if (this.size === 0 && !this.overflow && !this.splitting && nl - pos <= max + 1) {
        let end = nl;
        if (end > pos && chunk[end - 1] === CR) end--;
        if (end - pos <= max) this.onLine(chunk.subarray(pos, end), base + pos, LINE_PLAIN);
        else this.longLine(chunk, pos, nl);
      } else this.longLine(chunk, pos, nl);
      pos = nl + 1;
      lastEnd = pos;
      this.lineStart = base + pos;
    }
    if (lastEnd !== -1) this.tail = this.tailBefore(chunk, lastEnd);
    if (pos < n) this.append(chunk, pos, n);
    this.advanceRecent(chunk);
    this.readPos = base + n;
  }

  /** Emits the unfinished line as it is (idle timeout, stop, truncation). */
  flushPartial(): void {
    if (this.size > 0 || this.overflow) this.finish();
    this.splitting = false;
    this.lineStart = this.readPos;
    this.tail = this.recent;
  }

  /** The rest of a line that is long or started in an earlier chunk: through the pending buffer. */
  private longLine(chunk: Buffer, start: number, nl: number): void {
    this.append(chunk, start, nl);
    this.finish();
  }

  /** Adds chunk[start, end) (no LF in it) to the unfinished line. */
  private append(chunk: Buffer, start: number, end: number): void {
    const max = this.o.maxLineBytes;
    if (this.o.longLines === "truncate") {
      const room = max + 1 - this.size; // +1: room for the CR of a CRLF
      if (end - start > room) {
        this.overflow = true;
        end = start + room;
      }
      if (end > start) {
        this.parts.push(Buffer.from(chunk.subarray(start, end)));
        this.size += end - start;
      }
      return;
    }
    while (end - start > max - this.size) {
      // Split mode: a full piece goes out now, the line goes on.
      const take = max - this.size;
      const piece = this.size === 0 ? chunk.subarray(start, start + take) : Buffer.concat([...this.parts, chunk.subarray(start, start + take)], max);
      let cut = this.o.utf8 ? utf8Boundary(piece, max) : max;
      if (cut === 0) cut = max;
      this.onLine(piece.subarray(0, cut), this.lineStart, LINE_SPLIT);
      this.lineStart += cut;
      this.tail = lastBytes(Buffer.concat([this.tail, piece.subarray(Math.max(0, cut - TAIL_BYTES), cut)]));
      const rest = piece.subarray(cut);
      this.parts = rest.length > 0 ? [Buffer.from(rest)] : [];
      this.size = rest.length;
      this.splitting = true;
      start += take;
    }
    if (end > start) {
      this.parts.push(Buffer.from(chunk.subarray(start, end)));
      this.size += end - start;
    }
  }

  /** Emits the held line and forgets it. */
  private finish(): void {
    let line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    const max = this.o.maxLineBytes;
    let flag: LineFlag = this.splitting ? LINE_SPLIT : LINE_PLAIN;
    if (!this.overflow && line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (this.overflow || line.length > max) {
      flag = LINE_TRUNCATED;
      line = line.subarray(0, this.o.utf8 ? utf8Boundary(line, max) : Math.min(line.length, max));
    }
    const offset = this.lineStart;
    this.parts = [];
    this.size = 0;
    this.overflow = false;
    this.splitting = false;
    // The end of a split line can be empty when its length was a multiple of maxLineBytes.
    if (flag !== LINE_SPLIT || line.length > 0) this.onLine(line, offset, flag);
  }

  /** The TAIL_BYTES bytes before chunk[idx] (from `recent` when idx is near the chunk's start). */
  private tailBefore(chunk: Buffer, idx: number): Buffer {
    if (idx >= TAIL_BYTES) return Buffer.from(chunk.subarray(idx - TAIL_BYTES, idx));
    return lastBytes(Buffer.concat([this.recent, chunk.subarray(0, idx)]));
  }

  private advanceRecent(chunk: Buffer): void {
    this.recent = chunk.length >= TAIL_BYTES ? Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES)) : lastBytes(Buffer.concat([this.recent, chunk]));
  }
}

function lastBytes(buf: Buffer): Buffer {
  return buf.length <= TAIL_BYTES ? buf : Buffer.from(buf.subarray(buf.length - TAIL_BYTES));
}

