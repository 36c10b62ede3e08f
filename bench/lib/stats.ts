/** The q-quantile (0..1) of `values` by the nearest-rank rule: NaN when there are none. */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
