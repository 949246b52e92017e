import { z } from "zod";
import { DeliveryOptionsShape } from "../../../core/index.js";

/** The most events/s the demo source emits: enough to load-test a pipeline, not enough to wedge a laptop by a typo. */
export const MAX_DEMO_RATE = 100_000;

export const DemoOptions = z.strictObject({
  rate: z
    .number()
    .positive()
    .max(MAX_DEMO_RATE)
    .default(5)
    .describe(
      `Events per second (default 5; fractions allowed, e.g. 0.5 = one every 2 s; at most ${MAX_DEMO_RATE}). ` +
        "Above 1000/s events come in small batches per timer tick; when timers fall more than 100 ms behind (busy process, CPU too slow for the rate) the excess is skipped, not burst.",
    ),
  seed: z
    .int()
    .optional()
    .describe("Integer seed: the same event sequence on every run. Default: seeded from the clock, so every run differs."),
  count: z
    .int()
    .positive()
    .optional()
    .describe("Stop after this many events and complete (for tests and batch runs). Default: no limit, runs until stopped."),
  // At the bound the events that fall due are skipped: synthetic traffic need not wait.
  ...DeliveryOptionsShape,
});
export type DemoOptions = z.infer<typeof DemoOptions>;
