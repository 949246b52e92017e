import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseSyslog, parseZone, UTC, type ParseContext, type Zone } from "./parse.js";

const NOW = Date.parse("2026-11-25T12:00:00.000Z");
const ctx: ParseContext = { zone: UTC, now: () => NOW, remoteIp: "198.51.100.2" };
const parse = (m: string | Buffer, c: Partial<ParseContext> = {}) => parseSyslog(Buffer.isBuffer(m) ? m : Buffer.from(m), { ...ctx, ...c });
const zone = (spec: string): Zone => {
  const z = parseZone(spec);
  if (typeof z === "string") throw new Error(z);
  return z;
};

describe("RFC 3164 4.1 and 5.4 examples", () => {
  it("example 1: hostname, tag, message", () => {
    expect(parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")).toEqual({
      type: "syslog.message",
      createdAt: "2026-10-11T22:14:15.000Z",
      data: {
        facility: "auth",
        severity: "crit",
        hostname: "mymachine",
        appName: "su",
        message: "'su root' failed for lonvick on /dev/pts/8",
        remoteIp: "198.51.100.2",
      },
    });
  });

  it("example 2: no tag", () => {
    expect(parse("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!").data).toEqual({
      facility: "user",
      severity: "notice",
      hostname: "10.0.0.99",
      message: "Use the BFG!",
      remoteIp: "198.51.100.2",
    });
  });

  it("example 3: tag with a percent sign", () => {
    const e = parse("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK #");
    // "CST 1987" is not a stamp we can use: the words land where the RFC's own relay would put them.
    expect(e.type).toBe("syslog.message");
    expect(e.data.facility).toBe("local4");
  });

  it("example 4: a PRI followed by no header (4.3.2: the rest is the message)", () => {
    expect(parse("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!").data).toEqual({
      facility: "kern",
      severity: "emerg",
      message: "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
      remoteIp: "198.51.100.2",
    });
  });
});

describe("RFC 3164 TIMESTAMP", () => {
  it("uses the current year, or the previous one when that would be more than a day ahead (CONTRACT 1)", () => {
    expect(parse("<13>Nov 25 12:00:00 h t: m").createdAt).toBe("2026-11-25T12:00:00.000Z");
    expect(parse("<13>Nov 26 11:59:59 h t: m").createdAt).toBe("2026-11-26T11:59:59.000Z"); // within a day: this year
    expect(parse("<13>Nov 26 12:00:01 h t: m").createdAt).toBe("2025-11-26T12:00:01.000Z");
    expect(parse("<13>Dec 31 23:59:59 h t: m", { now: () => Date.parse("2027-01-01T00:00:05Z") }).createdAt).toBe("2026-12-31T23:59:59.000Z");
    // To the letter of CONTRACT 1: never the next year, even for a sender's clock a little ahead at New Year.
    expect(parse("<13>Jan  1 00:00:01 h t: m", { now: () => Date.parse("2026-12-31T23:59:59Z") }).createdAt).toBe("2026-01-01T00:00:01.000Z");
  });

  it("takes the year from the zone's wall clock, not UTC's", () => {
    // 2026-12-31T23:30 UTC is already 2027 in Tokyo.
    const e = parse("<13>Jan  1 08:00:00 h t: m", { zone: zone("Asia/Tokyo"), now: () => Date.parse("2026-12-31T23:30:00Z") });
    expect(e.createdAt).toBe("2026-12-31T23:00:00.000Z");
  });

  it("reads the stamp in the timezone option: IANA with DST, or a fixed offset", () => {
    expect(parse("<13>Jul  1 12:00:00 h t: m", { zone: zone("Europe/Paris") }).createdAt).toBe("2026-07-01T10:00:00.000Z");
    expect(parse("<13>Jan 15 12:00:00 h t: m", { zone: zone("Europe/Paris") }).createdAt).toBe("2026-01-15T11:00:00.000Z");
    expect(parse("<13>Jan 15 12:00:00 h t: m", { zone: zone("America/New_York") }).createdAt).toBe("2026-01-15T17:00:00.000Z");
    expect(parse("<13>Jan 15 12:00:00 h t: m", { zone: zone("+05:30") }).createdAt).toBe("2026-01-15T06:30:00.000Z");
    expect(parse("<13>Jan 15 12:00:00 h t: m", { zone: zone("-08:00") }).createdAt).toBe("2026-01-15T20:00:00.000Z");
  });

  it("resolves DST gaps and overlaps to a real instant", () => {
    const paris = zone("Europe/Paris");
    // 2026-03-29 02:30 does not exist in Paris; 2026-10-25 02:30 exists twice.
    expect(parse("<13>Mar 29 02:30:00 h t: m", { zone: paris }).createdAt).toMatch(/^2026-03-29T0[01]:30:00\.000Z$/);
    expect(parse("<13>Oct 25 02:30:00 h t: m", { zone: paris }).createdAt).toMatch(/^2026-10-25T0[01]:30:00\.000Z$/);
  });

  it("accepts single-digit days with and without padding, and any month case", () => {
    expect(parse("<13>Feb  5 17:32:18 h t: m").createdAt).toBe("2026-02-05T17:32:18.000Z");
    expect(parse("<13>Feb 05 17:32:18 h t: m").createdAt).toBe("2026-02-05T17:32:18.000Z");
    expect(parse("<13>Feb 5 17:32:18 h t: m").createdAt).toBe("2026-02-05T17:32:18.000Z");
    expect(parse("<13>FEB 5 17:32:18 h t: m").createdAt).toBe("2026-02-05T17:32:18.000Z");
  });

  it("drops an impossible date (Feb 29 outside leap years) but keeps the message", () => {
    const e = parse("<13>Feb 29 10:00:00 h t: m");
    expect(e).not.toHaveProperty("createdAt");
    expect(e.data).toMatchObject({ hostname: "h", appName: "t", message: "m" });
  });

  it("reads ISO stamps in place of BSD ones (rsyslog's RFC 3339 forwarding format)", () => {
    const e = parse("<13>2026-11-25T10:15:30.123456+01:00 web01 nginx[77]: GET /");
    expect(e.createdAt).toBe("2026-11-25T09:15:30.123Z");
    expect(e.data).toMatchObject({ hostname: "web01", appName: "nginx", procId: "77", message: "GET /" });
    expect(e.data).not.toHaveProperty("version");
    expect(parse("<13>2026-11-25T10:15:30 web01 app: x", { zone: zone("+02:00") }).createdAt).toBe("2026-11-25T08:15:30.000Z");
  });

  it("takes a year, milliseconds, a UTC suffix and a trailing colon from network gear", () => {
    expect(parse("<164>May 21 2008 10:50:11: %FWSM-4-106023: Deny").createdAt).toBe("2008-05-21T10:50:11.000Z");
    expect(parse("<189>Mar  1 18:46:11.123 UTC: %LINK-3-UPDOWN: up", { zone: zone("+05:00") }).createdAt).toBe("2026-03-01T18:46:11.123Z");
    expect(parse("<189>Mar  1 18:46:11.123 CET: %LINK-3-UPDOWN: up").data).toMatchObject({ appName: "%LINK-3-UPDOWN", message: "up" });
  });
});

describe("RFC 3164 HOSTNAME and TAG", () => {
  it.each([
    ["<13>Nov 25 12:00:00 host app: msg", { hostname: "host", appName: "app", message: "msg" }],
    ["<13>Nov 25 12:00:00 host app[123]: msg", { hostname: "host", appName: "app", procId: "123", message: "msg" }],
    ["<13>Nov 25 12:00:00 host app[123] msg", { hostname: "host", appName: "app", procId: "123", message: "msg" }],
    ["<13>Nov 25 12:00:00 app[123]: msg", { appName: "app", procId: "123", message: "msg" }],
    ["<13>Nov 25 12:00:00 app: msg", { appName: "app", message: "msg" }],
    ["<13>Nov 25 12:00:00 host root[8539]:syslog message", { hostname: "host", appName: "root", procId: "8539", message: "syslog message" }],
    ["<13>Nov 25 12:00:00 root[8539]:syslog message", { appName: "root", procId: "8539", message: "syslog message" }],
    ["<13>Nov 25 12:00:00 host [2001:db8::1]:514 text", { hostname: "host", message: "[2001:db8::1]:514 text" }],
    ["<13>Nov 25 12:00:00 host app:  two spaces", { hostname: "host", appName: "app", message: " two spaces" }],
    ["<13>Nov 25 12:00:00 host app:", { hostname: "host", appName: "app" }],
    ["<13>Nov 25 12:00:00 host", { hostname: "host" }],
    ["<13>Nov 25 12:00:00", {}],
    ["<13>Nov 25 12:00:00 host postfix/smtpd[4242]: connect from x", { hostname: "host", appName: "postfix/smtpd", procId: "4242", message: "connect from x" }],
    ["<13>Nov 25 12:00:00 2001:db8::7 sshd[1]: ok", { hostname: "2001:db8::7", appName: "sshd", procId: "1", message: "ok" }],
    ["<13>Nov 25 12:00:00 fe80::1: not a tag", { hostname: "fe80::1:", message: "not a tag" }],
    ["<13>Nov 25 12:00:00 host  app: double space", { hostname: "host", appName: "app", message: "double space" }],
    ["<13>Nov 25 12:00:00 CRON: uppercase tag, not a zone", { appName: "CRON", message: "uppercase tag, not a zone" }],
    ["<13>Nov 25 12:00:00 EST app: uppercase host, not a zone", { hostname: "EST", appName: "app", message: "uppercase host, not a zone" }],
  ])("%s", (m, fields) => {
    expect(parse(m).data).toEqual({ facility: "user", severity: "notice", ...fields, remoteIp: "198.51.100.2" });
  });
});

describe("RFC 3164 without PRI", () => {
  it("parses a BSD or ISO stamp without PRI, with no facility/severity (CONTRACT 1)", () => {
    expect(parse("Nov 25 11:00:00 host sshd[9]: Accepted").data).toEqual({ hostname: "host", appName: "sshd", procId: "9", message: "Accepted", remoteIp: "198.51.100.2" });
    expect(parse("2026-11-25T11:00:00Z host kernel: eth0 up").data).toEqual({ hostname: "host", appName: "kernel", message: "eth0 up", remoteIp: "198.51.100.2" });
  });

  it("makes anything else syslog.unparsed with the raw text", () => {
    for (const m of ["hello world", "", "   ", "Nov 25 x", "12: Nov 25 12:00:00 h t: m", "\uFEFFplain"]) {
      const e = parse(m);
      expect(e.type, m).toBe("syslog.unparsed");
      expect(e.data.message).toBe(m);
      expect(e.data.parseError).toBeTruthy();
      expect(e.data.remoteIp).toBe("198.51.100.2");
    }
  });
});

// ---- properties ----

const word = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"), minLength: 1, maxLength: 20 });
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

describe("RFC 3164 properties", () => {
  it("prints and parses back BSD messages, inferring the year", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 191 }),
        fc.date({ min: new Date("2025-11-27T00:00:00Z"), max: new Date("2026-11-26T11:59:59Z"), noInvalidDate: true }),
        fc.option(word, { nil: undefined }),
        word.filter((w) => !w.includes(":")),
        fc.option(fc.integer({ min: 1, max: 4_000_000 }), { nil: undefined }),
        fc.string({ unit: "grapheme", maxLength: 60 }).filter((m) => !/^\s|[\r\n]$/.test(m) && !m.startsWith("\uFEFF")),
        (pri, date, host, tag, pid, message) => {
          const d = new Date(Math.floor(date.getTime() / 1000) * 1000);
          const stamp = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${d.toISOString().slice(11, 19)}`;
          const line = `<${pri}>${stamp} ${host ? `${host} ` : ""}${tag}${pid ? `[${pid}]` : ""}: ${message}`;
          const e = parse(line);
          expect(e.createdAt).toBe(d.toISOString());
          const expected: Record<string, unknown> = { appName: tag };
          if (host) expected.hostname = host;
          if (pid) expected.procId = String(pid);
          if (message) expected.message = message;
          const { facility: _f, severity: _s, remoteIp: _r, ...fields } = e.data;
          expect(fields).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never throws and always keeps the text, for any line after a valid stamp", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (rest) => {
        const e = parse(`<30>Nov 25 12:00:00 ${rest}`);
        expect(e.type).toBe("syslog.message");
        const d = e.data;
        const rebuilt = [d.hostname, d.appName, d.procId, d.message].filter((x) => x !== undefined).join("");
        // Nothing invented: every character of the output comes from the input, in order.
        expect(rebuilt.length).toBeLessThanOrEqual(rest.length);
      }),
      { numRuns: 1000 },
    );
  });
});
