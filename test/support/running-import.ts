/**
 * Uploading an import through the API, and an import made `running` the way POST …/run makes it, but with no job: no runner has it, so a
 * test decides what happens next (apply it by calling the job's function, or sweep it as stalled).
 */
import assert from 'node:assert/strict';

import { checkRunOptions } from '../../src/services/imports.service.ts';
import { startImport } from '../../src/store/import.store.ts';
import { csv, multipart } from './import-files.ts';
import type { TestApp } from './test-app.ts';

/** Uploads a file to `project` through the API (as the superuser), asserting the 201; the import it made. */
export async function uploadImport(t: TestApp, project: string, name: string, bytes: Buffer, fields: Record<string, string> = {}): Promise<Record<string, any>> {
  const form = multipart({ name, bytes }, fields);
  const res = await t.request('POST', `/api/v1/projects/${project}/imports`, { body: form.body, headers: form.headers });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

/** Uploads `rows` (a header row first) as a CSV to `project` and starts it; returns the import id. */
export async function runningImport(t: TestApp, project: string, rows: string[][]): Promise<string> {
  const up = await uploadImport(t, project, 'people.csv', csv(rows));
  const id = up.id as string;
  const options = checkRunOptions(up.columns, { caseType: 'person', matchBy: 'case_id', createNew: true, mapping: up.suggestedMapping });
  assert.ok(await t.handle.db.transaction().execute((trx) => startImport(trx, id, options as unknown as Record<string, unknown>, new Date())));
  return id;
}
