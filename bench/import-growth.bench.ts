/**
 * How import time grows with the file: the same workbook layout as import.bench.ts at 1,000 and
 * 10,000 rows (the 100,000-row figures are that benchmark's own rows), one row of the table each.
 */
import { benchImport } from './import.bench.ts';
import type { BenchResult } from './support/result.ts';

export async function benchImportGrowth(engine: 'embedded' | 'postgres', pgUrl: string | null): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const rows of [1_000, 10_000]) {
    const [prepare, run] = await benchImport(engine, pgUrl, rows);
    const seconds = (r: BenchResult | undefined) => Number.parseFloat(r?.measured ?? 'NaN');
    const n = rows.toLocaleString('en');
    out.push({
      figure: `Import growth: ${n} rows (${engine})`,
      target: 'grows linearly',
      measured: `upload + dry run ${seconds(prepare).toFixed(1)} s, import ${seconds(run).toFixed(1)} s`,
      pass: Boolean(prepare?.pass && run?.pass),
      note: `${Math.round(rows / seconds(run))} rows/s imported`,
    });
  }
  return out;
}
