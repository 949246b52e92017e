import { createGunzip, createInflate, createInflateRaw, type Gunzip, type Inflate, type InflateRaw } from "node:zlib";

/**
 * Decodes an HTTP body by its `Content-Encoding`, with a bound on the *decoded* size, so a
 * small compressed request cannot expand into gigabytes (a "zip bomb"). Shared by every HTTP
 * source (webhook, otlp). Decoding streams through zlib and stops as soon as the bound is
 * passed, so memory stays at most `maxBytes` plus one zlib chunk.
 */
export type InflateResult =
  | { ok: true; body: Buffer }
  | { ok: false; status: 413 | 415 | 400; error: string; details: string };

/** The codings accepted; `identity` (or no header) means the body is used as it is. */
export const SUPPORTED_ENCODINGS = ["gzip", "deflate", "identity"] as const;

export async function inflateBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<InflateResult> {
  const coding = (contentEncoding ?? "identity").trim().toLowerCase();
  if (coding === "" || coding === "identity") {
    if (body.length > maxBytes) return tooLarge(maxBytes);
    return { ok: true, body };
  }
  let stream: Gunzip | Inflate | InflateRaw;
  if (coding === "gzip" || coding === "x-gzip") stream = createGunzip();
  // RFC 9110 `deflate` is zlib-wrapped, but some senders send the raw stream; browsers and
  // curl accept both, told apart by the two-byte zlib header.
  else if (coding === "deflate") stream = hasZlibHeader(body) ? createInflate() : createInflateRaw();
  else
    return {
      ok: false,
      status: 415,
      error: "unsupported content encoding",
      details: `Content-Encoding ${JSON.stringify(coding.slice(0, 40))} is not supported (use gzip, deflate or none)`,
    };
  return new Promise<InflateResult>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (r: InflateResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(tooLarge(maxBytes));
        stream.destroy();
        return;
      }
      chunks.push(chunk);
    });
    stream.on("error", (err) =>
      finish({ ok: false, status: 400, error: "malformed body", details: `the body is not valid ${coding} data: ${err.message}` }),
    );
    stream.on("end", () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
    stream.end(body);
  });
}

/** RFC 1950: method 8 (deflate), and the header read as a big-endian number is a multiple of 31. */
function hasZlibHeader(body: Buffer): boolean {
  return body.length >= 2 && (body[0] & 0x0f) === 8 && ((body[0] << 8) | body[1]) % 31 === 0;
}

function tooLarge(maxBytes: number): InflateResult {
  return { ok: false, status: 413, error: "body too large", details: `the decoded body is larger than maxBodyBytes (${maxBytes} bytes)` };
}
