/**
 * "did you mean" suggestions for config typos (`adress` -> `address`, `consol` -> `console`).
 * Optimal string alignment distance: Levenshtein plus adjacent transpositions, because
 * swapped letters (`adderss`) are the most common typo and should cost one edit, not two.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  // Three rolling rows are enough for the transposition lookback.
  let prev2 = Array.from({ length: cols }, () => 0);
  let prev = Array.from({ length: cols }, (_, j) => j);
  let cur = Array.from({ length: cols }, () => 0);
  for (let i = 1; i < rows; i++) {
    cur[0] = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[cols - 1];
}

/**
 * The candidate closest to `input`, if it is close enough to be a plausible typo: at most a
 * third of the longer word's letters differ (at least one edit allowed, but never all of
 * them), so `fie` suggests `file` but `port` never suggests `path`. Case differences are free (`Address` -> `address`).
 * Ties go to the earlier candidate, so callers control the preference by their order.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const needle = input.toLowerCase();
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const distance = editDistance(needle, candidate.toLowerCase());
    const longer = Math.max(input.length, candidate.length);
    // Replacing every letter is not a typo (`x` is not a misspelt `y`).
    const limit = Math.min(Math.max(1, Math.floor(longer / 3)), longer - 1);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
