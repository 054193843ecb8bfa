/**
 * Kill -9 of the server while it evaluates a new reminder rule over 10,000 cases (a real `rollcall
 * serve` child, whose worker loop runs the evaluation): a new server on the same database finishes
 * it, and in the end every case has exactly its two scheduled sends — none lost, none twice — and
 * the rule's progress counts each case once. Runs on the embedded database and, with
 * ROLLCALL_TEST_DATABASE_URL, on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { sql } from 'kysely';

import { openDatabase } from '../src/store/connection.ts';
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

const CASES = 10_000;

test('a server killed during a rule evaluation: the next one finishes it, every case scheduled once', { timeout: 240_000 }, async () => {
  const pg = await createServerDatabase();
  dropDb = pg?.drop ?? null;
  const dataDir = tempDir('rollcall-reminder-crash-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    DATA_DIR: dataDir,
    ROLLCALL_ADMIN_EMAIL: 'admin@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'admin-password',
    ROLLCALL_SECRET_KEY: 'e'.repeat(64),
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  const first = spawnRollcall('serve', env);
  children.push(first);
  await waitHealthy(base, first);
  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token as string;
  assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'crash', defaultCountry: 'KE', timeZone: 'Africa/Nairobi' })).status, 201);

  // 10,000 cases through an import, each with its visit date.
  const rows = [['Name', 'next_visit_date']];
  for (let i = 0; i < CASES; i++) {
    rows.push([`Mother ${i}`, `2027-0${1 + (i % 9)}-${String(10 + (i % 18)).padStart(2, '0')}`]);
  }
  const form = multipart({ name: 'mothers.csv', bytes: csv(rows) });
  const upload = await fetch(`${base}/api/v1/projects/crash/imports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...form.headers }, body: new Uint8Array(form.body) });
  assert.equal(upload.status, 201, await upload.clone().text());
  const importId = ((await upload.json()) as { id: string }).id;
  const run = await api(base, token, 'POST', `/api/v1/projects/crash/imports/${importId}/run`, { caseType: 'pregnancy', createNew: true, mapping: { Name: 'name', next_visit_date: 'next_visit_date' } });
  assert.equal(run.status, 202, JSON.stringify(run.json));
  await waitFor('the import', async () => (await api(base, token, 'GET', `/api/v1/projects/crash/imports/${importId}`)).json.status === 'done', 120_000, 200);

  const created = await api(base, token, 'POST', '/api/v1/projects/crash/reminder-rules', {
    name: 'ANC visit',
    caseType: 'pregnancy',
    conditions: [{ property: 'next_visit_date', op: 'set' }],
    content: { text: 'Your visit is on {next_visit_date}' },
    schedule: { type: 'offsets', startProperty: 'next_visit_date', offsets: [{ days: -7, time: '09:00' }, { days: -1, time: '09:00' }] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const ruleId = created.json.id as string;
  const rule = `/api/v1/projects/crash/reminder-rules/${ruleId}`;
  const killedAt = await waitFor(
    'the evaluation to be under way',
    async () => {
      const e = (await api(base, token, 'GET', rule)).json.evaluation;
      return e.done > 0 && e.done < CASES ? e.done : null;
    },
    60_000,
    10,
  );
  await kill(first);

  const second = spawnRollcall('serve', env);
  children.push(second);
  await waitHealthy(base, second);
  const end = await waitFor(
    'the evaluation to finish after the restart',
    async () => {
      const e = (await api(base, token, 'GET', rule)).json.evaluation;
      return e.status === 'done' ? e : null;
    },
    120_000,
    200,
  );
  assert.deepEqual(end, { status: 'done', done: CASES, total: CASES }, 'each case counted once');
  assert.equal((await api(base, token, 'GET', rule)).json.matching, CASES);
  await kill(second, 'SIGTERM');

  // What is in the database: two scheduled sends per case, no other.
  const handle = await openDatabase(pg ? { databaseUrl: pg.url } : { dataDir });
  try {
    const { rows: counts } = await sql<{ n: string; cases: string; odd: string }>`
      select count(*) as n, count(distinct case_id) as cases,
             (select count(*) from (select case_id from reminder_occurrences where rule_id = ${ruleId} group by case_id having count(*) <> 2) x) as odd
        from reminder_occurrences where rule_id = ${ruleId} and status = 'scheduled'`.execute(handle.db);
    assert.deepEqual(counts[0] && { n: Number(counts[0].n), cases: Number(counts[0].cases), odd: Number(counts[0].odd) }, { n: 2 * CASES, cases: CASES, odd: 0 });
  } finally {
    await handle.close();
  }
  console.log(`# reminder-rules-crash (${onPostgres ? 'PostgreSQL' : 'PGlite'}): killed at ${killedAt}/${CASES}`);
});
