import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { Command } from "commander";
import { z } from "zod";
import { defineSink, type Sink } from "../plugin.js";
import type { CommandContext, PluginCommand } from "../command.js";
import { addPluginCommands, toCommander } from "./plugin-commands.js";

const io = () => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });

function recording(extra: Partial<PluginCommand> = {}, result = 0) {
  const seen: CommandContext[] = [];
  const command: PluginCommand = {
    name: "probe",
    description: "records its context",
    arguments: [{ name: "<target>", description: "what to probe" }],
    options: [
      { flags: "--last-event-id <id>", description: "an id" },
      { flags: "--mode <m>", description: "a mode", default: "fast" },
      { flags: "--token <t>", description: "a token", env: "LIVETAP_PROBE_TOKEN" },
    ],
    ...extra,
    action: async (ctx) => {
      seen.push(ctx);
      return extra.action ? extra.action(ctx) : result;
    },
  };
  return { command, seen };
}

afterEach(() => {
  process.exitCode = undefined;
  delete process.env.LIVETAP_PROBE_TOKEN;
});

describe("plugin commands", () => {
  it("hands the action its operands and camelCase options, and sets the exit code it returns", async () => {
    const { command, seen } = recording({}, 3);
    process.env.LIVETAP_PROBE_TOKEN = "from-env";
    await toCommander(command, io()).parseAsync(["http://h:1", "--last-event-id", "9-9"], { from: "user" });
    expect(seen).toHaveLength(1);
    expect(seen[0].args).toEqual(["http://h:1"]);
    expect(seen[0].options).toEqual({ lastEventId: "9-9", mode: "fast", token: "from-env" });
    expect(process.exitCode).toBe(3);
  });

  it("refuses unknown options unless passThrough, which keeps them in args in order", async () => {
    const strict = toCommander(recording().command, io()).exitOverride().configureOutput({ writeErr: () => {} });
    await expect(strict.parseAsync(["x", "--remote-ip", "1"], { from: "user" })).rejects.toThrow(/unknown option '--remote-ip'/);

    const { command, seen } = recording({ passThrough: true });
    await toCommander(command, io()).parseAsync(["--remote-ip", "1", "x", "--mode", "slow", "--b=2"], { from: "user" });
    expect(seen[0].args).toEqual(["--remote-ip", "1", "x", "--b=2"]);
    expect(seen[0].options).toEqual({ mode: "slow" });
  });

  it("usageError ends like a CLI usage error: `error: ...` on stderr, exit 1, the action cut short", async () => {
    let after = false;
    const { command } = recording({
      action: async (ctx) => {
        ctx.usageError("missing thing");
        after = true;
        return 0;
      },
    });
    let stderr = "";
    const cmd = toCommander(command, io()).exitOverride().configureOutput({ writeErr: (s) => (stderr += s) });
    await expect(cmd.parseAsync(["x"], { from: "user" })).rejects.toMatchObject({ exitCode: 1, code: "livetap.probe.usage" });
    expect(stderr).toBe("error: missing thing\n");
    expect(after).toBe(false);
  });

  it("interrupted() aborts on SIGINT only for a command that asked, and lets go of the signal after", async () => {
    const before = process.listenerCount("SIGINT");
    let during = 0;
    const { command } = recording({
      action: (ctx) => {
        const signal = ctx.interrupted();
        during = process.listenerCount("SIGINT");
        return new Promise((resolve) => {
          signal.addEventListener("abort", () => resolve(0));
          process.emit("SIGINT", "SIGINT");
        });
      },
    });
    await toCommander(command, io()).parseAsync(["x"], { from: "user" });
    expect(during).toBe(before + 1);
    expect(process.listenerCount("SIGINT")).toBe(before);

    const quiet = recording({ action: async () => ((during = process.listenerCount("SIGINT")), 0) });
    await toCommander(quiet.command, io()).parseAsync(["x"], { from: "user" });
    expect(during).toBe(before);
  });

  it("registers every definition's commands in order, and skips a taken name with a warning", () => {
    const plugin = class implements Sink {
      async consume() {}
    };
    const a = defineSink({ type: "a", description: "a", options: z.strictObject({}), plugin, commands: [recording().command, { ...recording().command, name: "run" }] });
    const b = defineSink({ type: "b", description: "b", options: z.strictObject({}), plugin, commands: [{ ...recording().command, name: "other" }, recording().command] });
    const program = new Command("livetap").addCommand(new Command("run"));
    const warnings: string[] = [];
    addPluginCommands(program, [a, b], (m) => warnings.push(m));
    expect(program.commands.map((c) => c.name())).toEqual(["run", "probe", "other"]);
    expect(warnings).toEqual([
      'command "run" of the sink plugin "a" is not available: the name is taken',
      'command "probe" of the sink plugin "b" is not available: the name is taken',
    ]);
  });
});
