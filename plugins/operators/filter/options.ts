import { z } from "zod";
import { EventConditions } from "../../../core/kit.js";

export const FilterOptions = z.strictObject({
  include: EventConditions.optional().describe(
    "Keep only events matching this condition (or any condition of a list). A condition takes the SSE query-filter vocabulary: " +
      "`filter` (substring of any data value), `type` (`smtp.*,auth.failed`), key filters by data key (`\"remoteIp\": \"192.0.2\"` or under `keys`), " +
      "plus `severityAtLeast`/`severityAtMost` and numeric `fields` comparisons; all parts of one condition must hold. Default: absent, every event is included.",
  ),
  exclude: EventConditions.optional().describe(
    "Drop events matching this condition (or any condition of a list), even when they match `include`. Same vocabulary as `include`. Default: absent, nothing is excluded.",
  ),
});
export type FilterOptions = z.infer<typeof FilterOptions>;
