import { defineSink } from "../../../core/index.js";
import { BlackholeSink } from "./blackhole.js";
import { BlackholeOptions } from "./options.js";

export default defineSink({
  type: "blackhole",
  description: "Counts events and discards them (metric `blackhole.events`); for benchmarks and dry runs.",
  options: BlackholeOptions,
  plugin: BlackholeSink,
  example: {},
});
