/**
 * A crash loop is stopped: an import whose runner dies again and again at the same row (a file that
 * exhausts the memory of every process that runs it) is taken over at most MAX_STALLED_RESUMES
 * times at that row, then failed with IMPORT_INTERRUPTED; a runner that got further resets the
 * count. The take-over sweep runs here against the real pg-boss schema with a queue that records
 * what it would enqueue, so no runner ever picks the import up (each take-over "dies").
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import { errorCatalogue } from '../src/errors.ts';
import type { ServiceDeps } from '../src/services/deps.ts';
import { MAX_STALLED_RESUMES, resumeStalledImports } from '../src/services/imports.service.ts';
import { runningImport } from './support/running-import.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let deps: ServiceDeps;
const enqueued: string[] = [];
before(async () => {
  t = await createTestApp({ jobs: true });
  await t.createProject('looping', { defaultCountry: 'KE' });
  deps = { ...t.deps, queue: { enqueue: (_trx, _name, data) => Promise.resolve(void enqueued.push((data as { importId: string }).importId)) } };
});
after(() => t.close());

function startedImport(): Promise<string> {
  const rows = [['Case Name', 'contact_phone_number'], ...Array.from({ length: 10 }, (_, i) => [`Person ${i}`, `07123456${String(i).padStart(2, '0')}`])];
  return runningImport(t, 'looping', rows);
}

const view = async (id: string) => (await t.request('GET', `/api/v1/projects/looping/imports/${id}`)).json() as Record<string, any>;
const takeOvers = (id: string) => enqueued.filter((x) => x === id).length;

test(`an import taken over ${MAX_STALLED_RESUMES} times at one row fails with IMPORT_INTERRUPTED the next time`, async () => {
  const id = await startedImport();
  await sql`update imports set cursor = 4 where id = ${id}`.execute(t.handle.db);
  for (let n = 1; n <= MAX_STALLED_RESUMES; n++) {
    await resumeStalledImports(deps, 0);
    assert.equal(takeOvers(id), n);
    assert.equal((await view(id)).status, 'running');
  }
  assert.equal(await resumeStalledImports(deps, 0), 0);
  assert.equal(takeOvers(id), MAX_STALLED_RESUMES, 'no runner is started again');
  const v = await view(id);
  assert.equal(v.status, 'failed');
  assert.equal(v.errorCode, 'IMPORT_INTERRUPTED');
  assert.ok(v.error.startsWith(errorCatalogue.IMPORT_INTERRUPTED), v.error);
  assert.match(v.error, /after 4 of its 10 rows/);
  assert.ok(v.finishedAt);
  // A failed import is not swept again.
  await resumeStalledImports(deps, 0);
  assert.equal(takeOvers(id), MAX_STALLED_RESUMES);
});

test('a runner that got further between take-overs starts the count again', async () => {
  const id = await startedImport();
  for (let n = 1; n <= MAX_STALLED_RESUMES; n++) {
    await resumeStalledImports(deps, 0);
  }
  // The last runner committed one more chunk before it died.
  await sql`update imports set cursor = cursor + 5 where id = ${id}`.execute(t.handle.db);
  for (let n = 1; n <= MAX_STALLED_RESUMES; n++) {
    await resumeStalledImports(deps, 0);
    assert.equal((await view(id)).status, 'running');
  }
  assert.equal(takeOvers(id), 2 * MAX_STALLED_RESUMES);
  await resumeStalledImports(deps, 0);
  assert.equal((await view(id)).errorCode, 'IMPORT_INTERRUPTED');
});

test('an import with progress inside the lease is neither taken over nor counted', async () => {
  const id = await startedImport();
  assert.equal(await resumeStalledImports(deps, 60_000), 0);
  assert.equal(takeOvers(id), 0);
  const row = await t.handle.db.selectFrom('imports').select(['stalled_resumes', 'resumed_at_cursor']).where('id', '=', id).executeTakeFirstOrThrow();
  assert.deepEqual(row, { stalled_resumes: 0, resumed_at_cursor: null });
});
