import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../core/kit.js";
import { freePort } from "../../core/testing.js";
import { livetap, tempDir, writeConfig } from "./harness.js";


// `tap` and `hash-password` come from the sse sink's definition; the CLI only registers them.
describe("commands contributed by plugins", () => {
  it("livetap tap prints a running sse sink's events as JSON lines and exits 0 on Ctrl-C", async () => {
    const dir = tempDir();
    const port = await freePort();
    const config = writeConfig(dir, {
      sources: { demo: { type: "demo", rate: 200, seed: 3 } },
      sinks: { live: { type: "sse", inputs: ["demo"], address: `127.0.0.1:${port}` } },
    });
    const server = livetap(["run", "--config", config]);
    try {
      await server.waitFor("press Ctrl-C to stop", 20_000, "stderr");
      const tap = livetap(["tap", `http://127.0.0.1:${port}`, "--type", "smtp.*"]);
      await tap.waitFor(/\n/, 20_000, "stdout");
      tap.child.kill("SIGINT");
      expect(await tap.exited).toBe(0);
      const first = JSON.parse(tap.stdout().split("\n")[0]) as { type: string; id: string };
      expect(first.type).toMatch(/^smtp\./);
      expect(tap.stderr()).toContain(`connected to http://127.0.0.1:${port}/api/telemetry/traces/live?type=smtp.*`);
    } finally {
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    }
  });

  it("livetap tap keeps its help and its usage errors", async () => {
    const help = livetap(["tap", "--help"]);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toMatch(/^Usage: livetap tap \[options\] <url>\n/);
    expect(help.stdout()).toContain("--token <token>       send Authorization: Bearer <token> (env: LIVETAP_TOKEN)");
    expect(help.stdout()).toContain("Any other --KEY VALUE is a data key filter");

    const bad = livetap(["tap", "http://127.0.0.1:1", "--domain"]);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toBe("error: --domain needs a value (key filter: --domain VALUE)\n");
    const missing = livetap(["tap"]);
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toBe("error: missing required argument 'url'\n");
  });

  it("livetap hash-password prints the hash of one piped line", async () => {
    const r = livetap(["hash-password"], { input: "correct horse\n" });
    expect(await r.exited).toBe(0);
    expect(await verifyPassword("correct horse", r.stdout().trim())).toBe(true);
  });

  it("offers the commands of a config's `plugins` modules when --config names it, and keeps taken names", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "greeter.mjs"),
      `class Nothing { async consume() {} }
       const command = (name) => ({
         name,
         description: "says hello",
         arguments: [{ name: "<who>", description: "whom to greet" }],
         options: [{ flags: "--shout", description: "in capitals" }],
         action: async (ctx) => {
           const text = "hello " + ctx.args[0];
           ctx.stdout.write((ctx.options.shout ? text.toUpperCase() : text) + "\\n");
           return 7;
         },
       });
       export default { kind: "sink", type: "greeter", description: "greets", options: { type: "object" }, plugin: Nothing,
                        commands: [command("greet"), command("tap")] };\n`,
    );
    const config = writeConfig(dir, { plugins: ["./greeter.mjs"], sources: { demo: { type: "demo" } }, sinks: { out: { type: "greeter", inputs: ["demo"] } } });

    const r = livetap(["greet", "world", "--shout", "--config", config]);
    expect(await r.exited).toBe(7);
    expect(r.stdout()).toBe("HELLO WORLD\n");
    expect(r.stderr()).toBe('livetap: warning: command "tap" of the sink plugin "greeter" is not available: the name is taken\n');

    const help = livetap(["--help"]);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).not.toContain("greet");
  });
});
