/**
 * Statistics and dead rows: the one-case read keeps its primary-key plan on a table that was never
 * analyzed, and the embedded database's table maintenance (PGlite has no autovacuum) analyzes and
 * vacuums tables past autovacuum's thresholds, from inside a running server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import { maintainTables } from '../src/services/table-maintenance.service.ts';
import { caseByIdQuery } from '../src/store/case.store.ts';
import { MAINTENANCE_STATISTICS_TARGET, tablesDueForMaintenance } from '../src/store/table-maintenance.store.ts';
import { api, freePort, kill, spawnRollcall, tempDir, waitFor, waitHealthy } from './support/child-server.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let projectId = '';
let someCaseId = '';
before(async () => {
  t = await createTestApp();
  projectId = (await t.createProject('stats', { defaultCountry: 'KE' })).id as string;
  // 3,000 cases in one project, straight into the table: none of it has been analyzed yet.
  await sql`insert into cases (project_id, case_type, name) select ${projectId}::uuid, 'patient', 'p' || g from generate_series(1, 3000) g`.execute(t.handle.db);
  const row = await sql<{ id: string }>`select id from cases where project_id = ${projectId}::uuid order by seq offset 1500 limit 1`.execute(t.handle.db);
  someCaseId = row.rows[0]?.id ?? '';
});
after(() => t.close());

/** The index names in a JSON plan. */
function indexesOf(plan: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'Index Name' && typeof v === 'string') {
          found.push(v);
        }
        walk(v);
      }
    }
  };
  walk(plan);
  return found;
}

test('reading one case uses the primary key even before the table is analyzed', async () => {
  const stats = await sql<{ reltuples: number }>`select reltuples from pg_class where relname = 'cases'`.execute(t.handle.db);
  assert.ok(Number(stats.rows[0]?.reltuples) <= 0, 'the table has not been analyzed');
  const compiled = caseByIdQuery(t.handle.db, projectId, someCaseId).compile();
  const explained = await t.handle.db.executeQuery<{ 'QUERY PLAN': unknown }>({ ...compiled, sql: `explain (format json) ${compiled.sql}` });
  const indexes = indexesOf(explained.rows[0]?.['QUERY PLAN']);
  assert.ok(indexes.includes('cases_pkey'), `plan uses the primary key: ${indexes.join(', ')}`);
  assert.ok(!indexes.some((i) => i.startsWith('cases_project')), `plan does not walk the project's cases: ${indexes.join(', ')}`);
  const read = await t.request('GET', `/api/v1/projects/stats/cases/${someCaseId}`);
  assert.equal(read.statusCode, 200);
  assert.equal(read.json().id, someCaseId);
});

test('table maintenance analyzes changed tables and vacuums dead rows', async () => {
  await sql`update cases set name = name || '!' where project_id = ${projectId}::uuid and seq % 2 = 0`.execute(t.handle.db);
  // PostgreSQL publishes a backend's table counters within about a second; PGlite at once.
  const due = await waitFor('cases due for maintenance', async () => {
    const d = await tablesDueForMaintenance(t.handle.db);
    return d.find((x) => x.schema === 'public' && x.table === 'cases' && x.vacuum && x.analyze);
  }, 15_000, 200);
  assert.ok(due);
  const step = await maintainTables(t.handle.db);
  assert.ok(step.vacuumed.includes('public.cases'), JSON.stringify(step));
  const after = await sql<{ reltuples: number; dead: number; analyzed: boolean }>`
    select c.reltuples, s.n_dead_tup as dead, coalesce(s.last_analyze, s.last_autoanalyze) is not null as analyzed
      from pg_class c join pg_stat_user_tables s on s.relid = c.oid where c.relname = 'cases'`.execute(t.handle.db);
  assert.ok(Number(after.rows[0]?.reltuples) >= 3000, 'the planner now knows the table size');
  assert.equal(Number(after.rows[0]?.dead), 0, 'dead rows were reclaimed');
  assert.equal(after.rows[0]?.analyzed, true);
  // Maintenance samples with statistics target 10 (a short pause on the embedded database): the
  // 3,000 distinct names get an 11-bound histogram, not PostgreSQL's default 101.
  const hist = await sql<{ bounds: number }>`
    select array_length(histogram_bounds::text::text[], 1) as bounds from pg_stats where tablename = 'cases' and attname = 'name'`.execute(t.handle.db);
  assert.equal(Number(hist.rows[0]?.bounds), MAINTENANCE_STATISTICS_TARGET + 1);
  const target = await sql<{ default_statistics_target: string }>`show default_statistics_target`.execute(t.handle.db);
  assert.equal(target.rows[0]?.default_statistics_target, '100', 'the session setting was put back');
  const again = await tablesDueForMaintenance(t.handle.db);
  assert.equal(again.find((x) => x.table === 'cases'), undefined, 'nothing left to do for cases');
});

test('a server on the embedded database runs table maintenance by itself', async () => {
  const dataDir = tempDir('rollcall-maint-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnRollcall('serve', {
    PORT: String(port),
    DATA_DIR: dataDir,
    ROLLCALL_ADMIN_EMAIL: 'maint@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'maint-password',
    ROLLCALL_TABLE_MAINTENANCE_MS: '300',
    LOG_LEVEL: 'debug',
  });
  try {
    await waitHealthy(base, child);
    const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'maint@example.org', password: 'maint-password' })).json.token as string;
    assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'maint', defaultCountry: 'KE' })).status, 201);
    for (let i = 0; i < 80; i++) {
      const made = await api(base, token, 'POST', '/api/v1/projects/maint/cases', { caseType: 'patient', name: `c${i}`, properties: { contact_phone_number: `07${String(12_000_000 + i)}` } });
      assert.equal(made.status, 201, JSON.stringify(made.json));
    }
    await waitFor('a maintenance step that analyzed the cases', async () => /"table maintenance"/.test(child.output()) && /public\.cases/.test(child.output()), 20_000, 100);
  } finally {
    await kill(child, 'SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
