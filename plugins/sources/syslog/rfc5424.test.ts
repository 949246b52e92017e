import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseSyslog, unparsedFrame, IsoClock, UTC, parseZone, type ParseContext } from "./parse.js";
import { Text } from "./pri.js";
import { buildRfc5424 } from "./parse-rfc5424.js";
import { REC, scanFrame, Tokens } from "./scan-rfc5424.js";

const NOW = Date.parse("2026-11-25T12:00:00.000Z");
const ctx: ParseContext = { zone: UTC, now: () => NOW, remoteIp: "192.0.2.7" };
const parse = (m: string | Buffer, c: ParseContext = ctx) => parseSyslog(Buffer.isBuffer(m) ? m : Buffer.from(m), c);

describe("RFC 5424 6.5 examples", () => {
  it("example 1: no structured data, BOM before MSG", () => {
    const e = parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8");
    expect(e).toEqual({
      type: "syslog.message",
      createdAt: "2003-10-11T22:14:15.003Z",
      data: {
        facility: "auth",
        severity: "crit",
        version: 1,
        hostname: "mymachine.example.com",
        appName: "su",
        msgId: "ID47",
        message: "'su root' failed for lonvick on /dev/pts/8",
        remoteIp: "192.0.2.7",
      },
    });
  });

  it("example 2: microseconds and a negative offset, converted to UTC", () => {
    const e = parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
    expect(e.createdAt).toBe("2003-08-24T12:14:15.000Z");
    expect(e.data).toEqual({
      facility: "local4",
      severity: "notice",
      version: 1,
      hostname: "192.0.2.1",
      appName: "myproc",
      procId: "8710",
      message: "%% It's time to make the do-nuts.",
      remoteIp: "192.0.2.7",
    });
  });

  it("example 3: structured data and MSG", () => {
    const e = parse(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...',
    );
    expect(e.data.structuredData).toEqual({ "exampleSDID@32473": { iut: "3", eventSource: "Application", eventID: "1011" } });
    expect(e.data.message).toBe("An application event log entry...");
    expect(e.data.appName).toBe("evntslog");
    expect(e.data).not.toHaveProperty("procId");
  });

  it("example 4: two SD elements and no MSG", () => {
    const e = parse(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
    expect(e.data.structuredData).toEqual({
      "exampleSDID@32473": { iut: "3", eventSource: "Application", eventID: "1011" },
      "examplePriority@32473": { class: "high" },
    });
    expect(e.data).not.toHaveProperty("message");
  });
});

describe("RFC 5424 6.2 HEADER", () => {
  it("maps every PRI to its facility and severity (6.2.1)", () => {
    const facilities = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"];
    const severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];
    for (let pri = 0; pri <= 191; pri++) {
      const e = parse(`<${pri}>1 - - - - - -`);
      expect(e.data.facility).toBe(facilities[pri >> 3]);
      expect(e.data.severity).toBe(severities[pri & 7]);
    }
  });

  it("rejects PRI over 191 and malformed PRI as syslog.unparsed", () => {
    for (const m of ["<192>1 - - - - - -", "<1000>1 - - - - - - x", "<>1 - - - - - -", "<a>1 - - - - - -", "<13 1 - - - - -"]) {
      const e = parse(m);
      expect(e.type, m).toBe("syslog.unparsed");
      expect(e.data.message).toBe(m);
      expect(e.data.parseError).toMatch(/PRI/);
      expect(e.data.remoteIp).toBe("192.0.2.7");
    }
  });

  it("rejects a PRI with a leading zero (6.2.1) as syslog.unparsed, keeping the raw text", () => {
    for (const m of ["<013>1 - - - - - - z", "<01>1 - h a - - - x", "<00>1 - - - - - -", "<013>"]) {
      const e = parse(m);
      expect(e, m).toEqual({ type: "syslog.unparsed", data: { message: m, parseError: expect.stringMatching(/^PRI: "0\d+" has a leading zero/), remoteIp: "192.0.2.7" } });
    }
    expect(parse("<0>1 - - - - - -").data).toMatchObject({ facility: "kern", severity: "emerg" });
  });

  it("keeps VERSION as a number", () => {
    expect(parse("<13>1 - - - - - -").data.version).toBe(1);
    expect(parse("<13>12 - - - - - -").data.version).toBe(12);
  });

  it.each([
    ["1985-04-12T23:20:50.52Z", "1985-04-12T23:20:50.520Z"],
    ["1985-04-12T19:20:50.52-04:00", "1985-04-12T23:20:50.520Z"],
    ["2003-10-11T22:14:15.003Z", "2003-10-11T22:14:15.003Z"],
    ["2003-08-24T05:14:15.000003-07:00", "2003-08-24T12:14:15.000Z"],
    ["2003-08-24T05:14:15.999999+05:30", "2003-08-23T23:44:15.999Z"],
    ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"],
    ["2026-01-01T00:00:00.1+00:00", "2026-01-01T00:00:00.100Z"],
    ["2024-02-29T23:59:59.999-00:01", "2024-03-01T00:00:59.999Z"],
    // Lenient as peers: nanoseconds (truncated), lowercase t and z, +HHMM.
    ["2003-08-24T05:14:15.000000003-07:00", "2003-08-24T12:14:15.000Z"],
    ["2003-08-24t05:14:15.123456789z", "2003-08-24T05:14:15.123Z"],
    ["2003-08-24T05:14:15+0200", "2003-08-24T03:14:15.000Z"],
    ["0099-01-01T00:00:00Z", "0099-01-01T00:00:00.000Z"],
  ])("TIMESTAMP %s is %s (6.2.3, fractions past ms truncated)", (stamp, utc) => {
    const e = parse(`<13>1 ${stamp} host app - - - msg`);
    expect(e.type).toBe("syslog.message");
    expect(e.createdAt).toBe(utc);
  });

  it("reads a TIMESTAMP without offset in the source's timezone", () => {
    const paris = parseZone("Europe/Paris");
    if (typeof paris === "string") throw new Error(paris);
    expect(parse("<13>1 2026-07-01T12:00:00 h a - - -", { ...ctx, zone: paris }).createdAt).toBe("2026-07-01T10:00:00.000Z");
    expect(parse("<13>1 2026-01-01T12:00:00.5 h a - - -", { ...ctx, zone: paris }).createdAt).toBe("2026-01-01T11:00:00.500Z");
  });

  it("leaves createdAt to the receive time for a NILVALUE TIMESTAMP", () => {
    expect(parse("<13>1 - host app - - - msg")).not.toHaveProperty("createdAt");
  });

  it.each([
    ["1990-12-31T23:59:60Z", /out of range/], // leap seconds are not allowed (6.2.3.1)
    ["2003-02-29T00:00:00Z", /out of range/],
    ["2003-13-01T00:00:00Z", /out of range/],
    ["2003-10-11T24:00:00Z", /out of range/],
    ["2003-10-11T22:14:15.Z", /RFC 3339/],
    ["2003-10-11 22:14:15Z", /RFC 3339/],
    ["2003-10-11T22:14:15+25:00", /out of range/],
    ["2003-10-11T22:14:15#", /TIMESTAMP ends in "#"/],
  ])("makes TIMESTAMP %s a parse error", (stamp, error) => {
    const m = `<13>1 ${stamp} host app - - - msg`;
    const e = parse(m);
    expect(e.type).toBe("syslog.unparsed");
    expect(e.data.parseError).toMatch(error);
    expect(e.data.message).toBe(m);
  });

  it("treats the NILVALUE as absent in every header field (6.2.4-6.2.7)", () => {
    expect(parse("<13>1 - - - - - -").data).toEqual({ facility: "user", severity: "notice", version: 1, remoteIp: "192.0.2.7" });
  });

  it("keeps PROCID as a string and fields past the RFC's lengths", () => {
    const long = "h".repeat(300);
    const e = parse(`<13>1 - ${long} app 007 - - msg`);
    expect(e.data.procId).toBe("007");
    expect(e.data.hostname).toBe(long);
  });

  it("accepts IPv6 literal and FQDN hostnames", () => {
    expect(parse("<13>1 - 2001:db8::1 app - - - m").data.hostname).toBe("2001:db8::1");
    expect(parse("<13>1 - fe80::1%eth0 app - - - m").data.hostname).toBe("fe80::1%eth0");
  });

  it("parses a message that ends right after the header (lenient, as syslog_loose)", () => {
    expect(parse("<13>1 2026-01-01T00:00:00Z host app 1 ID").data).toEqual({
      facility: "user",
      severity: "notice",
      version: 1,
      hostname: "host",
      appName: "app",
      procId: "1",
      msgId: "ID",
      remoteIp: "192.0.2.7",
    });
  });
});

describe("RFC 5424 6.3 STRUCTURED-DATA", () => {
  it("resolves the escapes \\\" \\\\ \\] and keeps any other backslash (6.3.3)", () => {
    const e = parse('<13>1 - - - - - [x@1 a="q\\"uote" b="back\\\\slash" c="br\\]acket" d="other\\n\\x" e="\\\\\\"" f="end\\\\"] m');
    expect(e.data.structuredData).toEqual({ "x@1": { a: 'q"uote', b: "back\\slash", c: "br]acket", d: "other\\n\\x", e: '\\"', f: "end\\" } });
    expect(e.data.message).toBe("m");
  });

  it("keeps ] and spaces and = inside quoted values, and UTF-8", () => {
    const e = parse('<13>1 - - - - - [x@1 a="a b" b="c=d" c="ü ☃ 😀" d=""]');
    expect(e.data.structuredData).toEqual({ "x@1": { a: "a b", b: "c=d", c: "ü ☃ 😀", d: "" } });
  });

  it("makes a param repeated within one element an array, in order (CONTRACT 1)", () => {
    const e = parse('<13>1 - - - - - [origin ip="192.0.2.1" ip="192.0.2.2" ip="192.0.2.3" software="x"]');
    expect(e.data.structuredData).toEqual({ origin: { ip: ["192.0.2.1", "192.0.2.2", "192.0.2.3"], software: "x" } });
  });

  it("makes a repeated param an array however many distinct params came before it", () => {
    const names = Array.from({ length: 10 }, (_, i) => `p${i}`);
    for (const before of [1, 7, 8, 9, 10]) {
      const params = names.slice(0, before).map((n) => `${n}="${n}"`);
      const e = parse(`<13>1 - - - - - [x ${params.join(" ")} p0="again" ${names[before - 1]}="last"]`);
      const expected: Record<string, string | string[]> = Object.fromEntries(names.slice(0, before).map((n) => [n, n]));
      expected.p0 = before === 1 ? ["p0", "again", "last"] : ["p0", "again"];
      if (before > 1) expected[names[before - 1]] = [names[before - 1], "last"];
      expect(e.data.structuredData, `${before} before`).toEqual({ x: expected });
    }
  });

  it("keeps an element without params and registered SD-IDs (7.1-7.3)", () => {
    const e = parse('<13>1 - - - - - [timeQuality tzKnown="1" isSynced="1" syncAccuracy="60000"][origin][meta sequenceId="29" language="en-US"] x');
    expect(e.data.structuredData).toEqual({
      timeQuality: { tzKnown: "1", isSynced: "1", syncAccuracy: "60000" },
      origin: {},
      meta: { sequenceId: "29", language: "en-US" },
    });
  });

  it("merges a repeated SD-ID instead of losing one (the RFC forbids it, senders do it)", () => {
    expect(parse('<13>1 - - - - - [a x="1"][a x="2" y="3"]').data.structuredData).toEqual({ a: { x: ["1", "2"], y: "3" } });
  });

  it("keeps __proto__ and constructor as plain keys", () => {
    const e = parse('<13>1 - - - - - [__proto__ __proto__="1" constructor="2"]');
    const sd = e.data.structuredData as Record<string, Record<string, string>>;
    expect(Object.keys(sd)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(sd)).toBe(Object.prototype);
    expect(Object.hasOwn(sd, "__proto__")).toBe(true);
    expect(JSON.parse(JSON.stringify(e.data.structuredData))).toEqual(JSON.parse('{"__proto__":{"__proto__":"1","constructor":"2"}}'));
  });

  it.each([
    ['[x@1 a="1"', /PARAM-NAME "=" expected in \[x@1\], got end of message/],
    ['[x@1 a="1]', /not closed with '"'/],
    ["[x@1 a=1]", /'"' expected after a=/],
    ['[x@1 ="1"]', /PARAM-NAME/],
    ['[x@1 a "1"]', /PARAM-NAME/],
    ['[ a="1"]', /SD-ID expected/],
    ['[x@1 a="1"b="2"]', /space or \] expected/],
    ["[]", /SD-ID expected/],
    ['[x="1"]', /invalid SD-ID/],
  ])("makes broken structured data %s a parse error, keeping the raw text", (sd, error) => {
    const m = `<13>1 - host app - - ${sd} msg`;
    const e = parse(m);
    expect(e.type).toBe("syslog.unparsed");
    expect(e.data.parseError).toMatch(error);
    expect(e.data.message).toBe(m);
  });

  it("takes a missing STRUCTURED-DATA field as the start of MSG (lenient, as Vector)", () => {
    expect(parse("<13>1 - host app - ID47 hello there").data).toMatchObject({ msgId: "ID47", message: "hello there" });
    expect(parse("<13>1 - host app - ID47 -hello").data.message).toBe("-hello");
  });
});

describe("RFC 5424 6.4 MSG", () => {
  it("removes the BOM, trailing CR/LF, and drops an empty MSG", () => {
    expect(parse("<13>1 - - - - - - \uFEFFhello\r\n").data.message).toBe("hello");
    expect(parse("<13>1 - - - - - - \uFEFF").data).not.toHaveProperty("message");
    expect(parse("<13>1 - - - - - - ").data).not.toHaveProperty("message");
    expect(parse("<13>1 - - - - - - \n").data).not.toHaveProperty("message");
  });

  it("keeps leading spaces and inner newlines of MSG", () => {
    expect(parse("<13>1 - - - - - -   indented\nsecond line").data.message).toBe("  indented\nsecond line");
  });

  it("decodes invalid UTF-8 with replacement characters, never throws", () => {
    const b = Buffer.concat([Buffer.from("<13>1 - h\xff app - - - "), Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3])]);
    const e = parse(b);
    expect(e.type).toBe("syslog.message");
    expect(e.data.message).toBe("a\uFFFD\uFFFDb\uFFFD");
  });

  it("decodes Latin-1 bytes in header and SD as replacement characters", () => {
    const b = Buffer.from([...Buffer.from("<13>1 - caf"), 0xe9, ...Buffer.from(' app - - [x v="'), 0xe9, ...Buffer.from('"] m')]);
    const e = parse(b);
    expect(e.data.hostname).toBe("caf\uFFFD");
    expect(e.data.structuredData).toEqual({ x: { v: "\uFFFD" } });
  });
});

describe("RFC 5424 detection", () => {
  it("reads <PRI>digits not followed by a header as RFC 3164 (the rest is MSG)", () => {
    expect(parse("<13>1 apple").data).toEqual({ facility: "user", severity: "notice", message: "1 apple", remoteIp: "192.0.2.7" });
    expect(parse("<13>100 bottles").data.message).toBe("100 bottles");
  });

  it("formats createdAt the same through the per-second cache", () => {
    const iso = new IsoClock();
    for (const s of ["2026-01-01T00:00:00.001Z", "2026-01-01T00:00:00.999Z", "2026-01-01T00:00:01Z", "1969-12-31T23:59:59.5Z"]) {
      expect(parse(`<13>1 ${s} - - - - -`, { ...ctx, iso }).createdAt).toBe(new Date(s).toISOString());
    }
  });
});

// ---- properties (fast-check) ----

const printAscii = (min: number, max: number, exclude = " ") =>
  fc.string({ unit: fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max }).filter((s) => ![...s].some((c) => exclude.includes(c)) && s !== "-");
const sdName = printAscii(1, 32, ' =]"');
const value = fc.string({ unit: "grapheme", maxLength: 40 });
const escape = (v: string) => v.replace(/[\\"\]]/g, (c) => `\\${c}`);

const message5424 = fc.record({
  pri: fc.integer({ min: 0, max: 191 }),
  time: fc.option(fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }), { nil: undefined }),
  offsetMinutes: fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
  hostname: fc.option(printAscii(1, 255), { nil: undefined }),
  appName: fc.option(printAscii(1, 48), { nil: undefined }),
  procId: fc.option(printAscii(1, 128), { nil: undefined }),
  msgId: fc.option(printAscii(1, 32), { nil: undefined }),
  sd: fc.option(fc.dictionary(sdName, fc.dictionary(sdName, value, { maxKeys: 4 }), { minKeys: 1, maxKeys: 3 }), { nil: undefined }),
  message: fc.option(fc.string({ unit: "grapheme", minLength: 1, maxLength: 80 }).filter((m) => !/[\r\n]$/.test(m) && !m.startsWith("\uFEFF")), { nil: undefined }),
});

function stamp(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const a = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

describe("RFC 5424 properties", () => {
  it("prints and parses back every field", () => {
    fc.assert(
      fc.property(message5424, (m) => {
        const sd = m.sd === undefined ? "-" : Object.entries(m.sd).map(([id, ps]) => `[${id}${Object.entries(ps).map(([k, v]) => ` ${k}="${escape(v)}"`).join("")}]`).join("");
        const ts = m.time === undefined ? "-" : stamp(m.time.getTime(), m.offsetMinutes);
        const line = `<${m.pri}>1 ${ts} ${m.hostname ?? "-"} ${m.appName ?? "-"} ${m.procId ?? "-"} ${m.msgId ?? "-"} ${sd}${m.message === undefined ? "" : ` ${m.message}`}`;
        const e = parse(line);
        expect(e.type).toBe("syslog.message");
        if (m.time) expect(e.createdAt).toBe(m.time.toISOString());
        else expect(e).not.toHaveProperty("createdAt");
        const expected: Record<string, unknown> = { version: 1 };
        for (const k of ["hostname", "appName", "procId", "msgId", "message"] as const) if (m[k] !== undefined) expected[k] = m[k];
        if (m.sd !== undefined) expected.structuredData = m.sd;
        const { facility: _f, severity: _s, remoteIp: _r, ...fields } = e.data;
        expect(fields).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("turns any bytes into exactly one event without throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        const e = parseSyslog(b, ctx);
        expect(["syslog.message", "syslog.unparsed"]).toContain(e.type);
        expect(e.data.remoteIp).toBe("192.0.2.7");
        if (e.type === "syslog.unparsed") {
          expect(e.data.message).toBe(b.toString("utf8").replace(/[\r\n]+$/, ""));
          expect(typeof e.data.parseError).toBe("string");
        }
        if (e.createdAt !== undefined) expect(e.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(() => JSON.stringify(e)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it("survives syslog-shaped noise (mutated valid messages)", () => {
    const base = Buffer.from('<165>1 2003-10-11T22:14:15.003Z host app 12 ID [a@1 x="1\\"" y="2"][b z="3"] \uFEFFmsg');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(base.length), (edits, cut) => {
        const b = Buffer.from(base.subarray(0, cut));
        for (const [i, v] of edits) if (i < b.length) b[i] = v;
        const e = parseSyslog(b, ctx);
        expect(["syslog.message", "syslog.unparsed"]).toContain(e.type);
      }),
      { numRuns: 3000 },
    );
  });

  it("decodes any field range of any bytes as decoding it alone would (Text)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.nat(), (bytes, x, y) => {
        const b = Buffer.from(bytes);
        const t = new Text(b, 0, b.length);
        const from = b.length === 0 ? 0 : x % (b.length + 1);
        const to = from + (b.length - from === 0 ? 0 : y % (b.length - from + 1));
        expect(t.get(from, to)).toBe(b.toString("utf8", from, to));
        expect(t.tail(from)).toBe(b.toString("utf8", from));
      }),
      { numRuns: 3000 },
    );
  });

  // The receive thread scans the frames of a batch (one buffer, one Tokens) and the main thread
  // builds them: that must give what parsing each frame alone gives, and fall back for exactly
  // the frames that are not RFC 5424 messages.
  const mutated = fc.tuple(fc.constantFrom(
    '<165>1 2003-10-11T22:14:15.003Z host app 12 ID [a@1 x="1\\"" y="2"][b z="3"] \uFEFFmsg',
    "<34>1 2003-10-11T22:14:15.003+02:00 h su - ID47 [x a=\"1\" a=\"2\" b=\"3\"][x a=\"4\"] m\u00e9ssage",
    "<13>Nov 25 12:00:00 host tag[1]: a 3164 line",
  ), fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat(90)).map(([line, edits, cut]) => {
    const b = Buffer.from(Buffer.from(line).subarray(0, Math.max(1, cut)));
    for (const [i, v] of edits) if (i < b.length) b[i] = v;
    return b;
  });
  const frame = fc.oneof(message5424.map((m) => Buffer.from(`<${m.pri}>1 - ${m.hostname ?? "-"} - - ${m.msgId ?? "-"} ${m.sd === undefined ? "-" : Object.entries(m.sd).map(([id, ps]) => `[${id}${Object.entries(ps).map(([k, v]) => ` ${k}="${escape(v)}"`).join("")}]`).join("")} ${m.message ?? ""}`)), mutated, fc.uint8Array({ maxLength: 60 }).map((u) => Buffer.from(u)));

  it("scanned in a batch and built apart, every frame is the event parsing it alone gives", () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 8 }), fc.nat(16), (frames, pad) => {
        const batch = Buffer.concat([Buffer.alloc(pad, 0x41), ...frames]);
        const tokens = new Tokens();
        const at: (number | undefined)[] = [];
        let start = pad;
        for (const f of frames) {
          const o = tokens.n;
          at.push(scanFrame(batch, start, start + f.length, UTC, tokens) ? o : undefined);
          start += f.length;
        }
        frames.forEach((f, i) => {
          const alone = parseSyslog(f, ctx);
          const o = at[i];
          const rfc5424 = alone.type === "syslog.message" && alone.data.version !== undefined;
          expect(o !== undefined).toBe(rfc5424);
          if (o === undefined) return;
          const t = new Text(batch, tokens.a[o + REC.START], tokens.a[o + REC.END]);
          expect(buildRfc5424(t, tokens.a, o, tokens.ms, ctx)).toEqual(alone);
        });
      }),
      { numRuns: 1500 },
    );
  });

  it("keeps the raw text of an unparsed frame", () => {
    const e = unparsedFrame(Buffer.from("garbage\r\n"), "why", ctx, true);
    expect(e).toEqual({ type: "syslog.unparsed", data: { message: "garbage", parseError: "why", remoteIp: "192.0.2.7", truncated: true } });
  });
});
