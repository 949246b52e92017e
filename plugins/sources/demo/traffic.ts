/**
 * Synthetic mail-server telemetry in Stalwart's vocabulary. Pure: given a seed, the sequence of
 * events is fixed (only `createdAt` comes from the caller's clock), and nothing here reads the
 * time, Math.random or module state.
 */
import type { LiveEventInput } from "../../../core/index.js";

/** A uniform number in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast, good enough for synthetic data, and repeatable from a 32-bit seed. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Folds any safe integer (clock ms included, which exceed 32 bits) into a 32-bit seed. */
export function toSeed32(seed: number): number {
  const n = Math.trunc(seed);
  return (n ^ Math.floor(n / 0x1_0000_0000)) >>> 0;
}

export type Level = "info" | "warning" | "error";

/** Concurrent sessions the generator keeps open: the whole of its memory. */
export const MAX_OPEN_SESSIONS = 12;

const LOCAL_DOMAINS = ["example.org", "example.com"] as const;
const REMOTE_DOMAINS = ["example.net", "mail.example", "corp.example", "shop.test", "news.example.net", "lists.example"] as const;
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "support", "billing"] as const;
const SENDERS = ["newsletter", "noreply", "info", "orders", "jira", "sam", "olivia", "peggy", "victor", "walter"] as const;
const V4_NETS = ["192.0.2", "198.51.100", "203.0.113"] as const;
const AUTH_MECHANISMS = ["PLAIN", "LOGIN", "XOAUTH2", "SCRAM-SHA-256"] as const;
const TLS_ERRORS = ["no shared cipher", "unsupported protocol version TLSv1.0", "certificate unknown", "handshake timed out"] as const;
const TEMP_FAILURES = [
  "421 4.7.0 Try again later",
  "451 4.3.0 Temporary lookup failure",
  "452 4.2.2 Mailbox full",
] as const;
const PERM_FAILURES = ["550 5.1.1 User unknown", "554 5.7.1 Message rejected as spam", "552 5.3.4 Message too big"] as const;

type Step = () => LiveEventInput;

/** What every event of one SMTP session carries, so a filter on any of them finds the whole session. */
interface SessionBase {
  sessionId: string;
  listenerId: string;
  remoteIp: string;
  tls: boolean;
}

/**
 * Returns a generator: each call gives the next event, stamped with `nowMs` as its createdAt.
 * Sessions interleave like on a real server (up to MAX_OPEN_SESSIONS at a time); deliveries
 * of a queued message follow its session later.
 */
export function mailTraffic(seed: number): (nowMs: number) => LiveEventInput {
  const rnd = mulberry32(toSeed32(seed));
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const chance = (p: number): boolean => rnd() < p;
  const hex = (digits: number): string => {
    let s = "";
    while (s.length < digits) s += int(0x1_0000_0000).toString(16).padStart(8, "0");
    return s.slice(0, digits);
  };
  /** Log-normal around `median`: message sizes and latencies have long tails. */
  const logNormal = (median: number, sigma: number, min: number, max: number): number => {
    const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    return Math.min(max, Math.max(min, Math.round(median * Math.exp(sigma * z))));
  };
  const ip = (): string =>
    chance(0.15) ? `2001:db8:${int(0x10000).toString(16)}::${(1 + int(0xfffe)).toString(16)}` : `${pick(V4_NETS)}.${1 + int(254)}`;
  const address = (user: string, domain: string): string => `${user}@${domain}`;

  let createdAt = "";
  let createdAtMs = Number.NaN;
  // Every caller passes a fresh object literal, so adding the level in place is safe.
  const event = (type: string, level: Level, text: string, data: Record<string, unknown>): LiveEventInput => {
    data.level = level;
    return { type, createdAt, text, data };
  };

  const open: Step[][] = [];

  function smtpSession(): Step[] {
    const kind = rnd();
    if (kind < 0.55) return inboundSession();
    if (kind < 0.88) return submissionSession();
    if (kind < 0.95) return bruteForceSession();
    return tlsFailureSession();
  }

  function start(base: SessionBase, port: number, peerDomain: string): Step {
    return () =>
      event("smtp.connection-start", "info", `SMTP connection from ${base.remoteIp} on ${base.listenerId} (port ${port})`, {
        ...base,
        domain: peerDomain,
      });
  }

  function end(base: SessionBase, steps: number): Step {
    const durationMs = logNormal(120 * steps, 0.6, 5, 120_000);
    return () => event("smtp.connection-end", "info", `SMTP connection closed after ${durationMs} ms`, { ...base, durationMs });
  }

  function envelope(base: SessionBase, from: string, size: number, to: string[]): Step[] {
    const steps: Step[] = [
      () =>
        event("smtp.mail-from", "info", `MAIL FROM:<${from}> SIZE=${size}`, {
          ...base,
          from,
          domain: from.split("@")[1],
          size,
        }),
    ];
    for (const rcpt of to) {
      steps.push(() => event("smtp.rcpt-to", "info", `RCPT TO:<${rcpt}>`, { ...base, from, to: rcpt, domain: rcpt.split("@")[1] }));
    }
    return steps;
  }

  function queued(base: SessionBase, from: string, size: number, to: string[], queueId: string): Step {
    return () =>
      event("queue.message-queued", "info", `Message ${queueId} queued for ${to.length} recipient(s)`, {
        ...base,
        queueId,
        from,
        to,
        size,
      });
  }

  function inboundSession(): Step[] {
    const tls = chance(0.7);
    const base: SessionBase = { sessionId: hex(10), listenerId: "smtp", remoteIp: ip(), tls };
    const peerDomain = pick(REMOTE_DOMAINS);
    const from = address(pick(SENDERS), peerDomain);
    const to = uniqueRecipients(1 + int(chance(0.8) ? 1 : 3), LOCAL_DOMAINS, USERS);
    const size = logNormal(24_000, 1.1, 350, 30_000_000);
    const queueId = hex(16);
    const spam = chance(0.12);
    const score = spam ? Math.round((5 + rnd() * 15) * 10) / 10 : Math.round((rnd() * 7 - 4) * 10) / 10;
    const steps: Step[] = [
      start(base, 25, peerDomain),
      () => event("smtp.ehlo", "info", `EHLO mx.${peerDomain}${tls ? " (STARTTLS)" : ""}`, { ...base, domain: `mx.${peerDomain}` }),
      ...envelope(base, from, size, to),
      // Classified during DATA, before the message is accepted; the queue delivers it afterwards.
      () =>
        event("spam.classify", spam ? "warning" : "info", `Classified as ${spam ? "spam" : "ham"} (score ${score})`, {
          ...base,
          queueId,
          from,
          result: spam ? "spam" : "ham",
          score,
        }),
      queued(base, from, size, to, queueId),
    ];
    steps.push(end(base, steps.length));
    for (const rcpt of to) {
      const latencyMs = logNormal(15, 0.8, 1, 5_000);
      const folder = spam ? "Junk" : "Inbox";
      steps.push(() =>
        event("delivery.completed", "info", `Delivered to ${rcpt} (${folder}, ${latencyMs} ms)`, {
          queueId,
          from,
          to: rcpt,
          domain: rcpt.split("@")[1],
          size,
          folder,
          latencyMs,
        }),
      );
    }
    return steps;
  }

  function submissionSession(): Step[] {
    const base: SessionBase = { sessionId: hex(10), listenerId: "submission", remoteIp: ip(), tls: true };
    const domain = pick(LOCAL_DOMAINS);
    const account = address(pick(USERS), domain);
    const mechanism = pick(AUTH_MECHANISMS);
    const steps: Step[] = [start(base, 587, domain)];
    const typo = chance(0.08);
    if (typo) {
      steps.push(() =>
        event("auth.failed", "warning", `Authentication failed for ${account} from ${base.remoteIp}`, {
          ...base,
          accountName: account,
          domain,
          mechanism,
          reason: "invalid credentials",
        }),
      );
      if (chance(0.4)) {
        steps.push(end(base, steps.length));
        return steps;
      }
    }
    steps.push(() =>
      event("auth.success", "info", `Authenticated ${account} (${mechanism})`, { ...base, accountName: account, domain, mechanism }),
    );
    const to = uniqueRecipients(1 + int(chance(0.7) ? 1 : 4), REMOTE_DOMAINS, [...USERS, ...SENDERS]);
    const size = logNormal(18_000, 1.2, 350, 30_000_000);
    const queueId = hex(16);
    steps.push(...envelope(base, account, size, to), queued(base, account, size, to, queueId));
    steps.push(end(base, steps.length));
    for (const rcpt of to) {
      const rcptDomain = rcpt.split("@")[1];
      const mx = `mx${1 + int(2)}.${rcptDomain}`;
      const latencyMs = logNormal(220, 0.9, 5, 30_000);
      const outcome = rnd();
      if (outcome < 0.86) {
        steps.push(() =>
          event("delivery.completed", "info", `Delivered to ${rcpt} via ${mx} (${latencyMs} ms)`, {
            queueId,
            from: account,
            to: rcpt,
            domain: rcptDomain,
            size,
            mx,
            latencyMs,
            code: "250 2.0.0 OK",
          }),
        );
      } else {
        const temporary = outcome < 0.95;
        const code = temporary ? pick(TEMP_FAILURES) : pick(PERM_FAILURES);
        steps.push(() =>
          event(
            "delivery.failed",
            temporary ? "warning" : "error",
            `Delivery to ${rcpt} failed${temporary ? " (will retry)" : ""}: ${code}`,
            { queueId, from: account, to: rcpt, domain: rcptDomain, size, mx, latencyMs, code, temporary },
          ),
        );
      }
    }
    return steps;
  }

  function bruteForceSession(): Step[] {
    const base: SessionBase = { sessionId: hex(10), listenerId: "submission", remoteIp: ip(), tls: true };
    const domain = pick(LOCAL_DOMAINS);
    const attempts = 3 + int(4);
    const steps: Step[] = [start(base, 587, domain)];
    for (let i = 1; i <= attempts; i++) {
      const account = address(pick(["admin", "root", "test", "info", ...USERS]), domain);
      steps.push(() =>
        event("auth.failed", "warning", `Authentication failed for ${account} from ${base.remoteIp}`, {
          ...base,
          accountName: account,
          domain,
          mechanism: "LOGIN",
          reason: "invalid credentials",
          attempt: i,
        }),
      );
    }
    const banSeconds = pick([300, 3600, 86_400]);
    steps.push(() =>
      event("security.brute-force-ban", "warning", `Banned ${base.remoteIp} for ${banSeconds} s after ${attempts} failed logins`, {
        ...base,
        domain,
        attempts,
        banSeconds,
      }),
    );
    steps.push(end(base, steps.length));
    return steps;
  }

  function tlsFailureSession(): Step[] {
    // Implicit TLS (port 465) that never got established: the session was never encrypted.
    const base: SessionBase = { sessionId: hex(10), listenerId: "submissions", remoteIp: ip(), tls: false };
    const domain = pick(LOCAL_DOMAINS);
    const reason = pick(TLS_ERRORS);
    return [
      start(base, 465, domain),
      () => event("tls.handshake-failed", "warning", `TLS handshake failed: ${reason}`, { ...base, domain, reason }),
      end(base, 1),
    ];
  }

  function imapLogin(): LiveEventInput {
    const domain = pick(LOCAL_DOMAINS);
    const account = address(pick(USERS), domain);
    const remoteIp = ip();
    return event("imap.login", "info", `IMAP login ${account} from ${remoteIp}`, {
      sessionId: hex(10),
      listenerId: "imaptls",
      remoteIp,
      tls: true,
      accountName: account,
      domain,
    });
  }

  function uniqueRecipients(n: number, domains: readonly string[], users: readonly string[]): string[] {
    const out = new Set<string>();
    while (out.size < n) out.add(address(pick(users), pick(domains)));
    return [...out];
  }

  return (nowMs: number): LiveEventInput => {
    // Events of one batch share their millisecond: format it once.
    if (nowMs !== createdAtMs) {
      createdAtMs = nowMs;
      createdAt = new Date(nowMs).toISOString();
    }
    if (chance(0.06)) return imapLogin();
    if (open.length === 0 || (open.length < MAX_OPEN_SESSIONS && chance(0.3))) open.push(smtpSession());
    const i = int(open.length);
    const session = open[i];
    const step = session.shift()!;
    if (session.length === 0) {
      open[i] = open[open.length - 1];
      open.pop();
    }
    return step();
  };
}
