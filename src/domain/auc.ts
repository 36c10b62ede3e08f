/**
 * Area under the ROC curve, exactly: the probability that a random positive scores above a random
 * negative, ties counting half (the Mann–Whitney U statistic over n₊·n₋). Computed from mid-ranks,
 * so it is O(n log n) and needs no thresholds. Null when either class is absent.
 */
export function auc(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>): number | null {
  const n = scores.length;
  if (positive.length !== n) throw new Error('auc: one label per score');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    // Ranks start+1 … end share their mean.
    const midRank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) {
      if (positive[order[i]]) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (!positives || !negatives) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * 95% interval of an AUC from its standard error by Hanley & McNeil (Radiology, 1982), which
 * needs only the AUC and the two class sizes; clipped to [0, 1].
 */
export function aucInterval(a: number, positives: number, negatives: number): { se: number; low: number; high: number } {
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  const variance = (a * (1 - a) + (positives - 1) * (q1 - a * a) + (negatives - 1) * (q2 - a * a)) / (positives * negatives);
  const se = Math.sqrt(Math.max(0, variance));
  return { se, low: Math.max(0, a - 1.959964 * se), high: Math.min(1, a + 1.959964 * se) };
}
