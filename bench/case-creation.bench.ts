/**
 * Case creation through the HTTP API with 8 concurrent clients (consented Kenyan numbers, so each
 * request also claims two-way ownership), and case reads measured while creation runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { BenchResult } from './support/result.ts';
import { api, runLoad, startBenchServer } from './support/server.ts';

export async function benchCaseCreation(engine: 'embedded' | 'postgres', pgUrl: string | null): Promise<BenchResult[]> {
  const server = await startBenchServer({ pgUrl: engine === 'postgres' ? pgUrl : null });
  try {
    await api(server.base, server.token, 'POST', '/api/v1/projects', { name: 'bench', defaultCountry: 'KE' });
    // Some cases to read.
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const c = await api(server.base, server.token, 'POST', '/api/v1/projects/bench/cases', { caseType: 'patient', name: `Seed ${i}`, properties: { contact_phone_number: `+254711${String(i).padStart(6, '0')}` } });
      ids.push(c.json.id);
    }
    const idsFile = path.join(os.tmpdir(), `rollcall-bench-ids-${process.pid}.txt`);
    fs.writeFileSync(idsFile, ids.join('\n'));
    const common = { base: server.base, token: server.token, project: 'bench' };
    // Warm-up, then the measured run: creation (8 connections) with reads alongside (2 connections).
    await runLoad({ ...common, kind: 'create-cases', connections: 8, durationS: 3, numberBase: 900_000 });
    const [create, read] = await Promise.all([
      runLoad({ ...common, kind: 'create-cases', connections: 8, durationS: 15, numberBase: 0 }),
      runLoad({ ...common, kind: 'read-cases', connections: 2, durationS: 15, idsFile, rate: 100 }),
    ]);
    fs.rmSync(idsFile, { force: true });
    const target = engine === 'postgres' ? 500 : 250;
    return [
      {
        figure: `Case creation via HTTP, 8 clients (${engine})`,
        target: `>= ${target} cases/s`,
        measured: `${Math.round(create.rps)} cases/s (p50 ${create.p50} ms, p99 ${create.p99} ms, ${create.non2xx} non-2xx)`,
        pass: create.rps >= target && create.non2xx === 0,
      },
      {
        figure: `Case read p99 during that load (${engine})`,
        target: '< 20 ms',
        measured: `${read.p99} ms p99 (p50 ${read.p50} ms, ${Math.round(read.rps)} reads/s)`,
        pass: read.p99 < 20 && read.non2xx === 0,
      },
    ];
  } finally {
    await server.stop();
  }
}
