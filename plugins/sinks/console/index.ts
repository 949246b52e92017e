import { defineSink } from "../../../core/index.js";
import { ConsoleSink } from "./console.js";
import { ConsoleOptions } from "./options.js";

export default defineSink({
  type: "console",
  description: "Events to stdout: JSON lines (default) or one pretty line each for humans.",
  options: ConsoleOptions,
  plugin: ConsoleSink,
  example: {},
});
