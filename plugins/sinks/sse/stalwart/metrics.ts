/**
 * Metric samples as WebAdmin decodes them (CONTRACT 11): its `Metric` and `LiveMetric` structs
 * type every value, count and sum as u64, so a fraction or a negative number fails the whole
 * frame. Values are rounded to whole numbers, negatives raised to 0; a non-finite value
 * (which JSON would write as null) leaves its sample out.
 */
const U64_CAP = 1.8e19;

export function toStalwartMetrics<T extends { type: string }>(samples: readonly T[]): T[] {
  const out: T[] = [];
  for (const s of samples) {
    const r = s as unknown as Record<string, unknown>;
    const fields = s.type === "histogram" ? ["count", "sum"] : ["value"];
    if (!fields.every((f) => typeof r[f] === "number" && Number.isFinite(r[f]))) continue;
    const copy: Record<string, unknown> = { ...r };
    // Capped below 2^64: a larger integer would not fit the u64 either.
    for (const f of fields) copy[f] = Math.min(U64_CAP, Math.max(0, Math.round(r[f] as number)));
    out.push(copy as unknown as T);
  }
  return out;
}
