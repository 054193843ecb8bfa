/**
 * Percentiles of bench samples, one function for every bench so their figures are taken alike.
 *
 * Convention: `p` is in per cent (0–100) and `sorted` must be in ascending order (callers sort
 * once: most take several percentiles of one array). The answer is always one of the samples, never
 * an interpolation between two.
 */

export interface PercentileOptions {
  /**
   * How the sample is picked, with n samples:
   * - 'nearest' (Default): the nearest rank, index ⌈p/100 · n⌉ − 1: the smallest sample with at least
   *   p % of the samples at or below it (the p50 of 4 samples is the 2nd).
   * - 'floor': index ⌊p/100 · n⌋, one sample higher when p/100 · n is a whole number (the p50 of 4
   *   samples is the 3rd). Some benches (bench/support/load.ts, slow-clients, contacts-list) have
   *   always reported this one; they keep it so their figures compare with earlier runs.
   */
  rank?: 'nearest' | 'floor';
  /** The answer when there are no samples (Default: NaN). */
  empty?: number;
}

/** The p-th percentile (p in 0–100) of `sorted`, ascending samples (see PercentileOptions for which sample). */
export function percentile(sorted: readonly number[], p: number, options: PercentileOptions = {}): number {
  const n = sorted.length;
  if (n === 0) {
    return options.empty ?? NaN;
  }
  const index = options.rank === 'floor' ? Math.floor((p / 100) * n) : Math.ceil((p / 100) * n) - 1;
  return sorted[Math.min(n - 1, Math.max(0, index))] as number;
}
