import { defineSource } from "../../../core/index.js";
import { DemoSource } from "./demo.js";
import { DemoOptions } from "./options.js";

export default defineSource({
  type: "demo",
  description: "Synthetic mail-server telemetry (Stalwart event types) at a set rate, optionally repeatable from a seed.",
  options: DemoOptions,
  plugin: DemoSource,
  example: {},
});
