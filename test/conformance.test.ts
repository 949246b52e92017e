import "reflect-metadata";
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { builtinPlugins } from "../plugins/index.js";
import { createPlugin } from "../core/testing.js";
import type { PluginDefinition } from "../core/plugin.js";

/** Options a plugin requires that cannot be derived from its schema's shape. */
const REQUIRED: Record<string, Record<string, unknown>> = {
  "operator sample": { rate: 10 },
  "operator throttle": { threshold: 10 },
  "operator metric": { counters: [{ id: "conformance.events" }] },
};

/** The smallest valid options of each built-in, on loopback port 0 and temp files. */
function minimalOptions(d: PluginDefinition, dir: string): Record<string, unknown> {
  const shape = (d.options as z.ZodObject).shape as Record<string, z.ZodType> | undefined;
  const o: Record<string, unknown> = { ...REQUIRED[`${d.kind} ${d.type}`] };
  if (shape?.address) o.address = "127.0.0.1:0";
  if (shape?.path) o.path = join(dir, `${d.type}.out`);
  if (shape?.include && d.kind === "source") o.include = [join(dir, "*.log")];
  return o;
}

// Benthos StreamTestOpenClose / OTel lifecycle tests: every plugin starts and stops cleanly,
// stop() is safe twice and without start().
describe.each(builtinPlugins.map((d) => [`${d.kind} ${d.type}`, d] as const))("%s", (_name, d) => {
  it("has a description and a described option schema", () => {
    expect(d.description.length).toBeGreaterThan(10);
    const json = z.toJSONSchema(d.options as z.ZodType, { io: "input" }) as { properties?: Record<string, { description?: string }> };
    for (const [key, prop] of Object.entries(json.properties ?? {})) expect(prop.description, `${d.type}.${key}`).toBeTruthy();
  });

  it("starts and stops, and stop() is safe twice and without start()", async () => {
    const dir = mkdtempSync(join(tmpdir(), "livetap-conf-"));
    const opts = minimalOptions(d, dir);
    const fresh = createPlugin(d, opts, { dataDir: dir });
    if (d.kind === "sink") {
      const sink = fresh.plugin as import("../core/plugin.js").Sink;
      await sink.stop?.();
      await sink.stop?.();
      const { plugin, services } = createPlugin(d, opts, { dataDir: dir });
      const started = plugin as import("../core/plugin.js").Sink;
      await started.start?.();
      await services.http.listenAll().then((problems) => expect(problems).toEqual([]));
      await started.stop?.();
      await started.stop?.();
      await services.http.closeAll();
    } else if (d.kind === "source") {
      const { plugin, services } = createPlugin(d, opts, { dataDir: dir });
      const source = plugin as import("../core/plugin.js").Source;
      await source.start?.();
      await services.http.listenAll().then((problems) => expect(problems).toEqual([]));
      const sub = source.events().subscribe({ error: () => undefined });
      sub.unsubscribe();
      await services.http.closeAll();
    } else {
      expect(typeof (fresh.plugin as import("../core/plugin.js").Operator).operator).toBe("function");
    }
  });
});
