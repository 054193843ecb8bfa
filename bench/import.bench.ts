/**
 * Bulk import through the HTTP API of a real `rollcall serve` process: a 100,000-row .xlsx with 10
 * columns (the seeds' layout plus properties; numbers as numeric cells, in national and
 * international forms, half of them with consent) is uploaded (parse), dry-run, then imported as a
 * background job. Meanwhile a separate process asks GET /healthz every 100 ms; the slowest answer counts.
 * Peak memory is the server process's peak resident set (VmHWM in /proc).
 */
import fs from 'node:fs';

import * as XLSX from '@e965/xlsx';

import { watchHealth } from './support/health-watch.ts';
import type { BenchResult } from './support/result.ts';
import { api, startBenchServer } from './support/server.ts';

const HEADER = ['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified', 'commcare_email_address', 'case id', 'gender', 'age', 'village', 'language_code', 'external_id'];

function makeWorkbook(rowCount: number): Buffer {
  const rows: (string | number)[][] = [HEADER];
  for (let i = 0; i < rowCount; i++) {
    // Kenyan numbers, distinct: numeric cells in international form, text cells in national form.
    const national = `07${String(20_000_000 + i).padStart(8, '0')}`;
    const phone = i % 2 ? Number(`254${national.slice(1)}`) : national;
    rows.push([`Person ${i}`, phone, i % 2 ? 1 : 0, i % 10 === 0 ? `p${i}@example.org` : '', '', i % 2 ? 'female' : 'male', 18 + (i % 60), `Village ${i % 500}`, 'en', `EXT-${i}`]);
  }
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), 'Contacts');
  return XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', compression: true }) as Buffer;
}

function peakRssMb(pid: number | undefined): number {
  const status = pid ? fs.readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

interface HealthWatch {
  max: number;
  n: number;
  failures: number;
  /** The slowest answer among those asked between two instants (performance.now()). */
  maxBetween(from: number, to: number): number;
  /** How many answers took 200 ms or more. */
  slow: number;
}

/** The health watch's answers, summed up for the import's phases. */
function watchImportHealth(base: string): { stop(): Promise<HealthWatch> } {
  const watch = watchHealth(base);
  return {
    async stop() {
      const { samples, failures } = await watch.stop();
      const maxBetween = (from: number, to: number) => Math.round(Math.max(0, ...samples.filter((x) => x.at >= from && x.at < to).map((x) => x.ms)));
      return {
        max: maxBetween(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY),
        n: samples.length,
        failures,
        slow: samples.filter((x) => x.ms >= 200).length,
        maxBetween,
      };
    },
  };
}

export async function benchImport(engine: 'embedded' | 'postgres', pgUrl: string | null, rowCount = 100_000): Promise<BenchResult[]> {
  const file = makeWorkbook(rowCount);
  const rowsText = rowCount.toLocaleString('en');
  const server = await startBenchServer({ pgUrl: engine === 'postgres' ? pgUrl : null });
  try {
    const project = await api(server.base, server.token, 'POST', '/api/v1/projects', { name: 'bench', defaultCountry: 'KE' });
    if (project.status !== 201) {
      throw new Error(`project: ${project.status} ${JSON.stringify(project.json)}`);
    }
    const auth = { authorization: `Bearer ${server.token}` };
    const t0 = performance.now();
    const health = watchImportHealth(server.base);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file)]), 'bench.xlsx');
    const up = await fetch(`${server.base}/api/v1/projects/bench/imports`, { method: 'POST', headers: auth, body: form });
    const upload = (await up.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (up.status !== 201) {
      throw new Error(`upload: ${up.status} ${JSON.stringify(upload)}`);
    }
    const t1 = performance.now();
    const body = { caseType: 'contact', matchBy: 'case_id', matchColumn: 'case id', createNew: true, mapping: upload.suggestedMapping };
    const dry = await api(server.base, server.token, 'POST', `/api/v1/projects/bench/imports/${upload.id}/run`, { ...body, dryRun: true });
    if (dry.status !== 200 || dry.json.result.created !== rowCount) {
      throw new Error(`dry run: ${dry.status} ${JSON.stringify(dry.json).slice(0, 300)}`);
    }
    const t2 = performance.now();
    const started = await api(server.base, server.token, 'POST', `/api/v1/projects/bench/imports/${upload.id}/run`, body);
    if (started.status !== 202) {
      throw new Error(`run: ${started.status} ${JSON.stringify(started.json)}`);
    }
    let view: Record<string, any> = started.json; // eslint-disable-line @typescript-eslint/no-explicit-any
    const deadline = Date.now() + 600_000;
    while (view.status === 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      view = (await api(server.base, server.token, 'GET', `/api/v1/projects/bench/imports/${upload.id}`)).json;
    }
    const t3 = performance.now();
    const healthz = await health.stop();
    const peak = peakRssMb(server.child.proc.pid);
    if (view.status !== 'done' || view.result.created !== rowCount) {
      throw new Error(`import ended ${view.status}: ${JSON.stringify(view).slice(0, 300)}`);
    }
    const parseS = (t1 - t0) / 1000;
    const dryS = (t2 - t1) / 1000;
    const importS = (t3 - t2) / 1000;
    const importTarget = engine === 'postgres' ? 45 : 90;
    return [
      {
        figure: `Import ${rowsText}-row .xlsx: upload (parse) + dry run (${engine})`,
        target: '< 20 s',
        measured: `${(parseS + dryS).toFixed(1)} s`,
        pass: parseS + dryS < 20,
        note: `upload and parse ${parseS.toFixed(1)} s (${(file.length / 1024 / 1024).toFixed(1)} MiB file, 10 columns), dry run ${dryS.toFixed(1)} s`,
      },
      {
        figure: `Import ${rowsText} rows as a background job (${engine})`,
        target: `< ${importTarget} s`,
        measured: `${importS.toFixed(1)} s`,
        pass: importS < importTarget,
        note: `${Math.round(rowCount / importS)} rows/s, ${view.result.errorCount} problems listed (none expected: ${view.result.errorCount === 0})`,
      },
      { figure: `Import: server peak memory (${engine})`, target: '< 1 GB', measured: `${peak} MiB`, pass: peak > 0 && peak < 1024, note: 'VmHWM of the server process over the whole run' },
      {
        figure: `Import: /healthz latency during upload, dry run and import (${engine})`,
        target: '< 200 ms',
        measured: `${healthz.max} ms max`,
        pass: healthz.max < 200 && healthz.failures === 0,
        note:
          `${healthz.n} requests every 100 ms, ${healthz.slow} of them 200 ms or more, ${healthz.failures} failures; ` +
          `slowest during upload ${healthz.maxBetween(t0, t1)} ms, dry run ${healthz.maxBetween(t1, t2)} ms, run ${healthz.maxBetween(t2, t3)} ms, after the run ${healthz.maxBetween(t3, Number.POSITIVE_INFINITY)} ms`,
      },
    ];
  } finally {
    await server.stop();
  }
}
