import { z } from "zod";
import { EventConditions, FIELD_REF_HELP, FieldRef } from "../../../core/kit.js";

export const SampleOptions = z
  .strictObject({
    rate: z
      .int()
      .min(1)
      .max(1_000_000_000)
      .optional()
      .describe("Keep 1 event in `rate` (10 keeps a tenth). Give `rate` or `ratio`, not both; 1 keeps everything. At most 1e9."),
    ratio: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe("Keep this fraction of events, in (0, 1] (0.1 keeps a tenth): the same as `rate` = 1/ratio, for fractions that are not 1/N."),
    key: FieldRef.optional()
      .describe(
        `The field to sample by (\`sessionId\`, \`remoteIp\`) (${FIELD_REF_HELP}): its value is hashed (MurmurHash3 32-bit of its text, seeded by \`hashSeed\`) and an event is kept ` +
          "when the hash falls under the ratio, so all events of a session or IP are kept or dropped together, and every livetap node with the same seed keeps the same keys. " +
          "Default: absent, each event is kept at random.",
      ),
    hashSeed: z
      .int()
      .min(0)
      .max(0xffff_ffff)
      .optional()
      .describe(
        "Seed, 0 to 2^32-1. With `key`: the hash seed (default 0); give nodes that must agree the same seed, and change it to sample a different set of keys. " +
          "Without `key`: seeds the random generator so a run is repeatable (default: unseeded, Math.random).",
      ),
    missingKey: z
      .enum(["sample", "keep", "drop"])
      .default("sample")
      .describe(
        "Events whose data lacks `key` (or whose value is null): `sample` keeps them at random at the same ratio (default), `keep` keeps them all, `drop` drops them all. Ignored without `key`.",
      ),
    alwaysKeep: EventConditions.optional().describe(
      "Events matching this condition (or any of a list) bypass sampling and pass unchanged, e.g. `[{ \"severityAtLeast\": \"err\" }, { \"type\": \"auth.failed\" }]`. " +
        "Same vocabulary as the filter operator's `include`. Default: absent, every event is sampled.",
    ),
  })
  .refine((o) => (o.rate === undefined) !== (o.ratio === undefined), {
    message: "give either `rate` (keep 1 in N) or `ratio` (keep a fraction), exactly one of them",
    // Also when other options are wrong, so every problem is reported at once.
    when: (payload) => typeof payload.value === "object" && payload.value !== null,
  });
export type SampleOptions = z.infer<typeof SampleOptions>;
