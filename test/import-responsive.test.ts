/**
 * A large import keeps the server responsive (issue 6): the file is read and drafted in a worker
 * thread and streamed to the main thread in chunks, and the run applies small transactions with a
 * yield between them. The event loop's longest stall over upload, dry run and run of a 20,000-row
 * file is measured with perf_hooks; the bound is generous (slow shared machines), the strict 200 ms
 * figure belongs to the benchmark (bench/import.bench.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { readImportFileOffThread, WORKER_CHUNK, WORKER_THRESHOLD } from '../src/services/import-file.ts';
import { type Cell, csv, multipart } from './support/import-files.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
const ROWS = 20_000;
let t: TestApp;

function bigFile(): Buffer {
  const rows: Cell[][] = [['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified', 'case id', 'village', 'external_id']];
  for (let i = 0; i < ROWS; i++) {
    rows.push([`Person ${i}`, `07${String(30_000_000 + i).padStart(8, '0')}`, i % 2, '', `Village ${i % 50}`, `EXT-${i}`]);
  }
  return csv(rows);
}

before(async () => {
  t = await createTestApp({ jobs: true });
  await t.createProject('responsive', { defaultCountry: 'KE' });
});
after(() => t.close());

test('the parser streams drafts in chunks and reports progress while they arrive', async () => {
  const file = bigFile();
  assert.ok(file.length >= WORKER_THRESHOLD, 'the file is large enough to be read in the worker');
  const seen: [number, number][] = [];
  const read = await readImportFileOffThread('big.csv', file, { hasHeaders: true, maxBytes: Number.POSITIVE_INFINITY }, { kind: 'cases', mapping: { 'Case Name': 'name', contact_phone_number: 'contact_phone_number' }, matchColumn: 'case id', matchBy: 'case_id' }, (received, total) => seen.push([received, total]));
  assert.equal(read.items.length, ROWS);
  assert.equal(read.summary.rowCount, ROWS);
  assert.equal(read.items[0]?.name, 'Person 0');
  assert.equal(read.items.at(-1)?.row, ROWS + 1);
  assert.equal(seen.length, Math.ceil(ROWS / WORKER_CHUNK));
  assert.deepEqual(seen[0], [WORKER_CHUNK, ROWS]);
  assert.deepEqual(seen.at(-1), [ROWS, ROWS]);
});

// The bound is generous (a loaded CI machine is slow), yet well under what the event loop stalled
// before the file was kept in parts, the parser's chunks were paced and background transactions
// yielded between statements (0.6–2 s on PGlite, 2026-12-01).
const runBoundMs = 1000;

test('a 20,000-row import never blocks the event loop for long', async (t2) => {
  const file = bigFile();
  const phases: Record<string, number> = {};
  let delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const phase = (name: string) => {
    delay.disable();
    phases[name] = Math.round(delay.max / 1e6);
    delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
  };
  const form = multipart({ name: 'big.csv', bytes: file });
  const up = await t.request('POST', '/api/v1/projects/responsive/imports', { body: form.body, headers: form.headers });
  assert.equal(up.statusCode, 201, up.body);
  phase('upload');
  const id = up.json().id as string;
  const body = { caseType: 'contact', matchBy: 'case_id', matchColumn: 'case id', createNew: true, mapping: up.json().suggestedMapping };
  const dry = await t.request('POST', `/api/v1/projects/responsive/imports/${id}/run`, { body: { ...body, dryRun: true } });
  assert.equal(dry.statusCode, 200, dry.body);
  assert.equal(dry.json().result.created, ROWS);
  phase('dry run');
  const started = await t.request('POST', `/api/v1/projects/responsive/imports/${id}/run`, { body });
  assert.equal(started.statusCode, 202, started.body);
  let view: Json = started.json();
  const deadline = Date.now() + 240_000;
  while (view.status === 'running' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    view = (await t.request('GET', `/api/v1/projects/responsive/imports/${id}`)).json();
  }
  phase('run');
  delay.disable();
  assert.equal(view.status, 'done', JSON.stringify(view).slice(0, 300));
  assert.equal(view.result.created, ROWS);
  const maxMs = Math.max(...Object.values(phases));
  t2.diagnostic(`longest event-loop stall by phase, ms: ${JSON.stringify(phases)}`);
  assert.ok((phases.upload ?? Infinity) < 1000, `the upload stalled the event loop for ${phases.upload} ms (by phase, ms: ${JSON.stringify(phases)})`);
  assert.ok(maxMs < runBoundMs, `the event loop stalled for ${maxMs} ms (longest stall by phase, ms: ${JSON.stringify(phases)})`);
});
