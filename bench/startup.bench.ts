/**
 * Server start to /healthz ready on an EXISTING embedded database: a first start creates and
 * migrates it (and one project), SIGTERM stops it, then five restarts are timed from spawn to the
 * first 200 from /healthz, each stopped with SIGTERM again. Reports the median (and the max).
 */
import fs from 'node:fs';

import { freePort, tempDir } from '../test/support/child-server.ts';
import type { BenchResult } from './support/result.ts';
import { ADMIN, api, kill, serverEnv, spawnRollcall, waitHealthy } from './support/server.ts';

const RESTARTS = 5;

async function startTimed(env: Record<string, string>, base: string): Promise<number> {
  const t0 = performance.now();
  const child = spawnRollcall('serve', env);
  let seconds: number;
  try {
    await waitHealthy(base, child, 60_000);
    seconds = (performance.now() - t0) / 1000;
  } finally {
    await kill(child, 'SIGTERM');
    await kill(child, 'SIGKILL');
  }
  if (child.proc.exitCode !== 0) {
    throw new Error(`the server did not exit 0 on SIGTERM: ${child.proc.exitCode ?? child.proc.signalCode} ${child.output().slice(-300)}`);
  }
  return seconds;
}

export async function benchStartup(): Promise<BenchResult[]> {
  const dataDir = tempDir('rollcall-bench-start-');
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = serverEnv(port, dataDir, null);
    const first = spawnRollcall('serve', env);
    try {
      await waitHealthy(base, first, 120_000);
      const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', ADMIN)).json.token as string;
      await api(base, token, 'POST', '/api/v1/projects', { name: 'startup', defaultCountry: 'KE' });
    } finally {
      await kill(first, 'SIGTERM');
      await kill(first, 'SIGKILL');
    }
    const times: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      times.push(await startTimed(env, base));
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Infinity;
    return [
      {
        figure: 'Server start to /healthz 200, existing embedded database',
        target: '< 3 s',
        measured: `${median.toFixed(2)} s median`,
        pass: median < 3,
        note: `${RESTARTS} restarts: ${times.map((t) => t.toFixed(2)).join(', ')} s; max ${(sorted.at(-1) ?? 0).toFixed(2)} s`,
      },
    ];
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
