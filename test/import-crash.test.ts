/**
 * Kill -9 of the server in the middle of an import (a real `rollcall serve` child): a 20,000-row CSV
 * is uploaded and run, the server is killed once some chunks are in, and a new server is started on
 * the same database. The import must end `done` on its own (not stay `running` until pg-boss expires
 * the dead process's job, 15 minutes later), no row may be imported twice, and the counts it reports
 * must equal the cases in the database. Runs on the embedded database and, with
 * ROLLCALL_TEST_DATABASE_URL, on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { api, type Child, freePort, kill, spawnRollcall, tempDir, waitFor, waitHealthy } from './support/child-server.ts';
import { csv, multipart } from './support/import-files.ts';
import { createServerDatabase, onPostgres } from './support/test-db.ts';

const children: Child[] = [];
let dropDb: (() => Promise<void>) | null = null;
after(async () => {
  for (const c of children) {
    await kill(c);
  }
  await dropDb?.();
});

const ROWS = 20_000;

test('a server killed mid-import resumes it after restart: every row once, counts equal the database', { timeout: 150_000 }, async () => {
  const pg = await createServerDatabase();
  dropDb = pg?.drop ?? null;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    DATA_DIR: tempDir('rollcall-import-crash-'),
    ROLLCALL_ADMIN_EMAIL: 'admin@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'admin-password',
    ROLLCALL_SECRET_KEY: 'e'.repeat(64),
    // On PostgreSQL another process may still be running an import when a server starts, so a
    // running import is taken over only after its runner made no progress for this long.
    ROLLCALL_IMPORT_LEASE_MS: '3000',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  const first = spawnRollcall('serve', env);
  children.push(first);
  await waitHealthy(base, first);
  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token as string;
  assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'crash', defaultCountry: 'KE' })).status, 201);

  const rows = [['external_id', 'Name', 'contact_phone_number', 'village']];
  for (let i = 0; i < ROWS; i++) {
    rows.push([`ext-${i}`, `Person ${i}`, `+2547${String(10_000_000 + i)}`, `v${i % 50}`]);
  }
  const form = multipart({ name: 'people.csv', bytes: csv(rows) });
  const upload = await fetch(`${base}/api/v1/projects/crash/imports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...form.headers }, body: new Uint8Array(form.body) });
  assert.equal(upload.status, 201, await upload.clone().text());
  const id = ((await upload.json()) as { id: string; rowCount: number }).id;
  const run = await api(base, token, 'POST', `/api/v1/projects/crash/imports/${id}/run`, {
    caseType: 'person',
    matchBy: 'external_id',
    matchColumn: 'external_id',
    createNew: true,
    mapping: { Name: 'name', contact_phone_number: 'contact_phone_number', village: 'village' },
  });
  assert.equal(run.status, 202, JSON.stringify(run.json));

  // Kill -9 once some chunks are committed, well before the end.
  const before = await waitFor(
    'the first chunks',
    async () => {
      const v = (await api(base, token, 'GET', `/api/v1/projects/crash/imports/${id}`)).json;
      assert.equal(v.status, 'running', JSON.stringify(v));
      return v.progress.done >= 1000 ? v : null;
    },
    60_000,
    50,
  );
  await kill(first);
  assert.ok(before.progress.done < ROWS, `killed mid-import (at ${before.progress.done} of ${ROWS})`);

  const started = Date.now();
  const second = spawnRollcall('serve', env);
  children.push(second);
  await waitHealthy(base, second);
  let last: unknown = null;
  const end = await waitFor(
    'the import to end after the restart',
    async () => {
      const v = (await api(base, token, 'GET', `/api/v1/projects/crash/imports/${id}`)).json;
      last = { status: v.status, progress: v.progress, error: v.error };
      return v.status === 'running' ? null : v;
    },
    90_000,
    250,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen ${JSON.stringify(last)}; server output: ${second.output().slice(-2000)}`);
  });
  assert.equal(end.status, 'done', JSON.stringify({ ...end, sample: undefined }));
  assert.deepEqual(end.progress, { done: ROWS, total: ROWS });
  assert.deepEqual({ created: end.result.created, updated: end.result.updated, skipped: end.result.skipped, failed: end.result.failed }, { created: ROWS, updated: 0, skipped: 0, failed: 0 });
  assert.equal(end.result.errorCount, 0, JSON.stringify(end.result.errors.slice(0, 5)));
  const progress = (Date.now() - started) / 1000;
  assert.ok(progress < 90, `resumed in ${progress} s`);

  // What is in the database: every external id exactly once, as many cases as reported created.
  const seen = new Map<string, number>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: { json: { items: Array<{ externalId: string | null; contact?: { phoneNumber?: string } }>; nextCursor: string | null } } = await api(
      base,
      token,
      'GET',
      `/api/v1/projects/crash/cases?caseType=person&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const c of page.json.items) {
      seen.set(c.externalId ?? '', (seen.get(c.externalId ?? '') ?? 0) + 1);
    }
    cursor = page.json.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  const twice = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no row imported twice');
  assert.equal([...seen.values()].reduce((a, b) => a + b, 0), ROWS, 'cases in the database = rows reported imported');
  for (const i of [0, before.progress.done - 1, before.progress.done, ROWS - 1]) {
    assert.equal(seen.get(`ext-${i}`), 1, `ext-${i}`);
  }
  // A finished import cannot be run again (API.md: upload the file again to import it once more).
  const again = await api(base, token, 'POST', `/api/v1/projects/crash/imports/${id}/run`, { caseType: 'person', matchBy: 'external_id', matchColumn: 'external_id', mapping: {} });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'CONFLICT');
  await kill(second, 'SIGTERM');
  console.log(`# import-crash (${onPostgres ? 'PostgreSQL' : 'PGlite'}): killed at ${before.progress.done}/${ROWS}, done ${progress.toFixed(1)} s after the restart`);
});
