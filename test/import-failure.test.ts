/**
 * A failed import says what stopped it with a catalogue code and a description (issue 6: "a crash
 * mid-import resumes or is cleanly reported"). The run is applied here by calling the job's
 * function, without the queue, after the stored state was damaged the way a fault would leave it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import { errorCatalogue } from '../src/errors.ts';
import { processImport } from '../src/services/imports.service.ts';
import * as m0008 from '../src/store/migrations/0008-import-error-code.ts';
import { runningImport } from './support/running-import.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp();
  await t.createProject('broken', { defaultCountry: 'KE' });
});
after(() => t.close());

function startedImport(): Promise<string> {
  return runningImport(t, 'broken', [['Case Name', 'contact_phone_number'], ['Amina', '0712345678'], ['Baraka', '0712345679']]);
}

async function view(id: string): Promise<Record<string, any>> {
  return (await t.request('GET', `/api/v1/projects/broken/imports/${id}`)).json();
}

test('an import whose kept file is gone fails with NOT_FOUND and says so', async () => {
  const id = await startedImport();
  await sql`delete from import_file_parts where import_id = ${id}`.execute(t.handle.db);
  await assert.rejects(processImport(t.deps, id));
  const v = await view(id);
  assert.equal(v.status, 'failed');
  assert.equal(v.errorCode, 'NOT_FOUND');
  assert.equal(v.error, 'The import file is gone.');
  assert.ok(v.finishedAt);
});

test('an unexpected failure is INTERNAL_ERROR with the catalogue words and the cause', async () => {
  const id = await startedImport();
  // Options no run would store: the drafting code meets a mapping that is not an object.
  await sql`update imports set options = ${JSON.stringify({ target: 'cases', caseType: 'person', createNew: true, matchBy: 'case_id', matchColumn: null, mapping: null })}::jsonb where id = ${id}`.execute(t.handle.db);
  await assert.rejects(processImport(t.deps, id));
  const v = await view(id);
  assert.equal(v.status, 'failed');
  assert.equal(v.errorCode, 'INTERNAL_ERROR');
  assert.ok(v.error.startsWith(`${errorCatalogue.INTERNAL_ERROR} (`), v.error);
});

test('a finished import has no error and no error code', async () => {
  const id = await startedImport();
  await processImport(t.deps, id);
  const v = await view(id);
  assert.equal(v.status, 'done');
  assert.equal(v.errorCode, null);
  assert.equal(v.error, null);
});

test('migration 0008 gives imports that failed before it the code INTERNAL_ERROR', async () => {
  const failed = await startedImport();
  await sql`delete from import_file_parts where import_id = ${failed}`.execute(t.handle.db);
  await assert.rejects(processImport(t.deps, failed));
  const done = await startedImport();
  await processImport(t.deps, done);
  // The table as it was before 0008, then the migration again.
  await sql`alter table imports drop column error_code`.execute(t.handle.db);
  await m0008.up(t.handle.db as never);
  assert.equal((await view(failed)).errorCode, 'INTERNAL_ERROR');
  assert.equal((await view(done)).errorCode, null);
});
