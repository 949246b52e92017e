import type { SchedulerAction, SchedulerLike, Subscription as RxSubscription } from "rxjs";
import { randomBytes } from "node:crypto";
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";

/** What became of one publish. */
export type PublishOutcome =
  | { ok: true }
  /** `retry`: the server did not answer or had no JetStream listening (restart, no leader yet). */
  | { ok: false; retry: boolean; error: string };

/**
 * The header block of the publish being made, already encoded: the client only asks headers
 * for `encode()`, synchronously within `publish()`, so one holder serves every publish.
 */
class EncodedHeaders {
  block: Uint8Array = new Uint8Array(0);
  encode(): Uint8Array {
    return this.block;
  }
}

/**
 * JetStream publishes with their acks on one wildcard inbox subscription, instead of one
 * request (promise, timer, mux entry) per event: the client library's `js.publish` costs
 * about 100 µs of CPU per event here, this a fraction of it (bench:cluster). A PubAck is the
 * same JSON either way; `Nats-Msg-Id` makes JetStream store a retried event once.
 *
 * Per event it allocates little: the header block and the payload are encoded together (one
 * UTF-8 encode), the client's header object is skipped, waiting publishes are kept by their
 * sequential key without a timestamp each (timeouts are found from a mark per sweep: keys
 * below the mark set `timeoutMs` ago are late), and acks are read without JSON.parse when
 * they have the usual shape.
 */
export class AckPublisher<T> {
  // Short: its bytes go out with every publish and come back with every ack, parsed byte by byte.
  private readonly inbox = `_INBOX.${randomBytes(9).toString("base64url")}`;
  private readonly waiting = new Map<number, T>();
  /** The next key at each sweep, with its time: keys below a mark older than the timeout are late. */
  private readonly marks: { key: number; at: number }[] = [];
  private next = 0;
  private readonly headers = new EncodedHeaders();
  // Reused: the client reads the options within publish() and keeps nothing of them.
  private readonly options: { reply: string; headers: MsgHdrs } = { reply: "", headers: this.headers as unknown as MsgHdrs };
  private readonly sub: Subscription;
  private readonly sweep: RxSubscription;
  readonly every: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
    private readonly scheduler: SchedulerLike,
    private readonly settle: (token: T, outcome: PublishOutcome) => void,
  ) {
    const prefix = this.inbox.length + 1;
    this.sub = nc.subscribe(`${this.inbox}.*`, {
      callback: (err, m) => {
        if (err) return;
        const key = Number(m.subject.slice(prefix));
        const token = this.waiting.get(key);
        if (token === undefined) return; // already timed out (and sent again)
        this.waiting.delete(key);
        this.settle(token, outcomeOf(m));
      },
    });
    this.every = Math.max(50, Math.floor(timeoutMs / 4));
    this.marks.push({ key: 0, at: scheduler.now() });
    this.sweep = scheduler.schedule(sweepAction, this.every, this as AckPublisher<unknown>);
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Publishes `json` (an event's JSON) to `subject` with `Nats-Msg-Id: msgId` (no CR or LF in it). */
  publish(subject: string, json: string, msgId: string, token: T): void {
    const key = this.next++;
    const head = `NATS/1.0\r\nNats-Msg-Id: ${msgId}\r\n\r\n`;
    const bytes = Buffer.from(head + json);
    // The header block is ASCII: as many bytes as characters.
    this.headers.block = bytes.subarray(0, head.length);
    this.options.reply = `${this.inbox}.${key}`;
    this.waiting.set(key, token);
    this.nc.publish(subject, bytes.subarray(head.length), this.options);
  }

  /** Stops listening; what is still waiting is given back as retriable. */
  close(): T[] {
    this.sweep.unsubscribe();
    this.sub.unsubscribe();
    const left = [...this.waiting.values()];
    this.waiting.clear();
    return left;
  }

  /** Settles the publishes older than the timeout as retriable (called by the sweep). */
  expire(): void {
    const now = this.scheduler.now();
    const deadline = now - this.timeoutMs;
    let late = -1; // keys below this were sent before the deadline
    while (this.marks.length > 0 && this.marks[0]!.at <= deadline) late = this.marks.shift()!.key;
    this.marks.push({ key: this.next, at: now });
    if (late < 0) return;
    for (const [key, token] of this.waiting) {
      if (key >= late) break; // insertion order: the rest are younger
      this.waiting.delete(key);
      this.settle(token, { ok: false, retry: true, error: `no ack within ${this.timeoutMs} ms` });
    }
  }
}

function sweepAction(this: SchedulerAction<AckPublisher<unknown>>, publisher?: AckPublisher<unknown>): void {
  if (!publisher) return;
  publisher.expire();
  this.schedule(publisher, publisher.every);
}

const decoder = new TextDecoder();

function outcomeOf(m: Msg): PublishOutcome {
  const code = m.headers?.code ?? 0;
  if (code === 503) return { ok: false, retry: true, error: "no JetStream responders (server restarting or the stream has no leader)" };
  if (code >= 400) return { ok: false, retry: code === 408, error: `status ${code} ${m.headers?.description ?? ""}`.trim() };
  const fast = quickAck(m.data);
  if (fast !== undefined) return fast;
  let ack: { error?: { code?: number; description?: string } };
  try {
    ack = JSON.parse(decoder.decode(m.data)) as typeof ack;
  } catch {
    return { ok: false, retry: true, error: "unreadable publish ack" };
  }
  if (ack.error) return { ok: false, retry: ack.error.code === 503, error: ack.error.description ?? `error ${ack.error.code}` };
  return OK_ACK;
}

const OK_ACK: PublishOutcome = { ok: true };
const STREAM_KEY = [...'{"stream":'].map((c) => c.charCodeAt(0));
const ERROR_KEY = [...'"error"'].map((c) => c.charCodeAt(0));

/**
 * The usual PubAck `{"stream":"S","seq":N}` (a duplicate too: stored once, so confirmed)
 * told from its bytes, without decoding or JSON.parse; undefined for anything else, which
 * JSON.parse then reads (an error, or a stream whose name says "error"). A plain loop: acks
 * are some 40 bytes, and Buffer views and searches cost more than they save at that size.
 */
function quickAck(bytes: Uint8Array): PublishOutcome | undefined {
  const n = bytes.length;
  if (n > 512 || n < STREAM_KEY.length) return undefined;
  for (let i = 0; i < STREAM_KEY.length; i++) if (bytes[i] !== STREAM_KEY[i]) return undefined;
  for (let i = STREAM_KEY.length; i <= n - ERROR_KEY.length; i++) {
    if (bytes[i] !== ERROR_KEY[0]) continue;
    let k = 1;
    while (k < ERROR_KEY.length && bytes[i + k] === ERROR_KEY[k]) k++;
    if (k === ERROR_KEY.length) return undefined;
  }
  return OK_ACK;
}
