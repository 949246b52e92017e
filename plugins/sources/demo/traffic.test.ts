import { describe, expect, it } from "vitest";
import type { LiveEventInput } from "../../../core/index.js";
import { MAX_OPEN_SESSIONS, mailTraffic, mulberry32, toSeed32 } from "./traffic.js";

const generate = (seed: number, n: number): LiveEventInput[] => {
  const next = mailTraffic(seed);
  return Array.from({ length: n }, (_, i) => next(1_700_000_000_000 + i * 10));
};

const TEST_NET = /^(192\.0\.2|198\.51\.100|203\.0\.113)\.(\d{1,3})$/;

describe("mulberry32", () => {
  it("is repeatable and uniform-ish in [0, 1)", () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 10_000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it("folds clock-sized and negative seeds to 32 bits", () => {
    expect(toSeed32(1_732_445_000_123)).toBeGreaterThanOrEqual(0);
    expect(toSeed32(1_732_445_000_123)).toBeLessThan(2 ** 32);
    expect(toSeed32(-1)).toBe(toSeed32(-1));
    expect(toSeed32(1_732_445_000_123)).not.toBe(toSeed32(1_732_445_000_124));
  });
});

describe("mail traffic", () => {
  const events = generate(2024, 20_000);

  it("uses documentation addresses only", () => {
    let v6 = 0;
    for (const e of events) {
      const ip = e.data.remoteIp;
      if (ip === undefined) continue;
      expect(typeof ip).toBe("string");
      if ((ip as string).includes(":")) {
        v6++;
        expect(ip).toMatch(/^2001:db8:[0-9a-f]{1,4}::[0-9a-f]{1,4}$/);
      } else {
        const m = TEST_NET.exec(ip as string);
        expect(m, String(ip)).not.toBeNull();
        expect(Number(m![2])).toBeGreaterThanOrEqual(1);
        expect(Number(m![2])).toBeLessThanOrEqual(254);
      }
    }
    expect(v6).toBeGreaterThan(0);
  });

  it("keeps every SMTP session consistent: start, auth, envelope, queue, end in order", () => {
    const sessions = new Map<string, LiveEventInput[]>();
    for (const e of events) {
      if (!e.type.startsWith("smtp.") && !e.type.startsWith("auth.") && e.type !== "security.brute-force-ban" && e.type !== "tls.handshake-failed")
        continue;
      const id = e.data.sessionId as string;
      expect(id).toMatch(/^[0-9a-f]{10}$/);
      sessions.set(id, [...(sessions.get(id) ?? []), e]);
    }
    let complete = 0;
    for (const [id, list] of sessions) {
      expect(list[0].type, id).toBe("smtp.connection-start");
      const first = list[0].data;
      for (const e of list) {
        expect(e.data.remoteIp).toBe(first.remoteIp);
        expect(e.data.listenerId).toBe(first.listenerId);
        expect(e.data.tls).toBe(first.tls);
      }
      const types = list.map((e) => e.type);
      const ended = types.indexOf("smtp.connection-end");
      if (ended === -1) continue; // still open when the sample stopped
      complete++;
      expect(ended).toBe(types.length - 1);
      const mailFrom = types.indexOf("smtp.mail-from");
      if (mailFrom !== -1) {
        expect(types.slice(mailFrom + 1).filter((t) => t === "smtp.rcpt-to").length).toBeGreaterThanOrEqual(1);
        expect(types.lastIndexOf("smtp.rcpt-to")).toBeGreaterThan(mailFrom);
        if (first.listenerId === "submission") {
          expect(types.indexOf("auth.success")).toBeLessThan(mailFrom);
          const account = list.find((e) => e.type === "auth.success")!.data.accountName;
          expect(list[mailFrom].data.from).toBe(account);
        }
      }
    }
    expect(complete).toBeGreaterThan(1000);
  });

  it("delivers each queued message to each of its recipients after it was queued", () => {
    const queued = new Map<string, string[]>();
    const delivered = new Map<string, string[]>();
    for (const e of events) {
      if (e.type === "queue.message-queued") {
        expect(queued.has(e.data.queueId as string)).toBe(false);
        queued.set(e.data.queueId as string, e.data.to as string[]);
      } else if (e.type === "delivery.completed" || e.type === "delivery.failed") {
        const q = e.data.queueId as string;
        expect(queued.has(q), `delivery before queueing of ${q}`).toBe(true);
        expect(queued.get(q)).toContain(e.data.to);
        expect(e.data.latencyMs).toBeGreaterThan(0);
        delivered.set(q, [...(delivered.get(q) ?? []), e.data.to as string]);
      }
    }
    for (const to of delivered.values()) expect(new Set(to).size).toBe(to.length);
    expect(delivered.size).toBeGreaterThan(queued.size * 0.9);
  });

  it("gives sizes in bytes and plausible latencies", () => {
    for (const e of events) {
      if (e.data.size !== undefined) {
        expect(Number.isInteger(e.data.size)).toBe(true);
        expect(e.data.size).toBeGreaterThanOrEqual(350);
        expect(e.data.size).toBeLessThanOrEqual(30_000_000);
      }
      if (e.data.latencyMs !== undefined) expect(e.data.latencyMs).toBeLessThanOrEqual(30_000);
    }
  });

  it("bans only after failed logins from the same address", () => {
    const failures = new Map<string, number>();
    for (const e of events) {
      if (e.type === "auth.failed") failures.set(e.data.remoteIp as string, (failures.get(e.data.remoteIp as string) ?? 0) + 1);
      if (e.type === "security.brute-force-ban") {
        expect(failures.get(e.data.remoteIp as string) ?? 0).toBeGreaterThanOrEqual(3);
        expect(e.data.attempts).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it("mixes levels sensibly: mostly info", () => {
    const count = { info: 0, warning: 0, error: 0 } as Record<string, number>;
    for (const e of events) count[e.data.level as string]++;
    expect(count.info / events.length).toBeGreaterThan(0.75);
    expect(count.warning).toBeGreaterThan(0);
    expect(count.error).toBeGreaterThan(0);
  });

  it("keeps at most MAX_OPEN_SESSIONS sessions open", () => {
    const open = new Set<string>();
    let most = 0;
    for (const e of events) {
      if (e.type === "smtp.connection-start") open.add(e.data.sessionId as string);
      if (e.type === "smtp.connection-end") open.delete(e.data.sessionId as string);
      most = Math.max(most, open.size);
    }
    expect(most).toBeLessThanOrEqual(MAX_OPEN_SESSIONS);
  });
});
