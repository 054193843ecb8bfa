/**
 * The statements that look at the whole queue, with a large backlog: the dispatch listing of the
 * projects with due messages (store/message.store.ts listDispatchProjects: a skip scan per project,
 * a probe for messages of no project, the expired leases) and GET /metrics' queue gauges
 * (store/metrics.store.ts). Both run often while work waits: the listing every 250 ms per dispatch
 * worker, the gauges once a scrape. Each should cost the same at 1,000 and 1,000,000 queued.
 *
 *   npx tsx bench/queue-listing.bench.ts [--queued 1000000] [--projects 20] [--pg URL]
 *
 * The backlog is `--queued` messages of one project plus one due message in each of `--projects`
 * others. Without --pg: PGlite; with --pg URL (or ROLLCALL_BENCH_DATABASE_URL): a fresh database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';

import { type DatabaseHandle, openDatabase } from '../src/store/connection.ts';
import { listDispatchProjects } from '../src/store/message.store.ts';
import { readQueueGauges } from '../src/store/metrics.store.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { option } from './support/options.ts';
import { createBenchDatabase } from './support/server.ts';
import { percentile } from './support/stats.ts';

const queued = Number(option('--queued') ?? 1_000_000);
const others = Number(option('--projects') ?? 20);
const pgUrl = option('--pg') ?? process.env.ROLLCALL_BENCH_DATABASE_URL ?? null;

async function newProject(handle: DatabaseHandle, name: string): Promise<string> {
  const p = await handle.db.insertInto('projects').values({ name, time_zone: 'UTC', default_country: 'KE', languages: '["en"]', default_language: 'en', phone_validation: 'strict', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  return p.id;
}

async function queue(handle: DatabaseHandle, projectId: string, n: number): Promise<void> {
  for (let done = 0; done < n; done += 100_000) {
    await sql`
      insert into messages (project_id, direction, channel, status, to_address, text, gateway_name, due_at)
      select ${projectId}::uuid, 'out', 'sms', 'queued', '+254712' || lpad((${done}::int + g)::text, 7, '0'), 'Clinic day is Monday', 'TEST', now() - interval '1 minute'
        from generate_series(1, ${Math.min(100_000, n - done)}::int) g`.execute(handle.db);
  }
}

/** Milliseconds of `runs` calls of `f`, after two warm-up calls. */
async function timeIt(runs: number, f: () => Promise<unknown>): Promise<number[]> {
  await f();
  await f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b);
}

const show = (ms: number[]) => `median ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms, fastest ${percentile(ms, 0).toFixed(1)} ms (${ms.length} runs)`;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-bench-listing-'));
const pgDb = pgUrl ? await createBenchDatabase(pgUrl) : null;
const handle = pgDb ? await openDatabase({ databaseUrl: pgDb.url, poolSize: 4 }) : await openDatabase({ dataDir });
try {
  await migrateToLatest(handle.db);
  const big = await newProject(handle, 'big');
  const t0 = performance.now();
  await queue(handle, big, queued);
  for (let i = 0; i < others; i++) {
    await queue(handle, await newProject(handle, `small-${i}`), 1);
  }
  await sql`analyze messages`.execute(handle.db);
  console.log(`${pgDb ? 'PostgreSQL' : 'PGlite'}: ${queued.toLocaleString('en')} queued in one project and one in each of ${others} others (made in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const listed = await listDispatchProjects(handle.db, new Date());
  if (listed.length !== others + 1) {
    throw new Error(`the listing named ${listed.length} projects, not ${others + 1}`);
  }
  console.log(`dispatch listing (listDispatchProjects): ${show(await timeIt(20, () => listDispatchProjects(handle.db, new Date())))}`);
  console.log(`GET /metrics queue gauges (readQueueGauges): ${show(await timeIt(10, () => readQueueGauges(handle.db)))}`);
} finally {
  await handle.close();
  await pgDb?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
