import { Command, Option } from "commander";
import type { CommandContext, PluginCommand } from "../command.js";
import type { PluginDefinition } from "../plugin.js";

type Io = Pick<CommandContext, "stdin" | "stdout" | "stderr">;

/** A plugin's command as a commander command; the action's exit code becomes the process's. */
export function toCommander(c: PluginCommand, io: Io = process): Command {
  const cmd = new Command(c.name).description(c.description);
  for (const a of c.arguments ?? []) cmd.argument(a.name, a.description);
  for (const o of c.options ?? []) {
    const option = new Option(o.flags, o.description);
    if (o.env !== undefined) option.env(o.env);
    if (o.default !== undefined) option.default(o.default);
    cmd.addOption(option);
  }
  if (c.passThrough) cmd.allowUnknownOption().allowExcessArguments();
  if (c.helpAfter) cmd.addHelpText("after", c.helpAfter);
  return cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    const controller = new AbortController();
    const abort = () => controller.abort();
    let listening = false;
    const context: CommandContext = {
      args: [...self.args],
      options: self.opts(),
      ...io,
      interrupted: () => {
        if (!listening) {
          listening = true;
          process.once("SIGINT", abort);
          process.once("SIGTERM", abort);
        }
        return controller.signal;
      },
      usageError: (message) => self.error(`error: ${message}`, { exitCode: 1, code: `livetap.${c.name}.usage` }),
    };
    try {
      process.exitCode = await c.action(context);
    } finally {
      process.off("SIGINT", abort);
      process.off("SIGTERM", abort);
    }
  });
}

/**
 * Adds the commands of every definition to `program`, in definition order. A name already
 * taken (by core or an earlier plugin) is skipped with a warning: one plugin must not break
 * the CLI for the others.
 */
export function addPluginCommands(program: Command, definitions: readonly PluginDefinition[], warn: (message: string) => void): void {
  const taken = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  for (const d of definitions) {
    for (const c of d.commands ?? []) {
      if (taken.has(c.name)) {
        warn(`command "${c.name}" of the ${d.kind} plugin "${d.type}" is not available: the name is taken`);
        continue;
      }
      taken.add(c.name);
      program.addCommand(toCommander(c));
    }
  }
}
