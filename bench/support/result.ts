/** One row of the benchmark table. */
export interface BenchResult {
  figure: string;
  target: string;
  measured: string;
  pass: boolean;
  note?: string;
  /**
   * Throughput rows: the raw limit the figure stands on, measured in the same run right before it,
   * in the same database (bench/support/raw-limits.ts), e.g. "claim-and-mark 12,400 rows/s".
   */
  rawLimit?: string;
  /** measured ÷ raw limit, in per cent: what compares across runs of this noisy VM (targets stay absolute). */
  ratio?: number;
}
