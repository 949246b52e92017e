import type { Socket } from "node:net";
import { EventSource } from "eventsource";
import { afterEach, describe, expect, it } from "vitest";
import type { LiveEvent } from "../../../core/index.js";
import { createPlugin, defaultServices } from "../../../core/testing.js";
import sseDefinition from "./index.js";
import { eventMaker, runSink, type RunningSink } from "./test-support.js";
import { until } from "../../../test/support/until.js";

let running: RunningSink | undefined;
let es: EventSource | undefined;
afterEach(async () => {
  es?.close();
  await running?.close();
  running = undefined;
});

describe("reconnecting EventSource", () => {
  it("gets every matching event exactly once across a cut connection", async () => {
    // The sink's server, to cut its sockets: wrap the pool's facade to see what it hands out.
    const services = defaultServices();
    const sockets = new Set<Socket>();
    const forComponent = services.http.forComponent.bind(services.http);
    services.http.forComponent = (component) => ({
      server: async (address, opts) => {
        const bound = await forComponent(component).server(address, opts);
        bound.app.server.on("connection", (socket: Socket) => {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
        });
        return bound;
      },
    });
    const s = (running = await runSink(createPlugin(sseDefinition, { address: "127.0.0.1:0", batchWindowMs: 10 }, services)));
    const ev = eventMaker();
    const publish = (n: number): LiveEvent[] =>
      Array.from({ length: n }, (_, i) => {
        const e = ev(i % 3 === 0 ? "imap.login" : "smtp.message", { i });
        s.input.next(e);
        return e;
      });

    const received: string[] = [];
    let opens = 0;
    es = new EventSource(`${s.url}/api/telemetry/traces/live?type=smtp.*`);
    es.addEventListener("open", () => opens++);
    es.addEventListener("trace", (m) => {
      for (const e of JSON.parse(m.data) as LiveEvent[]) received.push(e.id);
    });
    await until(() => opens === 1 && s.services.metrics.gauge("sse.clients").value === 1, "the stream to open");

    const sent = publish(30);
    const matching = () => sent.filter((e) => e.type.startsWith("smtp.")).map((e) => e.id);
    await until(() => received.length === matching().length, "the first events");

    // Cut the connection from the server side, then keep publishing while the client is away
    // (some of these are written to the dying socket and lost: replay must resend them).
    for (const socket of sockets) socket.destroy();
    sent.push(...publish(30));
    await until(() => s.services.metrics.gauge("sse.clients").value === 0, "the server to see the client go");
    sent.push(...publish(30));

    // EventSource retries after its default delay (3 s) with Last-Event-ID.
    await until(() => opens === 2 && received.length >= matching().length, "the reconnect and replay", 15_000);
    sent.push(...publish(10));
    await until(() => received.length >= matching().length, "live events after the replay");
    expect(received).toEqual(matching());
  });
});
