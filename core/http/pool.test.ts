import { describe, expect, it } from "vitest";
import { createServer } from "node:net";
import pino from "pino";
import { HttpServerPool } from "./pool.js";

const log = pino({ level: "silent" });

describe("HttpServerPool", () => {
  it("gives two components on one address the same fastify instance, listening once", async () => {
    const pool = new HttpServerPool(log);
    const a = await pool.forComponent("sources.hooks").server("127.0.0.1:0");
    const b = await pool.forComponent("sinks.live").server("127.0.0.1:0");
    expect(a.app).not.toBe(b.app); // port 0 is never shared: each asks for its own free port
    const pool2 = new HttpServerPool(log);
    const free = await freePort();
    const c = await pool2.forComponent("sources.hooks").server(`127.0.0.1:${free}`);
    const d = await pool2.forComponent("sinks.live").server(`127.0.0.1:${free}`);
    expect(c.app).toBe(d.app);
    c.app.get("/a", async () => ({ from: "a" }));
    d.app.get("/b", async () => ({ from: "b" }));
    expect(await pool2.listenAll()).toEqual([]);
    expect(c.url()).toBe(`http://127.0.0.1:${free}`);
    expect(await (await fetch(`${c.url()}/b`)).json()).toEqual({ from: "b" });
    const missing = await fetch(`${c.url()}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "not found", details: "no route for GET /nope" });
    await pool.closeAll();
    await pool2.closeAll();
  });

  it("reports an address in use at every owner's option path", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    const pool = new HttpServerPool(log);
    await pool.forComponent("sinks.live").server(`127.0.0.1:${port}`);
    expect(await pool.listenAll()).toEqual([{ path: ["sinks", "live", "address"], message: `127.0.0.1:${port} is already in use` }]);
    await pool.closeAll();
    blocker.close();
  });

  it("rejects a malformed address and unreadable TLS files as option problems", async () => {
    const pool = new HttpServerPool(log);
    await expect(pool.forComponent("sinks.live").server("localhost")).rejects.toMatchObject({ problems: [{ path: ["address"] }] });
    await expect(pool.forComponent("sinks.live").server("127.0.0.1:0", { tls: { cert: "/nonexistent/c.pem", key: "/nonexistent/k.pem" } })).rejects.toMatchObject({
      problems: [
        { path: ["tls", "cert"], message: expect.stringContaining("ENOENT") },
        { path: ["tls", "key"], message: expect.stringContaining("ENOENT") },
      ],
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
