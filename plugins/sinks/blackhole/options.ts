import { z } from "zod";

export const BlackholeOptions = z.strictObject({
  logEverySeconds: z
    .number()
    .min(0)
    .max(86_400)
    .default(0)
    .describe("Seconds between summary log lines (events so far and events/s since the last line); default 0 = never; at most 86400. Fractions allowed."),
});
export type BlackholeOptions = z.infer<typeof BlackholeOptions>;
