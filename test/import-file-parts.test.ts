/**
 * The kept upload of an import, stored in parts (store/migrations/0007, services/import-kept-file):
 * a file larger than several parts goes in whole and comes back byte for byte for its dry run and
 * run; parts left by an upload cut short are deleted by a later upload once they are old; and the
 * migration moves files kept by earlier versions (one bytea on the import row) into parts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';

import { PGlite } from '@electric-sql/pglite';
import { type Kysely, sql } from 'kysely';

import { FILE_PART_BYTES } from '../src/services/import-kept-file.ts';
import { openDatabase } from '../src/store/connection.ts';
import * as m0001 from '../src/store/migrations/0001-foundation.ts';
import * as m0002 from '../src/store/migrations/0002-messaging.ts';
import * as m0003 from '../src/store/migrations/0003-inbound.ts';
import * as m0005 from '../src/store/migrations/0005-imports.ts';
import * as m0006 from '../src/store/migrations/0006-surveys.ts';
import * as m0007 from '../src/store/migrations/0007-import-file-parts.ts';
import { type Cell, csv, multipart } from './support/import-files.ts';
import { uploadImport } from './support/running-import.ts';
import { createServerDatabase } from './support/test-db.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;

before(async () => {
  t = await createTestApp({ jobs: true });
  await t.createProject('parts', { defaultCountry: 'KE' });
});
after(() => t.close());

function upload(name: string, bytes: Buffer): Promise<Json> {
  return uploadImport(t, 'parts', name, bytes);
}

async function partsOf(importId: string): Promise<{ part: number; size: number }[]> {
  const r = await sql<{ part: number; size: number }>`select part, octet_length(bytes) as size from import_file_parts where import_id = ${importId} order by part`.execute(t.deps.db);
  return r.rows.map((x) => ({ part: Number(x.part), size: Number(x.size) }));
}

/** A CSV of `n` rows with a valid Kenyan number each, padded to make the file large. */
function bigCsv(n: number): Buffer {
  const rows: Cell[][] = [['Case Name', 'contact_phone_number', 'notes']];
  for (let i = 0; i < n; i++) {
    rows.push([`Person ${i}`, `07${String(20_000_000 + i)}`, 'x'.repeat(200)]);
  }
  return csv(rows);
}

test('a file of several parts is kept whole and read back for the dry run and the run', async () => {
  const bytes = bigCsv(6000);
  assert.ok(bytes.length > 2 * FILE_PART_BYTES, `the file (${bytes.length} bytes) spans at least three parts`);
  const up = await upload('big.csv', bytes);
  const parts = await partsOf(up.id);
  assert.deepEqual(
    parts.map((p) => p.part),
    parts.map((_, i) => i),
    'parts are numbered from 0 without gaps',
  );
  assert.equal(parts.length, Math.ceil(bytes.length / FILE_PART_BYTES));
  assert.ok(parts.slice(0, -1).every((p) => p.size === FILE_PART_BYTES));
  const stored = await sql<{ bytes: Buffer }>`select string_agg(bytes, ''::bytea order by part) as bytes from import_file_parts where import_id = ${up.id}`.execute(t.deps.db);
  assert.ok(Buffer.from(stored.rows[0]!.bytes).equals(bytes), 'the parts put together are the uploaded file');

  const body = { caseType: 'contact', matchBy: up.suggestedMatchBy, matchColumn: up.suggestedMatchColumn, createNew: true, mapping: up.suggestedMapping };
  const dry = await t.request('POST', `/api/v1/projects/parts/imports/${up.id}/run`, { body: { ...body, dryRun: true } });
  assert.equal(dry.statusCode, 200, dry.body);
  assert.equal(dry.json().result.created, 6000);
  const run = await t.request('POST', `/api/v1/projects/parts/imports/${up.id}/run`, { body });
  assert.equal(run.statusCode, 202, run.body);
  const deadline = Date.now() + 120_000;
  let view: Json = run.json();
  while (view.status === 'running' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    view = (await t.request('GET', `/api/v1/projects/parts/imports/${up.id}`)).json();
  }
  assert.equal(view.status, 'done', JSON.stringify(view).slice(0, 300));
  assert.equal(view.result.created, 6000);
});

test('parts of an upload cut short are deleted by a later upload once an hour old; fresh ones are kept', async () => {
  const project = (await sql<{ id: string }>`select id from projects where name = 'parts'`.execute(t.deps.db)).rows[0]!.id;
  const old = randomUUID();
  const fresh = randomUUID();
  await sql`insert into import_file_parts (import_id, part, project_id, bytes, created_at) values
    (${old}, 0, ${project}, ${Buffer.from('old')}, now() - interval '2 hours'),
    (${old}, 1, ${project}, ${Buffer.from('old')}, now() - interval '2 hours'),
    (${fresh}, 0, ${project}, ${Buffer.from('new')}, now())`.execute(t.deps.db);
  const up = await upload('small.csv', csv([['Case Name'], ['Amina']]));
  assert.equal((await partsOf(old)).length, 0, 'the old orphan parts are gone');
  assert.equal((await partsOf(fresh)).length, 1, 'parts of an upload that may still be going on stay');
  assert.equal((await partsOf(up.id)).length, 1, 'the new upload is kept');
});

test('a refused upload keeps no parts', async () => {
  const before = Number((await sql<{ n: string }>`select count(*) as n from import_file_parts`.execute(t.deps.db)).rows[0]!.n);
  const form = multipart({ name: 'broken.xlsx', bytes: Buffer.from('this is not a workbook at all') });
  const res = await t.request('POST', '/api/v1/projects/parts/imports', { body: form.body, headers: form.headers });
  assert.equal(res.statusCode, 422, res.body);
  assert.equal(res.json().error.code, 'IMPORT_FILE_UNREADABLE');
  const after = Number((await sql<{ n: string }>`select count(*) as n from import_file_parts`.execute(t.deps.db)).rows[0]!.n);
  assert.equal(after, before);
});

test('migration 0007 moves files kept on the import row into parts', async () => {
  const server = await createServerDatabase();
  const handle = server ? await openDatabase({ databaseUrl: server.url }) : await openDatabase({ pglite: await PGlite.create() });
  const db = handle.db as unknown as Kysely<unknown>;
  try {
    for (const m of [m0001, m0002, m0003, m0005, m0006]) {
      await m.up(db);
    }
    const file = Buffer.from('Case Name\r\nAmina\r\n');
    const project = (await sql<{ id: string }>`insert into projects (name) values ('old') returning id`.execute(db)).rows[0]!.id;
    const imp = (
      await sql<{ id: string }>`insert into imports (project_id, file_name, file_type, file_bytes, has_headers, columns, row_count)
        values (${project}, 'old.csv', 'csv', ${file}, true, '["Case Name"]', 1) returning id`.execute(db)
    ).rows[0]!.id;
    await m0007.up(db);
    const parts = await sql<{ part: number; bytes: Buffer; project_id: string }>`select part, bytes, project_id from import_file_parts where import_id = ${imp}`.execute(db);
    assert.equal(parts.rows.length, 1);
    assert.equal(Number(parts.rows[0]!.part), 0);
    assert.equal(parts.rows[0]!.project_id, project);
    assert.ok(Buffer.from(parts.rows[0]!.bytes).equals(file));
    const column = await sql`select 1 from information_schema.columns where table_name = 'imports' and column_name = 'file_bytes'`.execute(db);
    assert.equal(column.rows.length, 0, 'the old column is gone');
  } finally {
    await handle.close();
    await server?.drop();
  }
});
