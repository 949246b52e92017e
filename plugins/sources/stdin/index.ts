import { defineSource } from "../../../core/index.js";
import { StdinOptions } from "./options.js";
import { StdinSource } from "./stdin.js";

export default defineSource({
  type: "stdin",
  description: "One event per line of standard input (JSON-object lines keep their fields); completes at end of input.",
  options: StdinOptions,
  plugin: StdinSource,
  example: {},
});
