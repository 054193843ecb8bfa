/**
 * Issue 23 items 7–9, in-process: every file is read in a worker thread with a memory limit and a
 * time limit (a file that needs more is refused, nothing kept); a zip is refused from its declared
 * sizes relative to the file's size; cells are cut at 32 KiB (a row whose longer cell is in a column
 * the run uses fails with a row error naming the column) and the samples kept and shown are capped
 * (four 19 MB one-cell CSVs made GET …/imports answer 80 MB); an upload reserves disk space for what
 * it will write before it writes, concurrent reservations add up, and one that does not fit is
 * refused with 507 STORAGE_FULL, with nothing kept (six concurrent 15 MB uploads took the disk to
 * 0 bytes free). The free-space reading is a controlled fake (store/storage-guard.ts options).
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { pino } from 'pino';

import { buildApp } from '../src/http/app.ts';
import { MAX_CELL, parserLoad, readImportFileOffThread, SAMPLE_CELL, SAMPLE_CHARS } from '../src/services/import-file.ts';
import { allowedUncompressed, ZIP_LIMITS } from '../src/services/import-zip.ts';
import { createStorageGuard, type StorageGuard } from '../src/store/storage-guard.ts';
import { csv, multipart, workbook, workbookParts, zipOf } from './support/import-files.ts';
import { createSecurityFixture, type SecurityFixture } from './support/security-fixture.ts';

type Json = Record<string, any>;
const LIMIT = 1024 * 1024;
let f: SecurityFixture;

before(async () => {
  f = await createSecurityFixture({ config: { importMaxBytes: LIMIT } });
});
after(() => f.t.close());

async function importCount(): Promise<number> {
  return Number((await sql<{ n: string }>`select count(*) as n from imports`.execute(f.t.deps.db)).rows[0]?.n);
}

function apiUpload(app: FastifyInstance, name: string, bytes: Buffer, token = f.creds.member.token): Promise<LightMyRequestResponse> {
  const form = multipart({ name, bytes });
  return app.inject({ method: 'POST', url: '/api/v1/projects/alpha/imports', headers: { ...form.headers, authorization: `Bearer ${token}` }, payload: form.body });
}

describe('the parser: a worker thread for every file, with a memory limit and a time limit', () => {
  const small = csv([['Case Name', 'contact_phone_number'], ['Zawadi', '+254712900001']]);

  test('a small file is read in a worker thread too', async () => {
    assert.deepEqual(parserLoad(), { running: 0, waiting: 0 });
    const reading = readImportFileOffThread('small.csv', small, { hasHeaders: true, maxBytes: LIMIT }, { kind: 'summary' });
    assert.equal(parserLoad().running, 1, 'a worker slot is taken for a 60-byte file');
    const read = await reading;
    assert.equal(read.summary.rowCount, 1);
    assert.deepEqual(parserLoad(), { running: 0, waiting: 0 });
  });

  test('a read over its time limit is stopped and refused with IMPORT_FILE_TOO_LARGE', async () => {
    await assert.rejects(
      readImportFileOffThread('small.csv', small, { hasHeaders: true, maxBytes: LIMIT, limits: { timeoutMs: 1 } }, { kind: 'summary' }),
      (err: Error & { code?: string }) => err.code === 'IMPORT_FILE_TOO_LARGE' && /longer than/.test(err.message),
    );
    assert.deepEqual(parserLoad(), { running: 0, waiting: 0 }, 'the slot is free again');
  });

  test('a read over its memory limit is stopped and refused with IMPORT_FILE_TOO_LARGE', async () => {
    const rows: string[][] = [['Case Name', 'village']];
    for (let i = 0; i < 100_000; i++) {
      rows.push([`Person ${i}`, `Village ${i}`]);
    }
    await assert.rejects(
      readImportFileOffThread('many.csv', csv(rows), { hasHeaders: true, maxBytes: 1e9, limits: { memoryMb: 12 } }, { kind: 'summary' }),
      (err: Error & { code?: string }) => err.code === 'IMPORT_FILE_TOO_LARGE' && /memory/.test(err.message),
    );
    assert.deepEqual(parserLoad(), { running: 0, waiting: 0 });
  });

  test('readers beyond the slots wait for one; all of them finish', async () => {
    const reads = Array.from({ length: 5 }, () => readImportFileOffThread('small.csv', small, { hasHeaders: true, maxBytes: LIMIT }, { kind: 'summary' }));
    const load = parserLoad();
    assert.ok(load.running >= 1 && load.waiting >= 1, JSON.stringify(load));
    assert.equal((await Promise.all(reads)).length, 5);
    assert.deepEqual(parserLoad(), { running: 0, waiting: 0 });
  });
});

describe('zip bombs', () => {
  test('parts that declare more than 100 times the file (at least 8 MiB) are refused before inflating; nothing kept', async () => {
    assert.equal(allowedUncompressed(50 * 1024), ZIP_LIMITS.minAllowanceBytes);
    assert.equal(allowedUncompressed(1024 * 1024), 100 * 1024 * 1024);
    assert.equal(allowedUncompressed(20 * 1024 * 1024), ZIP_LIMITS.maxUncompressedBytes);
    // 20 MB of zeros: under the old 256 MiB cap, 1,000 times the file's size.
    const zeros = Buffer.alloc(20 * 1000 * 1000);
    const bytes = zipOf([...workbookParts(workbook([['Case Name'], ['Zawadi']])), { name: 'xl/media/zeros.bin', data: zeros, deflated: zlib.deflateRawSync(zeros, { level: 9 }) }]);
    const before = await importCount();
    const res = await apiUpload(f.t.app, 'zeros.xlsx', bytes);
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().error.code, 'IMPORT_FILE_TOO_LARGE');
    assert.match(res.json().error.message, /expands to 19 MiB/);
    assert.equal(await importCount(), before);
  });

  test('a part that inflates to more than it declares is refused while inflating', async () => {
    const zeros = Buffer.alloc(5 * 1000 * 1000);
    const parts = workbookParts(workbook([['Case Name'], ['Zawadi']]));
    const bytes = zipOf([...parts, { name: 'xl/media/zeros.bin', data: zeros, declare: 100 }]);
    const res = await apiUpload(f.t.app, 'liar.xlsx', bytes);
    assert.equal(res.statusCode, 413, res.body);
    assert.match(res.json().error.message, /more than its zip directory says/);
    // Fewer bytes than declared: damaged.
    const short = zipOf([...parts, { name: 'xl/media/zeros.bin', data: zeros.subarray(0, 1000), declare: 2000 }]);
    const damaged = await apiUpload(f.t.app, 'short.xlsx', short);
    assert.equal(damaged.statusCode, 422, damaged.body);
    assert.equal(damaged.json().error.code, 'IMPORT_FILE_UNREADABLE');
  });

  test('a real workbook still reads, every sheet and cell (SheetJS gets it unpacked)', async () => {
    const res = await apiUpload(f.t.app, 'real.xlsx', workbook([['Case Name', 'contact_phone_number'], ['Zawadi', 254712900001]], 'xlsx', { Other: [['x'], ['y']] }));
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().sheets, ['Contacts', 'Other']);
    assert.deepEqual(res.json().sample, [['Zawadi', '254712900001']]);
  });
});

describe('long cells and samples', () => {
  let id = '';
  const huge = 'x'.repeat(600 * 1024);

  test('the sample kept and shown is capped; the list of imports stays small', async () => {
    const rows = [['Case Name', 'notes', 'other'], ['Long notes', huge, 'a'], ['Long name', 'short', 'b'], ['Fine', 'fine', 'c']];
    rows[2]![0] = 'N'.repeat(MAX_CELL + 10);
    const res = await apiUpload(f.t.app, 'long.csv', csv(rows));
    assert.equal(res.statusCode, 201, res.body);
    const up = res.json();
    id = up.id;
    assert.equal(up.rowCount, 3);
    for (const row of up.sample as string[][]) {
      for (const cell of row) {
        assert.ok(cell.length <= SAMPLE_CELL, `a sample cell of ${cell.length} characters`);
      }
    }
    assert.equal((up.sample as string[][])[0]?.[1], `${'x'.repeat(SAMPLE_CELL - 1)}…`);
    const stored = await f.t.deps.db.selectFrom('imports').select('sample').where('id', '=', id).executeTakeFirstOrThrow();
    assert.ok(JSON.stringify(stored.sample).length < SAMPLE_CHARS + 1024, 'the stored sample is capped');
    const list = await f.t.app.inject({ method: 'GET', url: '/api/v1/projects/alpha/imports', headers: { authorization: `Bearer ${f.creds.member.token}` } });
    assert.equal(list.statusCode, 200);
    assert.ok(list.body.length < 64 * 1024, `the import list is ${list.body.length} bytes`);
  });

  test('a cell over 32 KiB in a column the run uses fails its row with an error naming the column; in an ignored column it does not', async () => {
    const body = { caseType: 'note', createNew: true, matchBy: 'case_id', mapping: { 'Case Name': 'name', notes: 'notes' } };
    const dry = await f.t.app.inject({ method: 'POST', url: `/api/v1/projects/alpha/imports/${id}/run`, headers: { authorization: `Bearer ${f.creds.member.token}` }, payload: { ...body, dryRun: true } });
    assert.equal(dry.statusCode, 200, dry.body);
    const report = dry.json() as Json;
    assert.equal(report.result.created, 1, dry.body.slice(0, 500));
    assert.equal(report.result.failed, 2);
    const errors = report.result.errors as Json[];
    const notes = errors.find((e) => e.row === 2);
    assert.equal(notes?.column, 'notes');
    assert.equal(notes?.code, 'VALIDATION_ERROR');
    assert.match(notes?.message, /column "notes" holds 614,400 characters; a cell may hold at most 32,768/);
    assert.equal(errors.find((e) => e.row === 3)?.column, 'Case Name');
    // The same file with the long columns unmapped: every row is imported.
    const ignored = await f.t.app.inject({
      method: 'POST',
      url: `/api/v1/projects/alpha/imports/${id}/run`,
      headers: { authorization: `Bearer ${f.creds.member.token}` },
      payload: { caseType: 'note', createNew: true, mapping: { other: 'name' }, dryRun: true },
    });
    assert.equal(ignored.json().result.created, 3, ignored.body.slice(0, 500));
  });
});

describe('disk space reserved by uploads', () => {
  const MIN = 64 * 1024 * 1024;
  let free = MIN;
  let guard: StorageGuard;
  let app: FastifyInstance;
  const file = (n: number) => csv([['Case Name', 'pad'], ...Array.from({ length: 4 }, (_, i) => [`Person ${n}-${i}`, 'p'.repeat(60_000)])]);

  before(async () => {
    guard = createStorageGuard('/data', MIN, { everyMs: 0, statfs: () => ({ bavail: free, bsize: 1 }) });
    app = await buildApp({ config: f.t.config, services: f.t.deps, logger: pino({ level: 'silent' }), storage: guard, isReady: async () => true });
  });
  after(() => app.close());

  test('the guard adds reservations up and refuses one that would go below the reserve', () => {
    free = MIN + 1000;
    const a = guard.reserve(600);
    assert.ok(a);
    assert.equal(guard.reserve(600), null, '600 + 600 > 1000');
    assert.equal(a.grow(1000), true);
    assert.equal(a.grow(1001), false);
    assert.equal(guard.reserved(), 1000);
    a.release();
    a.release();
    assert.equal(guard.reserved(), 0);
    assert.ok(guard.reserve(1000)?.release() === undefined);
  });

  test('six concurrent uploads where free space holds two: the rest get 507 STORAGE_FULL, nothing of them kept', async () => {
    const size = file(0).length;
    // Room for two uploads' reservations (twice their size each: the log and the table), not three.
    free = MIN + 2 * 2 * (size + 1024) + size;
    const before = await importCount();
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => apiUpload(app, `disk-${n}.csv`, file(n))));
    const accepted = results.filter((r) => r.statusCode === 201);
    const refused = results.filter((r) => r.statusCode !== 201);
    assert.ok(accepted.length >= 1 && accepted.length <= 2, results.map((r) => `${r.statusCode} ${r.body.slice(0, 120)}`).join('\n'));
    for (const r of refused) {
      assert.equal(r.statusCode, 507, r.body);
      assert.equal(r.json().error.code, 'STORAGE_FULL');
      assert.match(r.json().error.message, /too little free space for this upload/);
    }
    assert.equal(await importCount(), before + accepted.length, 'only the accepted uploads are kept');
    assert.equal(guard.reserved(), 0, 'every reservation was released');
    assert.equal((await apiUpload(app, 'after.csv', file(7))).statusCode, 201, 'with the others done, an upload fits again');
  });

  test('an upload in progress holds its space: the UI and the API refuse another until it is released', async () => {
    const size = file(0).length;
    free = MIN + 3 * size;
    const held = guard.reserve(2 * size);
    assert.ok(held);
    const before = await importCount();
    const api = await apiUpload(app, 'held.csv', file(8));
    assert.equal(api.statusCode, 507, api.body);
    const c = f.creds.admin;
    const form = multipart({ name: 'held-ui.csv', bytes: file(9) }, { _csrf: c.csrf });
    const ui = await app.inject({ method: 'POST', url: '/ui/p/alpha/imports', headers: { ...form.headers, cookie: c.cookie as string }, payload: form.body });
    assert.equal(ui.statusCode, 507, ui.body.slice(0, 300));
    assert.match(ui.body, /too little free space/);
    assert.equal(await importCount(), before);
    held.release();
    assert.equal((await apiUpload(app, 'released.csv', file(10))).statusCode, 201);
    assert.equal(guard.reserved(), 0);
  });
});
