// Order statistics the bench sections report: the p-th percentile (nearest rank) of a sample.

/** The p-th percentile of `values` (nearest rank, 0 for an empty sample). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
