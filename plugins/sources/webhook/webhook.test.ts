import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstValueFrom, take, toArray, type Subscription } from "rxjs";
import { z } from "zod";
import { deflateSync, gzipSync } from "node:zlib";
import { type LiveEventInput, PluginProblems } from "../../../core/index.js";
import { createPlugin, freePort, type Services } from "../../../core/testing.js";
import webhook, { signBody, type WebhookSource } from "./index.js";
import { WebhookOptions } from "./options.js";

interface Running {
  source: WebhookSource;
  services: Services;
  url: string;
}

const running: Running[] = [];

async function startWebhook(options: Record<string, unknown> = {}, services: Partial<Services> = {}): Promise<Running> {
  const { plugin, services: s } = createPlugin(webhook, { address: "127.0.0.1:0", ...options }, services);
  const source = plugin as WebhookSource;
  await source.start!();
  expect(await s.http.listenAll()).toEqual([]);
  const r = { source, services: s, url: source.url()! };
  running.push(r);
  return r;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.services.http.closeAll()));
});

/** The next `n` events the source hands to the pipeline (subscribe before posting). */
const nextEvents = (source: WebhookSource, n: number): Promise<LiveEventInput[]> => firstValueFrom(source.events().pipe(take(n), toArray()));

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, method = "POST") {
  const res = await fetch(url, { method, body: method === "GET" || method === "HEAD" ? undefined : body, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}
const json = (url: string, value: unknown, headers: Record<string, string> = {}) =>
  post(url, JSON.stringify(value), { "content-type": "application/json", ...headers });

const counter = (s: Services, id: string) => s.metrics.counter(id).value;

/**
 * Proves a rejected request left nothing behind: a marker posted after it is the very next
 * event the pipeline gets (events keep their order), and nothing stays pending.
 */
async function expectNothingIngested(r: Running, next: Promise<LiveEventInput[]>): Promise<void> {
  expect((await json(r.url, { marker: true })).status).toBe(202);
  const [first] = await next;
  expect(first.data).toEqual({ marker: true, remoteIp: "127.0.0.1" });
  expect(r.source.pending).toBe(0);
}

describe("webhook source: content types", () => {
  it("ingests a JSON object: 202 {accepted: 1}, type and createdAt from the record, remoteIp added", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 1);
    const res = await json(r.url, { type: "app.login", createdAt: "2026-11-24T11:50:00.123Z", user: "ops", remoteIp: "10.9.9.9" });
    expect(res).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(await next).toEqual([{ type: "app.login", createdAt: "2026-11-24T11:50:00.123Z", data: { user: "ops", remoteIp: "127.0.0.1" } }]);
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ingest$/);
  });

  it("ingests a JSON array, in order, with the default type", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 3);
    expect(await json(r.url, [{ n: 1 }, { n: 2 }, { n: 3, type: 7 }])).toMatchObject({ status: 202, body: { accepted: 3 } });
    expect(await next).toEqual([
      { type: "webhook.event", data: { n: 1, remoteIp: "127.0.0.1" } },
      { type: "webhook.event", data: { n: 2, remoteIp: "127.0.0.1" } },
      { type: "webhook.event", data: { n: 3, type: 7, remoteIp: "127.0.0.1" } },
    ]);
  });

  it("uses the path, typeField, defaultType and timeFields options", async () => {
    const r = await startWebhook({ path: "/hooks/github", typeField: "event", defaultType: "github.event", timeFields: ["at"] });
    const next = nextEvents(r.source, 2);
    const body = [
      { event: "PushEvent", at: "2026-01-02T03:04:05.678+01:00", repo: "x" },
      { action: "opened", createdAt: "2026-01-02T03:04:05.678Z" },
    ];
    expect((await json(r.url, body)).status).toBe(202);
    expect(await next).toEqual([
      { type: "push-event", createdAt: "2026-01-02T02:04:05.678Z", data: { repo: "x", remoteIp: "127.0.0.1" } },
      { type: "github.event", data: { action: "opened", createdAt: "2026-01-02T03:04:05.678Z", remoteIp: "127.0.0.1" } },
    ]);
    expect(r.url.endsWith("/hooks/github")).toBe(true);
  });

  it("ingests NDJSON with a charset parameter, skipping blank lines", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 2);
    const res = await post(r.url, '{"type":"a.one","n":1}\r\n\r\n   \n{"n":2}\n', { "content-type": "application/x-ndjson; charset=utf-8" });
    expect(res).toMatchObject({ status: 202, body: { accepted: 2 } });
    expect(await next).toEqual([
      { type: "a.one", data: { n: 1, remoteIp: "127.0.0.1" } },
      { type: "webhook.event", data: { n: 2, remoteIp: "127.0.0.1" } },
    ]);
  });

  it("ingests text lines as { message }", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 2);
    const res = await post(r.url, "disk almost full\n\nbackup done ✓\n", { "content-type": "text/plain; charset=UTF-8" });
    expect(res).toMatchObject({ status: 202, body: { accepted: 2 } });
    expect(await next).toEqual([
      { type: "webhook.event", data: { message: "disk almost full", remoteIp: "127.0.0.1" } },
      { type: "webhook.event", data: { message: "backup done ✓", remoteIp: "127.0.0.1" } },
    ]);
  });
});

describe("webhook source: errors, each with {error, details} and nothing ingested", () => {
  it("400 for a malformed JSON body", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 1);
    const res = await post(r.url, '[{"a":1},{"b":', { "content-type": "application/json" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "bad request", details: expect.stringMatching(/^malformed JSON: /) });
    await expectNothingIngested(r, next);
    expect(counter(r.services, "webhook.rejected-400")).toBe(1);
  });

  it("400 for an empty body", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 1);
    for (const ct of ["application/json", "application/x-ndjson", "text/plain"]) {
      expect(await post(r.url, "", { "content-type": ct })).toEqual({
        status: 400,
        headers: expect.anything(),
        body: { error: "bad request", details: "empty body: nothing to ingest" },
      });
    }
    expect((await post(r.url, "\n \r\n", { "content-type": "text/plain" })).status).toBe(400);
    await expectNothingIngested(r, next);
  });

  it("400 naming the 1-based NDJSON line, and none of the good lines before it ingested", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 1);
    const res = await post(r.url, '{"n":1}\n\n{"n":2}\n{"n":3,}\n{"n":5}\n', { "content-type": "application/x-ndjson" });
    expect(res).toMatchObject({ status: 400, body: { error: "bad request", line: 4, details: expect.stringMatching(/^line 4: malformed JSON/) } });
    const notObject = await post(r.url, '{"n":1}\n"text"\n', { "content-type": "application/x-ndjson" });
    expect(notObject.body).toEqual({ error: "bad request", details: "line 2 is a string, not a JSON object", line: 2 });
    await expectNothingIngested(r, next);
  });

  it("400 for a JSON array holding a non-object", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 1);
    expect((await json(r.url, [{ a: 1 }, [2]])).body).toEqual({ error: "bad request", details: "body[1] is an array, not a JSON object" });
    await expectNothingIngested(r, next);
  });

  it("401 without or with a wrong bearer token, with a Bearer challenge", async () => {
    const token = "t0ken-for-the-tests-0123456789";
    const r = await startWebhook({ auth: { bearer: ["another-token-abcdefghijkl", token] } });
    const next = nextEvents(r.source, 1);
    const missing = await json(r.url, { a: 1 });
    expect(missing).toMatchObject({ status: 401, body: { error: "unauthorized", details: "missing Authorization: Bearer <token>" } });
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="livetap"');
    const wrong = await json(r.url, { a: 1 }, { authorization: `Bearer ${token}x` });
    expect(wrong).toMatchObject({ status: 401, body: { details: "bearer token not accepted" } });
    expect((await json(r.url, { a: 1 }, { authorization: `Basic ${token}` })).status).toBe(401);
    expect(counter(r.services, "webhook.rejected-401")).toBe(3);
    const ok = await json(r.url, { marker: true }, { authorization: `Bearer ${token}` });
    expect(ok).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect((await next)[0].data).toEqual({ marker: true, remoteIp: "127.0.0.1" });
  });

  it("401 for a missing, malformed or wrong HMAC signature; 202 for the right one over the raw bytes", async () => {
    const secret = "s3cret-shared-with-the-sender";
    const r = await startWebhook({ auth: { hmac: { secret } } });
    const next = nextEvents(r.source, 1);
    const body = '{"action":"opened", "n": 1}';
    const headers = { "content-type": "application/json" };
    expect(await post(r.url, body, headers)).toMatchObject({
      status: 401,
      body: { error: "unauthorized", details: "missing x-signature-256: sha256=<hex HMAC-SHA256 of the body>" },
    });
    expect((await post(r.url, body, { ...headers, "x-signature-256": "sha1=abc" })).body?.details).toMatch(/^malformed x-signature-256/);
    expect((await post(r.url, body, { ...headers, "x-signature-256": signBody("wrong-secret-xxxxxxxx", body) })).status).toBe(401);
    // Signed over other bytes (the same JSON re-serialised) is not the same signature.
    expect((await post(r.url, body, { ...headers, "x-signature-256": signBody(secret, JSON.stringify(JSON.parse(body))) })).body).toEqual({
      error: "unauthorized",
      details: "x-signature-256 does not match the body",
    });
    const ok = await post(r.url, body, { ...headers, "x-signature-256": signBody(secret, body) });
    expect(ok).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect((await next)[0].data).toEqual({ action: "opened", n: 1, remoteIp: "127.0.0.1" });
    expect(counter(r.services, "webhook.rejected-401")).toBe(4);
  });

  it("HMAC in GitHub's header, uppercase hex accepted; with bearer too, either credential passes", async () => {
    const secret = "s3cret-shared-with-github";
    const token = "t0ken-for-scripts-0123456789";
    const r = await startWebhook({ auth: { bearer: [token], hmac: { secret, header: "X-Hub-Signature-256" } } });
    const next = nextEvents(r.source, 2);
    const body = "line from a script";
    const headers = { "content-type": "text/plain" };
    expect((await post(r.url, body, { ...headers, "x-hub-signature-256": signBody(secret, body).toUpperCase().replace("SHA256", "sha256") })).status).toBe(202);
    expect((await post(r.url, body, { ...headers, authorization: `Bearer ${token}` })).status).toBe(202);
    const neither = await post(r.url, body, headers);
    expect(neither).toMatchObject({ status: 401, body: { details: "missing Authorization: Bearer <token>; missing x-hub-signature-256: sha256=<hex HMAC-SHA256 of the body>" } });
    expect(await next).toHaveLength(2);
  });

  it("404 for other paths, from the shared server", async () => {
    const r = await startWebhook();
    const res = await json(r.url.replace(/\/ingest$/, "/other"), { a: 1 });
    expect(res).toMatchObject({ status: 404, body: { error: "not found", details: "no route for POST /other" } });
    expect((await json(`${r.url}/deeper`, { a: 1 })).status).toBe(404);
  });

  it("405 with Allow: POST for other methods on the path", async () => {
    const r = await startWebhook();
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const res = await post(r.url, "{}", { "content-type": "application/json" }, method);
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(res.body).toEqual({ error: "method not allowed", details: `${method} is not allowed on /ingest: POST events to it` });
    }
    const head = await fetch(r.url, { method: "HEAD" });
    expect(head.status).toBe(405);
    expect(counter(r.services, "webhook.rejected-405")).toBe(5);
  });

  it("413 over maxBodyBytes, by Content-Length or while streaming, nothing ingested", async () => {
    const r = await startWebhook({ maxBodyBytes: 1024 });
    const next = nextEvents(r.source, 2);
    const big = JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ i, pad: "xxxxxxxxxx" })));
    expect(big.length).toBeGreaterThan(1024);
    const res = await post(r.url, big, { "content-type": "application/json" });
    expect(res).toMatchObject({ status: 413, body: { error: "payload too large", details: "body is over maxBodyBytes (1024 bytes): send smaller batches" } });
    // Chunked: no Content-Length, the limit is hit while reading.
    const chunked = await rawRequest(r.url, { method: "POST", headers: { "content-type": "application/x-ndjson", "transfer-encoding": "chunked" } }, [
      '{"a":1}\n'.repeat(100),
      '{"a":2}\n'.repeat(100),
    ]);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: "payload too large" });
    // Exactly the limit is fine.
    const exact = `{"pad":"${"y".repeat(1024 - 10)}"}`;
    expect(Buffer.byteLength(exact)).toBe(1024);
    expect((await post(r.url, exact, { "content-type": "application/json" })).status).toBe(202);
    expect((await json(r.url, { marker: true })).status).toBe(202);
    const [first, second] = await next;
    expect(first.data.pad).toHaveLength(1024 - 10);
    expect(second.data).toEqual({ marker: true, remoteIp: "127.0.0.1" });
    expect(counter(r.services, "webhook.rejected-413")).toBe(2);
  });

  it("415 for other, missing or malformed content types and unknown charsets", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 1);
    const xml = await post(r.url, "<a/>", { "content-type": "application/xml" });
    expect(xml).toMatchObject({
      status: 415,
      body: { error: "unsupported media type", details: 'content-type "application/xml" is not accepted: send application/json, application/x-ndjson or text/plain' },
    });
    const missing = await post(r.url, Buffer.from('{"a":1}'));
    expect(missing).toMatchObject({ status: 415, body: { details: "missing content-type: send application/json, application/x-ndjson or text/plain" } });
    expect((await post(r.url, Buffer.alloc(0))).status).toBe(415);
    expect((await post(r.url, "{}", { "content-type": "garbage" })).status).toBe(415);
    expect((await post(r.url, "x", { "content-type": "text/plain; charset=x-unknown" })).body).toMatchObject({ details: 'charset "x-unknown" is not supported: send UTF-8' });
    expect(counter(r.services, "webhook.rejected-415")).toBe(5);
    await expectNothingIngested(r, next);
  });

  it("counts every request and every rejection by status", async () => {
    const r = await startWebhook();
    await json(r.url, { a: 1 });
    await post(r.url, "{", { "content-type": "application/json" });
    await post(r.url, "x", { "content-type": "image/png" });
    await post(r.url, "", {}, "GET");
    const ids = Object.fromEntries(r.services.metrics.snapshot((id) => id.startsWith("webhook.")).map((m) => [m.id, "value" in m ? m.value : m.count]));
    expect(ids).toMatchObject({
      "webhook.requests": 4,
      "webhook.events": 1,
      "webhook.rejected": 3,
      "webhook.rejected-400": 1,
      "webhook.rejected-415": 1,
      "webhook.rejected-405": 1,
      "webhook.rejected-429": 0,
      "webhook.pending": 1,
    });
  });
});

describe("webhook source: Content-Encoding", () => {
  const records = '{"type":"app.a","n":1}\n{"type":"app.b","n":2}\n';

  it("decodes gzip and deflate bodies", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 4);
    for (const [coding, body] of [["gzip", gzipSync(records)], ["deflate", deflateSync(records)]] as const) {
      const res = await post(r.url, body, { "content-type": "application/x-ndjson", "content-encoding": coding });
      expect(res, coding).toMatchObject({ status: 202, body: { accepted: 2 } });
    }
    expect((await next).map((e) => e.type)).toEqual(["app.a", "app.b", "app.a", "app.b"]);
  });

  it("400 for a plain body labelled gzip, 415 for other codings, nothing ingested", async () => {
    const r = await startWebhook();
    const next = nextEvents(r.source, 1);
    const labelled = await post(r.url, records, { "content-type": "application/x-ndjson", "content-encoding": "gzip" });
    expect(labelled).toMatchObject({ status: 400, body: { error: "bad request", details: expect.stringMatching(/^the body is not valid gzip data/) } });
    const br = await post(r.url, records, { "content-type": "application/x-ndjson", "content-encoding": "br" });
    expect(br).toMatchObject({ status: 415, body: { details: 'Content-Encoding "br" is not supported (use gzip, deflate or none)' } });
    await expectNothingIngested(r, next);
  });

  it("413 when the decoded body is over maxBodyBytes, however small it travelled", async () => {
    const r = await startWebhook({ maxBodyBytes: 64 * 1024 });
    const next = nextEvents(r.source, 1);
    const bomb = gzipSync(`${'{"pad":"'}${"x".repeat(10 * 1024 * 1024)}"}`);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await post(r.url, bomb, { "content-type": "application/json", "content-encoding": "gzip" });
    expect(res).toMatchObject({ status: 413, body: { details: "the decoded body is larger than maxBodyBytes (65536 bytes)" } });
    await expectNothingIngested(r, next);
  });

  it("checks the HMAC over the bytes as sent (compressed)", async () => {
    const secret = "hmac-secret-0123456789";
    const r = await startWebhook({ auth: { hmac: { secret } } });
    const body = gzipSync(records);
    const ok = await post(r.url, body, { "content-type": "application/x-ndjson", "content-encoding": "gzip", "x-signature-256": signBody(secret, body) });
    expect(ok.status).toBe(202);
    const overPlain = await post(r.url, body, { "content-type": "application/x-ndjson", "content-encoding": "gzip", "x-signature-256": signBody(secret, Buffer.from(records)) });
    expect(overPlain.status).toBe(401);
  });
});

describe("webhook source: back-pressure (429) and drain (503)", () => {
  it("a burst over maxPendingEvents gets 429 + Retry-After, nothing of those ingested, and recovers once the pipeline catches up", async () => {
    const r = await startWebhook({ maxPendingEvents: 10 });
    // The consumer is paused (not subscribed), so nothing is taken and the count is exact.
    const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => json(r.url, [{ i, part: 1 }, { i, part: 2 }])));
    const accepted = burst.filter((b) => b.status === 202);
    const refused = burst.filter((b) => b.status === 429);
    expect(accepted).toHaveLength(5);
    expect(refused).toHaveLength(20);
    for (const b of refused) {
      expect(b.headers.get("retry-after")).toBe("1");
      expect(b.body).toEqual({ error: "too many requests", details: expect.stringContaining("maxPendingEvents (10)") });
    }
    expect(r.source.pending).toBe(10);
    expect(r.services.metrics.gauge("webhook.pending").value).toBe(10);
    expect(counter(r.services, "webhook.rejected-429")).toBe(20);
    // Even one event more is refused while the queue is full.
    expect((await json(r.url, { one: "more" })).status).toBe(429);

    // The consumer resumes and takes the backlog: exactly the accepted requests' events, whole.
    const backlog = await nextEvents(r.source, 10);
    expect(r.source.pending).toBe(0);
    const byRequest = new Map<unknown, unknown[]>();
    for (const e of backlog) byRequest.set(e.data.i, [...(byRequest.get(e.data.i) ?? []), e.data.part]);
    expect([...byRequest.values()]).toEqual(Array(5).fill([1, 2]));

    // Caught up: posts are accepted again.
    const next = nextEvents(r.source, 1);
    expect(await json(r.url, { after: true })).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect((await next)[0].data).toEqual({ after: true, remoteIp: "127.0.0.1" });
    expect(r.services.metrics.gauge("webhook.pending").value).toBe(0);
  });

  it("a subscribed consumer keeps the queue empty; pausing it fills the queue to 429, resuming drains it", async () => {
    const r = await startWebhook({ maxPendingEvents: 3 });
    const got: unknown[] = [];
    let consumer: Subscription = r.source.events().subscribe((e) => got.push(e.data.n));
    const wait = () => firstValueFrom(r.source.events().pipe(take(1)));
    for (let n = 0; n < 6; n++) {
      const w = wait();
      expect((await json(r.url, { n })).status).toBe(202);
      await w;
    }
    consumer.unsubscribe(); // pause
    const statuses = [];
    for (let n = 6; n < 11; n++) statuses.push((await json(r.url, { n })).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    const w = firstValueFrom(r.source.events().pipe(take(3), toArray()));
    consumer = r.source.events().subscribe((e) => got.push(e.data.n)); // resume
    await w;
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await json(r.url, { n: 11 })).status).toBe(202);
    consumer.unsubscribe();
  });

  it("with HMAC auth, a full queue is checked after the signature", async () => {
    const secret = "s3cret-shared-with-the-sender";
    const r = await startWebhook({ maxPendingEvents: 1, auth: { hmac: { secret } } });
    const body = '{"a":1}';
    const signed = { "content-type": "application/json", "x-signature-256": signBody(secret, body) };
    expect((await post(r.url, body, signed)).status).toBe(202);
    expect((await post(r.url, body, { "content-type": "application/json" })).status).toBe(401);
    const full = await post(r.url, body, signed);
    expect(full).toMatchObject({ status: 429, body: { details: expect.stringContaining("1 accepted events are waiting") } });
    expect(full.headers.get("retry-after")).toBe("1");
  });

  it("an empty queue takes a batch of exactly maxPendingEvents, then refuses until it is taken", async () => {
    // (Until CONTRACT 5 gained the 413 rule, an empty queue took any batch, however large.)
    const r = await startWebhook({ maxPendingEvents: 3 });
    expect(await json(r.url, [{ a: 1 }, { a: 2 }, { a: 3 }])).toMatchObject({ status: 202, body: { accepted: 3 } });
    expect((await json(r.url, { a: 4 })).status).toBe(429);
    await nextEvents(r.source, 3);
    expect((await json(r.url, { a: 4 })).status).toBe(202);
  });

  it("413 for one request holding more events than maxPendingEvents, saying the limit and the count", async () => {
    const r = await startWebhook({ maxPendingEvents: 10_000, maxBodyBytes: 8 * 1024 * 1024 });
    const next = nextEvents(r.source, 1);
    const ndjson = '{"n":1}\n'.repeat(300_000);
    const res = await post(r.url, ndjson, { "content-type": "application/x-ndjson" });
    expect(res).toMatchObject({
      status: 413,
      body: { error: "payload too large", details: "the request holds 300000 events, more than maxPendingEvents (10000) can ever hold: send at most 10000 per request" },
    });
    const text = await post(r.url, "line\n\n".repeat(10_001), { "content-type": "text/plain" });
    expect(text.body).toMatchObject({ details: expect.stringMatching(/^the request holds 10001 events, more than maxPendingEvents \(10000\)/) });
    const array = await json(r.url, Array.from({ length: 10_002 }, () => ({})));
    expect(array.body).toMatchObject({ details: expect.stringMatching(/^the request holds 10002 events/) });
    expect(counter(r.services, "webhook.rejected-413")).toBe(3);
    await expectNothingIngested(r, next);
  });

  it("drain(): new posts get 503 + Retry-After, queued events reach the pipeline, then it completes", async () => {
    const r = await startWebhook();
    expect((await json(r.url, [{ n: 1 }, { n: 2 }])).status).toBe(202);
    r.source.drain!();
    const res = await json(r.url, { n: 3 });
    expect(res).toMatchObject({ status: 503, body: { error: "service unavailable" } });
    expect(res.headers.get("retry-after")).toBe("5");
    const all = await firstValueFrom(r.source.events().pipe(toArray()));
    expect(all.map((e) => e.data.n)).toEqual([1, 2]);
    expect(counter(r.services, "webhook.rejected-503")).toBe(1);
  });
});

describe("webhook source: startup, sharing and TLS", () => {
  it("refuses a non-loopback address without auth, saying so at the address option", async () => {
    const { plugin } = createPlugin(webhook, { address: "0.0.0.0:8081" });
    const err = await (plugin as WebhookSource).start!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginProblems);
    expect((err as PluginProblems).problems).toEqual([
      {
        path: ["address"],
        message:
          '"0.0.0.0:8081" is not a loopback address, so posts need credentials: set auth.bearer or auth.hmac, or "auth": "none" to accept unauthenticated posts from anyone who can reach it',
      },
    ]);
  });

  it('starts on a non-loopback address with auth, or with "auth": "none"', async () => {
    for (const auth of ["none", { bearer: ["a-long-enough-token-123"] }]) {
      // start() only registers routes; nothing listens until listenAll (not called here).
      const { plugin, services } = createPlugin(webhook, { address: "0.0.0.0:0", auth });
      await expect((plugin as WebhookSource).start!()).resolves.toBeUndefined();
      await services.http.closeAll();
    }
  });

  it("listens on IPv6 loopback", async () => {
    const r = await startWebhook({ address: "[::1]:0" });
    expect(r.url).toMatch(/^http:\/\/\[::1\]:\d+\/ingest$/);
    const next = nextEvents(r.source, 1);
    expect((await post(r.url, "hello", { "content-type": "text/plain" })).status).toBe(202);
    expect((await next)[0].data).toEqual({ message: "hello", remoteIp: "::1" });
  });

  it("starts, subscribes, unsubscribes and closes (the conformance cycle), twice on one address", async () => {
    const { plugin, services } = createPlugin(webhook, { address: "127.0.0.1:0" });
    const source = plugin as WebhookSource;
    await source.start!();
    expect(await services.http.listenAll()).toEqual([]);
    source.events().subscribe().unsubscribe();
    await services.http.closeAll();
    await services.http.closeAll();
    expect(source.pending).toBe(0);
  });

  it("shares its address with another component without touching that component's routes", async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const { services } = createPlugin(webhook, {});
    // Another component (as an SSE sink would) on the same address, with fastify's default JSON parser.
    const other = await services.http.forComponent("sinks.live").server(address);
    void other.app.register(async (scope) => {
      scope.post("/echo", async (req) => ({ got: req.body }));
      scope.get("/hooks", async () => ({ status: "ok" }));
    });
    // Two webhooks on that server, the second on a path whose GET the other component serves.
    const start = async (o: Record<string, unknown>): Promise<Running> => {
      const source = createPlugin(webhook, { address, ...o }, services).plugin as WebhookSource;
      await source.start!();
      return { source, services, url: `http://${address}${(o.path as string | undefined) ?? "/ingest"}` };
    };
    const r = await start({});
    const hooks = await start({ path: "/hooks" });
    running.push(r);
    expect(await services.http.listenAll()).toEqual([]);
    expect(r.source.url()).toBe(r.url);
    expect(await json(hooks.url, { via: "hooks" })).toMatchObject({ status: 202 });
    expect(await post(hooks.url, "", {}, "GET")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect((await post(hooks.url, "", {}, "PUT")).status).toBe(405);
    expect(hooks.source.pending).toBe(1);
    const next = nextEvents(r.source, 1);
    expect((await json(r.url, { a: 1 })).status).toBe(202);
    expect((await next)[0].data).toEqual({ a: 1, remoteIp: "127.0.0.1" });
    const echo = await json(`http://${address}/echo`, { x: [1] });
    expect(echo).toMatchObject({ status: 200, body: { got: { x: [1] } } });
    // The other component's errors keep the pool's handler (our 413/415 wording is ours only).
    expect((await post(`http://${address}/echo`, "{", { "content-type": "application/json" })).status).toBe(400);
    expect((await json(`http://${address}/nothing`, {})).status).toBe(404);
  });

  describe("with TLS", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "livetap-webhook-tls-"));
      execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "1", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem")],
        { stdio: "ignore" },
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("serves HTTPS with the given cert and key", async () => {
      const r = await startWebhook({ tls: { cert: join(dir, "c.pem"), key: join(dir, "k.pem") } });
      expect(r.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/ingest$/);
      const next = nextEvents(r.source, 1);
      const res = await rawRequest(r.url, { method: "POST", headers: { "content-type": "application/json" }, ca: readFileSync(join(dir, "c.pem")) }, ['{"secure":true}']);
      expect(res).toMatchObject({ status: 202, body: '{"accepted":1}' });
      expect((await next)[0].data).toEqual({ secure: true, remoteIp: "127.0.0.1" });
    });

    it("reports an unreadable cert at its option path", async () => {
      const { plugin } = createPlugin(webhook, { address: "127.0.0.1:0", tls: { cert: join(dir, "missing.pem"), key: join(dir, "k.pem") } });
      const err = (await (plugin as WebhookSource).start!().catch((e: unknown) => e)) as PluginProblems;
      expect(err.problems).toEqual([{ path: ["tls", "cert"], message: expect.stringContaining("ENOENT") }]);
    });
  });
});

describe("webhook options", () => {
  it("has the documented defaults and describes every option", () => {
    expect(WebhookOptions.parse({})).toEqual({
      address: "127.0.0.1:8081",
      path: "/ingest",
      typeField: "type",
      defaultType: "webhook.event",
      timeFields: ["createdAt", "timestamp"],
      maxBodyBytes: 1024 * 1024,
      maxPendingEvents: 10_000,
      ack: "received",
      ackTimeoutMs: 10_000,
    });
    for (const [key, schema] of Object.entries(WebhookOptions.shape)) expect((schema as z.ZodType).description, key).toBeTruthy();
    // As the config's JSON Schema is generated: every property described there too.
    const json = z.toJSONSchema(WebhookOptions, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as { properties: Record<string, { description?: string }> };
    expect(Object.keys(json.properties).sort()).toEqual(Object.keys(WebhookOptions.shape).sort());
    for (const [key, prop] of Object.entries(json.properties)) expect(prop.description, key).toBeTruthy();
  });

  it("rejects bad values", () => {
    const bad = (o: Record<string, unknown>) => WebhookOptions.safeParse(o).success;
    expect(bad({ address: "8081" })).toBe(false);
    expect(bad({ path: "ingest" })).toBe(false);
    expect(bad({ path: "/a b" })).toBe(false);
    expect(bad({ path: "/hooks/:id" })).toBe(false);
    expect(bad({ defaultType: "Webhook Event" })).toBe(false);
    expect(bad({ maxBodyBytes: 10 })).toBe(false);
    expect(bad({ maxPendingEvents: 0 })).toBe(false);
    expect(bad({ auth: {} })).toBe(false);
    expect(bad({ auth: "off" })).toBe(false);
    expect(bad({ auth: { bearer: ["short"] } })).toBe(false);
    expect(bad({ auth: { bearer: ["has a space in it, long enough"] } })).toBe(false);
    expect(bad({ auth: { hmac: { secret: "" } } })).toBe(false);
    expect(bad({ auth: { hmac: { secret: "long-enough-secret-1", header: "bad header" } } })).toBe(false);
    expect(bad({ maxBodySize: 5 })).toBe(false);
    expect(WebhookOptions.parse({ auth: { hmac: { secret: "long-enough-secret-1" } } }).auth).toEqual({ hmac: { secret: "long-enough-secret-1", header: "x-signature-256" } });
  });
});

/** One request over node:http(s), the body written in the given pieces (tests TLS and chunked uploads). */
function rawRequest(url: string, opts: https.RequestOptions, pieces: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith("https:") ? https : http).request(url, opts, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The server may answer (413) and close before it read everything we send.
    req.on("error", (err) => ((err as NodeJS.ErrnoException).code === "EPIPE" || (err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(err)));
    for (const p of pieces) req.write(p);
    req.end();
  });
}

