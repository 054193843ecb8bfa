/** One row of the benchmark table. */
export interface BenchResult {
  figure: string;
  target: string;
  measured: string;
  pass: boolean;
  note?: string;
}
