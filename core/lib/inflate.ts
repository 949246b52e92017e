import { createGunzip, createInflate, type Gunzip, type Inflate } from "node:zlib";

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
  let stream: Gunzip | Inflate;
  if (coding === "gzip" || coding === "x-gzip") stream = createGunzip();
  else if (coding === "deflate") stream = createInflate();
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

function tooLarge(maxBytes: number): InflateResult {
  return { ok: false, status: 413, error: "body too large", details: `the decoded body is larger than maxBodyBytes (${maxBytes} bytes)` };
}
