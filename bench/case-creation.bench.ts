/**
 * Case creation through the HTTP API of a real `rollcall serve` process, with 8 concurrent clients
 * in a separate load process. Each request creates a case with its own valid Kenyan number in
 * national form, marked verified, so it also claims the number's two-way ownership. Phases:
 *   1. 200 seed cases (to read later), then a 3 s warm-up of creation;
 *   2. creation alone, 8 connections, 10 s → cases/s and latency;
 *   3. reads alone at 100/s (2 connections): 2 s warm-up, then 5 s → the uncontended read latency;
 *   4. mixed, 10 s: creation (8 connections) and reads of the seed cases at 100/s → read p99.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { BenchResult } from './support/result.ts';
import { api, runLoad, startBenchServer } from './support/server.ts';

const SEEDS = 200;

export async function benchCaseCreation(engine: 'embedded' | 'postgres', pgUrl: string | null): Promise<BenchResult[]> {
  const server = await startBenchServer({ pgUrl: engine === 'postgres' ? pgUrl : null });
  const idsFile = path.join(os.tmpdir(), `rollcall-bench-ids-${process.pid}.txt`);
  try {
    const project = await api(server.base, server.token, 'POST', '/api/v1/projects', { name: 'bench', defaultCountry: 'KE' });
    if (project.status !== 201) {
      throw new Error(`project: ${project.status} ${JSON.stringify(project.json)}`);
    }
    const ids: string[] = [];
    for (let i = 0; i < SEEDS; i++) {
      const c = await api(server.base, server.token, 'POST', '/api/v1/projects/bench/cases', {
        caseType: 'patient',
        name: `Seed ${i}`,
        properties: { contact_phone_number: `07${90_000_000 + i}`, contact_phone_number_is_verified: '1' },
      });
      if (c.status !== 201) {
        throw new Error(`seed case: ${c.status} ${JSON.stringify(c.json)}`);
      }
      ids.push(c.json.id as string);
    }
    fs.writeFileSync(idsFile, ids.join('\n'));
    const common = { base: server.base, token: server.token, project: 'bench', maxRequests: 100_000 };
    const create = (durationS: number, numberBase: number) => runLoad({ ...common, kind: 'create-cases', connections: 8, durationS, numberBase });
    const read = (durationS: number) => runLoad({ ...common, kind: 'read-cases', connections: 10, durationS, idsFile, rate: 100 });

    await create(3, 80_000_000);
    const alone = await create(10, 0);
    await read(2); // warm-up of the read route
    const readsAlone = await read(5);
    const [mixedCreate, mixedRead] = await Promise.all([create(10, 40_000_000), read(10)]);

    const target = engine === 'postgres' ? 500 : 250;
    return [
      {
        figure: `Case creation via HTTP, 8 clients (${engine})`,
        target: `>= ${target} cases/s`,
        measured: `${Math.round(alone.rps)} cases/s`,
        pass: alone.rps >= target && alone.non2xx === 0 && alone.errors === 0,
        note: `p50 ${alone.p50} ms, p99 ${alone.p99} ms, ${alone.ok} created in ${alone.seconds.toFixed(0)} s, ${alone.non2xx} non-2xx, ${alone.errors} errors`,
      },
      {
        figure: `Case read (GET one case) p99 while 8 clients create (${engine})`,
        target: '< 20 ms',
        measured: `${mixedRead.p99} ms p99`,
        pass: mixedRead.p99 < 20 && mixedRead.non2xx === 0 && mixedRead.errors === 0,
        note:
          `p50 ${mixedRead.p50} ms, ${Math.round(mixedRead.rps)} reads/s, ${mixedRead.non2xx} non-2xx; creation meanwhile ${Math.round(mixedCreate.rps)} cases/s (p99 ${mixedCreate.p99} ms); ` +
          `reads without creation: p50 ${readsAlone.p50} ms, p99 ${readsAlone.p99} ms`,
      },
    ];
  } finally {
    fs.rmSync(idsFile, { force: true });
    await server.stop();
  }
}
