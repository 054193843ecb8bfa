/**
 * Files an import must refuse (each with its code, nothing stored), sheets and header options, and
 * restart safety of a run: a worker that dies between chunks, a chunk rolled back, two workers on
 * one import, the job run again after the end — never a row applied twice.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';

import type { Db } from '../src/store/database.ts';
import { WORKER_THRESHOLD } from '../src/services/import-file.ts';
import { processImport } from '../src/services/imports.service.ts';
import { startImport } from '../src/store/import.store.ts';
import { type Cell, csv, encryptedWorkbook, multipart, workbook, zipBomb } from './support/import-files.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;

before(async () => {
  t = await createTestApp({ config: { importMaxBytes: 2 * 1024 * 1024 } });
  await t.createProject('files', { defaultCountry: 'KE' });
});
after(() => t.close());

function send(name: string, bytes: Buffer, fields: Record<string, string> = {}) {
  const form = multipart({ name, bytes }, fields);
  return t.request('POST', '/api/v1/projects/files/imports', { body: form.body, headers: form.headers });
}

async function imports(): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from imports`.execute(t.deps.db);
  return Number(r.rows[0]?.n);
}

describe('import files: refused with a code, nothing stored', () => {
  const wide = [Array.from({ length: 301 }, (_, i) => `c${i}`), Array.from({ length: 301 }, () => 'x')];
  const cases: [string, string, () => Buffer, number, string][] = [
    ['random bytes named .xlsx', 'contacts.xlsx', () => randomBytes(4096), 422, 'IMPORT_FILE_UNREADABLE'],
    ['random bytes named .xls', 'contacts.xls', () => randomBytes(4096), 422, 'IMPORT_FILE_UNREADABLE'],
    ['a truncated workbook', 'cut.xlsx', () => workbook([['a'], ['b']]).subarray(0, 600), 422, 'IMPORT_FILE_UNREADABLE'],
    ['a zip bomb', 'bomb.xlsx', zipBomb, 413, 'IMPORT_FILE_TOO_LARGE'],
    ['a password-protected workbook', 'secret.xlsx', encryptedWorkbook, 422, 'IMPORT_FILE_ENCRYPTED'],
    ['an empty file', 'empty.csv', () => Buffer.alloc(0), 422, 'IMPORT_FILE_EMPTY'],
    ['a header and no rows', 'head.xlsx', () => workbook([['Case Name', 'contact_phone_number']]), 422, 'IMPORT_FILE_EMPTY'],
    ['301 columns', 'wide.xlsx', () => workbook(wide), 422, 'IMPORT_TOO_MANY_COLUMNS'],
    ['100,001 rows', 'long.csv', () => Buffer.from('name\n' + 'x\n'.repeat(100_001)), 422, 'IMPORT_TOO_MANY_ROWS'],
    ['a duplicate header', 'dup.csv', () => csv([['Name', 'name'], ['a', 'b']]), 422, 'IMPORT_DUPLICATE_HEADER'],
    ['data under an empty header', 'blank.csv', () => csv([['Name', ''], ['a', 'b']]), 422, 'IMPORT_EMPTY_HEADER'],
    ['a CSV that is not UTF-8', 'latin.csv', () => Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x0a, 0xe9, 0x0a]), 422, 'IMPORT_FILE_UNREADABLE'],
    ['a text file', 'notes.txt', () => Buffer.from('hello'), 415, 'IMPORT_UNSUPPORTED_TYPE'],
    ['over the byte limit', 'big.csv', () => Buffer.from('name\n' + 'y'.repeat(3 * 1024 * 1024) + '\n'), 413, 'IMPORT_FILE_TOO_LARGE'],
  ];
  for (const [label, name, make, status, code] of cases) {
    test(label, async () => {
      const before = await imports();
      const res = await send(name, make());
      assert.equal(res.statusCode, status, res.body);
      assert.equal(res.json().error.code, code, res.body);
      assert.ok(res.json().error.message.length > 10);
      assert.equal(await imports(), before);
    });
  }

  test('a large file is read in a worker thread, with the same result and the same refusals', async () => {
    const rows: Cell[][] = [['Case Name', 'contact_phone_number']];
    for (let i = 0; i < 30_000; i++) {
      rows.push([`Person ${i}`, 254712000000 + i]);
    }
    const bytes = csv(rows);
    assert.ok(bytes.length >= WORKER_THRESHOLD, `${bytes.length} bytes`);
    const res = await send('large.csv', bytes);
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().rowCount, 30_000);
    assert.deepEqual(res.json().sample[0], ['Person 0', '254712000000']);
    const bad = await send('large-bad.xlsx', randomBytes(WORKER_THRESHOLD + 10));
    assert.equal(bad.json().error.code, 'IMPORT_FILE_UNREADABLE');
  });

  test('no file part, or a JSON body, is refused', async () => {
    const form = multipart({ name: 'a.csv', bytes: Buffer.from('a\n1\n') });
    const wrongField = Buffer.from(form.body.toString('latin1').replace('name="file"', 'name="other"'), 'latin1');
    const res = await t.request('POST', '/api/v1/projects/files/imports', { body: wrongField, headers: form.headers });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'VALIDATION_ERROR');
    const json = await t.request('POST', '/api/v1/projects/files/imports', { body: { file: 'x' } });
    assert.equal(json.statusCode, 400);
    const form2 = await t.request('POST', '/api/v1/projects/files/imports', { body: 'file=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form2.statusCode, 415);
  });

  test('the file name keeps only its base name; other sheets and no header row can be chosen', async () => {
    const bytes = workbook([['first'], ['1']], 'xlsx', { Second: [['254712900001', 'Zawadi']] });
    const res = await send('..\\..\\etc/passwd/../contacts.xlsx', bytes, { sheet: 'Second', hasHeaders: 'false' });
    assert.equal(res.statusCode, 201, res.body);
    const up = res.json();
    assert.equal(up.fileName, 'contacts.xlsx');
    assert.deepEqual(up.sheets, ['Contacts', 'Second']);
    assert.equal(up.sheet, 'Second');
    assert.deepEqual(up.columns, ['Column A', 'Column B']);
    assert.deepEqual(up.sample, [['254712900001', 'Zawadi']]);
    const missing = await send('contacts.xlsx', bytes, { sheet: 'Nope' });
    assert.equal(missing.json().error.code, 'IMPORT_SHEET_NOT_FOUND');
  });
});

describe('import runs: restart safety', () => {
  const ROWS = 7;
  function file(tag: string): Buffer {
    const rows: Cell[][] = [['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified']];
    for (let i = 1; i <= ROWS; i++) {
      rows.push([`${tag} ${i}`, `+2547131${tag.length}${String(i).padStart(4, '0')}`, '1']);
    }
    return csv(rows);
  }

  /** Uploads and marks the import running (as POST …/run does, without a queue in this app). */
  async function running(tag: string): Promise<string> {
    const res = await send(`${tag}.csv`, file(tag));
    assert.equal(res.statusCode, 201, res.body);
    const up = res.json();
    const options = { target: 'cases', caseType: tag, matchBy: 'case_id', matchColumn: null, createNew: true, mapping: up.suggestedMapping };
    await t.deps.db.transaction().execute((trx) => startImport(trx, up.id, options, new Date()));
    return up.id;
  }

  async function state(tag: string, id: string): Promise<{ cases: number; events: number; view: Json }> {
    const cases = await sql<{ n: string }>`select count(*) as n from cases where case_type = ${tag}`.execute(t.deps.db);
    const events = await sql<{ n: string }>`select count(*) as n from consent_events where source->>'importId' = ${id}`.execute(t.deps.db);
    return { cases: Number(cases.rows[0]?.n), events: Number(events.rows[0]?.n), view: (await t.request('GET', `/api/v1/projects/files/imports/${id}`)).json() };
  }

  /** A database whose transactions stop at the n-th: `hang` never starts it (the process died), `rollback` fails it after its work. */
  function failingDb(n: number, how: 'hang' | 'rollback'): Db {
    let calls = 0;
    const db = t.deps.db;
    return new Proxy(db, {
      get(target, prop) {
        if (prop !== 'transaction') {
          // Bound to the real instance: Kysely's private fields do not exist on the proxy.
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return () => ({
          execute: async <T,>(fn: (trx: never) => Promise<T>): Promise<T> => {
            calls++;
            if (how === 'hang' && calls === n) {
              return new Promise<T>(() => {});
            }
            const nth = calls;
            return target.transaction().execute(async (trx) => {
              const out = await fn(trx as never);
              if (how === 'rollback' && nth === n) {
                throw new Error('simulated failure before commit');
              }
              return out;
            });
          },
        });
      },
    });
  }

  test('a worker that dies between chunks: the next run resumes at the cursor, nothing twice', async () => {
    const id = await running('resume');
    const deps = { ...t.deps, db: failingDb(2, 'hang'), imports: { ...t.deps.imports, chunkRows: 3 } };
    void processImport(deps, id);
    for (let i = 0; i < 200 && (await state('resume', id)).view.progress.done < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const mid = await state('resume', id);
    assert.deepEqual([mid.cases, mid.events, mid.view.status, mid.view.progress.done], [3, 3, 'running', 3]);
    await processImport({ ...t.deps, imports: { ...t.deps.imports, chunkRows: 3 } }, id);
    const end = await state('resume', id);
    assert.deepEqual([end.cases, end.events, end.view.status, end.view.result.created], [ROWS, ROWS, 'done', ROWS]);
    // The job delivered again after the end does nothing.
    await processImport(t.deps, id);
    assert.equal((await state('resume', id)).cases, ROWS);
  });

  test('a chunk that fails before commit leaves nothing of itself; its rows are then applied one by one', async () => {
    const id = await running('rollback');
    await processImport({ ...t.deps, db: failingDb(2, 'rollback'), imports: { ...t.deps.imports, chunkRows: 3 } }, id);
    const end = await state('rollback', id);
    assert.deepEqual([end.cases, end.events, end.view.status, end.view.result.created, end.view.result.failed], [ROWS, ROWS, 'done', ROWS, 0]);
  });

  test('two workers on the same import take turns and apply each row once', async () => {
    const id = await running('pair');
    const deps = { ...t.deps, imports: { ...t.deps.imports, chunkRows: 2 } };
    await Promise.all([processImport(deps, id), processImport(deps, id)]);
    const end = await state('pair', id);
    assert.deepEqual([end.cases, end.events, end.view.result.created], [ROWS, ROWS, ROWS]);
  });
});
