/** Damerau-free Levenshtein distance; inputs are short identifiers so O(n*m) is fine. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[n]!;
}

/**
 * Character comparisons all suggestions of one process may spend (well under a second). Each suggestion is
 * quadratic in the name and linear in the candidates, so thousands of misspelt names against thousands of steps
 * took minutes; past the budget, errors come without "Did you mean" (deterministically: the same input spends the
 * budget on the same names).
 */
export const SUGGESTION_BUDGET = 50_000_000;
let spent = 0;

/** Gives the next suggestions the whole budget again (at the start of each compile). */
export function resetSuggestionBudget(): void {
  spent = 0;
}

/** Names longer than this get no did-you-mean (and candidates longer than this are never suggested). */
export const MAX_SUGGESTED_NAME = 128;

/**
 * The closest candidate to `name`, if it is close enough to be a plausible typo
 * (distance at most a third of the length, or a prefix/suffix match like "gender_concept" -> "gender_concept_id").
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  // No identifier is this long (PostgreSQL cuts them at 63 bytes): a suggestion would be noise, and the quadratic
  // distance over a 20 MB name took a minute.
  if (name.length > MAX_SUGGESTED_NAME) return undefined;
  const lower = name.toLowerCase();
  const limit = Math.max(2, Math.floor(lower.length / 3));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (c.length > MAX_SUGGESTED_NAME) continue;
    const cl = c.toLowerCase();
    const prefix = cl.startsWith(lower) || lower.startsWith(cl);
    // The distance is at least the difference in length: past the limit only a prefix match can win. Skipping the
    // quadratic distance there keeps a did-you-mean over 20,000 step names cheap.
    if (!prefix && Math.abs(cl.length - lower.length) > limit) continue;
    if (spent > SUGGESTION_BUDGET) return undefined;
    spent += (lower.length + 1) * (cl.length + 1);
    let score = editDistance(lower, cl);
    if (prefix) score = Math.min(score, Math.abs(cl.length - lower.length) / 4);
    if (score < bestScore || (score === bestScore && best !== undefined && c < best)) {
      best = c;
      bestScore = score;
    }
  }
  if (best === undefined) return undefined;
  return bestScore <= limit ? best : undefined;
}

/** " Did you mean "x"?" or "" — for appending to a message. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closest(name, candidates);
  return c === undefined ? undefined : `Did you mean "${c}"?`;
}
