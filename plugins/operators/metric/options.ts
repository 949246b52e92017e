import { z } from "zod";
import { EventConditions, FIELD_REF_HELP, FieldRef, isMetricId } from "../../../core/kit.js";

/** Histogram bounds when a rule gives none: 1-5-10 steps from 1 to 1e9, for sizes, counts and durations alike. */
export const DEFAULT_BUCKETS: readonly number[] = [1, 5, 10, 50, 100, 500, 1e3, 5e3, 1e4, 5e4, 1e5, 5e5, 1e6, 5e6, 1e7, 5e7, 1e8, 5e8, 1e9];

/** Room left in a 200-character metric id for the `.<value>` of a series. */
export const MAX_RULE_ID_LENGTH = 150;

const metricId = z
  .string()
  .max(MAX_RULE_ID_LENGTH)
  .refine(isMetricId, { message: "must be lowercase words joined by dots, dashes or underscores (e.g. \"smtp.message-size\")" });

const dataKey = FieldRef;

const where = EventConditions.optional().describe(
  "Only events matching this condition (or any of a list) feed the metric: the filter operator's vocabulary (`{ \"type\": \"smtp.mail-from\" }`). Default: every event.",
);

export const CounterRule = z
  .strictObject({
    id: metricId.describe(
      "Counter id, lowercase dotted (`auth.failures`); with `field` or `byType`, the prefix of one counter per value. Pick a family of your own: ids equal to an event type share core's per-type counter.",
    ),
    where,
    field: dataKey
      .optional()
      .describe(
        `Count per value of this field (${FIELD_REF_HELP}): the counter \`<id>.<value>\`, the value lowercased with runs of other characters than a-z and 0-9 made one dash (\`example.org\` -> \`<id>.example-org\`). ` +
          "Events whose field is absent or not a string, number or boolean are not counted. Default: absent, one counter `<id>`.",
      ),
    byType: z.boolean().default(false).describe("Count per event type: the counter `<id>.<type>` (default false; not together with `field`)."),
    maxSeries: z
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe("With `field` or `byType`: the most distinct values that get a counter of their own (default 100, at most 10000); the others are counted in `<id>.other`, so a flood of values cannot grow the registry."),
  })
  .refine((r) => !(r.field !== undefined && r.byType), { message: "give `field` or `byType`, not both", path: ["byType"] });
export type CounterRule = z.infer<typeof CounterRule>;

export const HistogramRule = z.strictObject({
  id: metricId.describe("Histogram id, lowercase dotted (`message.size`)."),
  field: dataKey.describe(`The field holding the value to observe (${FIELD_REF_HELP}): a number, or a string that is one ("1234"); events without a numeric value are skipped.`),
  where,
  buckets: z
    .array(z.number().refine(Number.isFinite, { message: "must be a finite number" }))
    .min(1)
    .max(50)
    .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]), { message: "must be strictly ascending" })
    .optional()
    .describe(`Bucket upper bounds (inclusive), strictly ascending, at most 50; +Inf is implicit. Default: ${DEFAULT_BUCKETS.join(", ")}. Only the first definition of an id sets them.`),
});
export type HistogramRule = z.infer<typeof HistogramRule>;

export const GaugeRule = z.strictObject({
  id: metricId.describe("Gauge id, lowercase dotted (`queue.size`)."),
  field: dataKey.describe(`The field holding the value (${FIELD_REF_HELP}): the gauge is set to the number of the latest matching event (a number, or a string that is one); others are skipped.`),
  where,
});
export type GaugeRule = z.infer<typeof GaugeRule>;

export const MetricOptions = z
  .strictObject({
    counters: z
      .array(CounterRule)
      .max(100)
      .default([])
      .describe("Counters incremented per matching event: `{ \"id\": \"auth.failures\", \"where\": { \"type\": \"auth.failed\" } }`, or per field value `{ \"id\": \"smtp.by-domain\", \"field\": \"domain\" }` (at most 100 rules)."),
    histograms: z
      .array(HistogramRule)
      .max(100)
      .default([])
      .describe("Histograms of a numeric field: `{ \"id\": \"message.size\", \"field\": \"size\", \"where\": { \"type\": \"smtp.mail-from\" } }` (at most 100 rules)."),
    gauges: z
      .array(GaugeRule)
      .max(100)
      .default([])
      .describe("Gauges set from a numeric field of the latest matching event: `{ \"id\": \"spam.last-score\", \"field\": \"score\" }` (at most 100 rules)."),
  })
  .refine((o) => [o.counters, o.histograms, o.gauges].some((rules) => Array.isArray(rules) && rules.length > 0), {
    message: "give at least one rule in `counters`, `histograms` or `gauges`",
    when: (payload) => typeof payload.value === "object" && payload.value !== null,
  });
export type MetricOptions = z.infer<typeof MetricOptions>;
