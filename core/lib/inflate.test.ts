import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inflateBody } from "./inflate.js";

const text = Buffer.from('{"type":"app.login","user":"ada"}\n'.repeat(100));

describe("inflateBody", () => {
  it.each([
    ["gzip", gzipSync(text)],
    ["x-gzip", gzipSync(text)],
    [" GZip ", gzipSync(text)],
    ["deflate", deflateSync(text)],
    ["deflate", deflateRawSync(text)], // the raw stream some senders use
    ["identity", text],
    ["", text],
    [undefined, text],
  ])("decodes Content-Encoding %j", async (coding, body) => {
    expect(await inflateBody(body, coding, 1024 * 1024)).toEqual({ ok: true, body: text });
  });

  it("decodes every byte sequence gzip and deflate encode (round trip)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.constantFrom("gzip", "deflate"), async (bytes, coding) => {
        const plain = Buffer.from(bytes);
        const encoded = coding === "gzip" ? gzipSync(plain) : deflateSync(plain);
        expect(await inflateBody(encoded, coding, 4096)).toEqual({ ok: true, body: plain });
      }),
      { numRuns: 200 },
    );
  });

  it("applies the bound to the decoded size: a 1 MiB bomb is 413 however small it travels", async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const r = await inflateBody(bomb, "gzip", 1024 * 1024);
    expect(r).toEqual({ ok: false, status: 413, error: "body too large", details: "the decoded body is larger than maxBodyBytes (1048576 bytes)" });
  });

  it("accepts a decoded body of exactly the bound, refuses one byte more", async () => {
    const exact = Buffer.alloc(5000, 1);
    expect((await inflateBody(gzipSync(exact), "gzip", 5000)).ok).toBe(true);
    expect(await inflateBody(gzipSync(Buffer.alloc(5001, 1)), "gzip", 5000)).toMatchObject({ ok: false, status: 413 });
    expect(await inflateBody(Buffer.alloc(5001), undefined, 5000)).toMatchObject({ ok: false, status: 413 });
  });

  it("refuses a plain body labelled gzip, and a truncated one, as malformed", async () => {
    expect(await inflateBody(text, "gzip", 1 << 20)).toMatchObject({ ok: false, status: 400, error: "malformed body", details: expect.stringMatching(/^the body is not valid gzip data/) });
    const cut = gzipSync(text).subarray(0, 20);
    expect(await inflateBody(cut, "gzip", 1 << 20)).toMatchObject({ ok: false, status: 400 });
    expect(await inflateBody(Buffer.from("plain text, not deflate"), "deflate", 1 << 20)).toMatchObject({ ok: false, status: 400 });
  });

  it("decodes concatenated gzip members (what `cat a.gz b.gz` sends)", async () => {
    const body = Buffer.concat([gzipSync(Buffer.from("a\n")), gzipSync(Buffer.from("b\n"))]);
    expect(await inflateBody(body, "gzip", 100)).toEqual({ ok: true, body: Buffer.from("a\nb\n") });
  });

  it.each(["br", "zstd", "compress", "gzip, identity", "x".repeat(500)])("answers 415 for Content-Encoding %j, naming what is supported", async (coding) => {
    const r = await inflateBody(text, coding, 1 << 20);
    expect(r).toMatchObject({ ok: false, status: 415, error: "unsupported content encoding", details: expect.stringMatching(/is not supported \(use gzip, deflate or none\)$/) });
    expect(!r.ok && r.details.length).toBeLessThan(120);
  });
});
