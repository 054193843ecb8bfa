/**
 * Server start to /healthz ready on an existing embedded database (it was created and migrated by
 * a first start, then stopped): spawn → first 200, median of several restarts.
 */
import { api, kill, spawnRollcall, startBenchServer, waitHealthy } from './support/server.ts';
import type { BenchResult } from './support/result.ts';

export async function benchStartup(): Promise<BenchResult[]> {
  const first = await startBenchServer({ pgUrl: null });
  await api(first.base, first.token, 'POST', '/api/v1/projects', { name: 'startup' });
  await first.stop();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const child = spawnRollcall('serve', first.env);
    await waitHealthy(first.base, child, 60_000);
    times.push((performance.now() - t0) / 1000);
    await kill(child, 'SIGTERM');
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? Infinity;
  return [{ figure: 'Server start to /healthz, existing embedded database', target: '< 3 s', measured: `${median.toFixed(2)} s median (${times.map((t) => t.toFixed(2)).join(', ')})`, pass: median < 3 }];
}
