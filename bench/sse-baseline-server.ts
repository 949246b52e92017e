/**
 * Baseline bench server for bench/sse.bench.ts (forked by it; not run by hand): the same
 * traces-stream shape as the `sse` sink with nothing but node:http. One JSON.stringify per
 * event (only when some client wants it), per-client matching by the same compiled predicate
 * (core/lib/filter/), and every 100 ms each client's pending events written as one
 * `event: trace` frame. No bounded queues, no backpressure handling, no stall detection, no
 * replay ring, no metrics: what the sink adds on top is what the ratio measures.
 */
import http from "node:http";
import type { LiveEvent } from "../core/event.js";
import type { Matcher } from "../core/lib/filter/matcher.js";
import { compileFilter, isFilterError } from "../core/lib/filter/query.js";
import { serveBench, TRACES_PATH } from "./sse-common.js";

const BATCH_MS = 100;

interface Client {
  res: http.ServerResponse;
  filter: Matcher;
  pending: string[];
  lastId: string;
}

const clients = new Set<Client>();
let written = 0;

const server = http.createServer((req, res) => {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  if ((q < 0 ? url : url.slice(0, q)) !== TRACES_PATH) {
    res.writeHead(404).end();
    return;
  }
  const filter = compileFilter(new URLSearchParams(q < 0 ? "" : url.slice(q + 1)));
  if (isFilterError(filter)) {
    res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify(filter));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
  res.write('event: ping\ndata: {"interval":30000}\n\n');
  const client: Client = { res, filter, pending: [], lastId: "" };
  clients.add(client);
  res.on("close", () => clients.delete(client));
  res.on("error", () => clients.delete(client));
});

function publish(event: LiveEvent): void {
  let json: string | undefined;
  for (const c of clients) {
    if (!c.filter.matchesAll && !c.filter.predicate(event)) continue;
    json ??= JSON.stringify(event);
    c.pending.push(json);
    c.lastId = event.id;
  }
}

const flusher = setInterval(() => {
  for (const c of clients) {
    if (c.pending.length === 0) continue;
    c.res.write(`id: ${c.lastId}\nevent: trace\ndata: [${c.pending.join(",")}]\n\n`);
    written += c.pending.length;
    c.pending = [];
  }
}, BATCH_MS);

server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  serveBench(
    {
      publish,
      counters: () => ({ written, clients: clients.size }),
      close: async () => {
        clearInterval(flusher);
        for (const c of clients) c.res.end();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      },
    },
    server,
    `http://127.0.0.1:${port}`,
  );
});
