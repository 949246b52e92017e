import type { PluginCommand } from "../../../../core/index.js";
import { PATHS } from "../paths.js";
import { parseTapArgs, runTap, type TapOptions } from "./tap.js";

/** `livetap top URL --by FIELD`: the sse sink's top stream as a refreshing table (plain lines when piped). */
export function topCommand(run: typeof runTap = runTap): PluginCommand {
  return {
    name: "top",
    description: "show the most frequent values of a field in a live stream, refreshed every interval",
    arguments: [{ name: "<url>", description: `the sse sink, e.g. http://127.0.0.1:8080 (or the full ${PATHS.top} URL)` }],
    options: [
      { flags: "--by <field>", description: "the field to count (type, text, id, or a path into data such as remoteIp)" },
      { flags: "--top <k>", description: "how many values (default 10, at most 100)" },
      { flags: "--window <seconds>", description: "count the events of the last seconds (default 60)" },
      { flags: "--interval <seconds>", description: "seconds between refreshes (default 5)" },
      { flags: "--filter <text>", description: "count only events with any data value containing text" },
      { flags: "--type <types>", description: "count only these event types (smtp.* prefix, comma list)" },
      { flags: "--outputs-of <name>", description: "count the output of that component instead of the sink's inputs" },
      { flags: "--token <token>", description: "send Authorization: Bearer <token>", env: "LIVETAP_TOKEN" },
    ],
    passThrough: true,
    helpAfter:
      "\nAny other --KEY VALUE is a data key filter. On a terminal the table redraws in place; piped, each refresh is printed as plain lines.\n\n" +
      "Example:\n  livetap top http://127.0.0.1:8080 --by remoteIp --window 60 --type 'auth.*'\n",
    action: async (ctx) => {
      const parsed = parseTapArgs(ctx.args);
      if (typeof parsed === "string") return ctx.usageError(parsed);
      const opts = ctx.options as Omit<TapOptions, "keys">;
      if (opts.by === undefined) return ctx.usageError("--by FIELD is required (e.g. --by remoteIp)");
      const table = (ctx.stdout as { isTTY?: boolean }).isTTY === true;
      return run(parsed.url, { ...opts, keys: parsed.keys, table }, ctx.stdout, ctx.stderr, ctx.interrupted());
    },
  };
}
