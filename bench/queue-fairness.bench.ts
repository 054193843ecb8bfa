/**
 * One project's message while another project's backlog drains (migration 0024, the project
 * rotation of services/project-rotation.ts): project BIG has `--backlog` messages queued (as a
 * broadcast leaves them), dispatch loops drain it, and every second project QUIET queues one
 * message; the figure is how long each QUIET message waits to be sent, and how fast BIG drains.
 * Before 0024 the queue was one line over all projects in due order, so a QUIET message waited for
 * the whole backlog ahead of it.
 *
 *   npx tsx bench/queue-fairness.bench.ts [--backlog 50000] [--quiet 8] [--pg URL]
 *
 * Both projects send through one gateway of the instance (as projects sharing a national
 * aggregator do): with a gateway each, the dispatch lanes already kept one project's full lane from
 * holding back another gateway's messages (services/dispatch-worker.ts), before and after 0024.
 *
 * Without --pg: PGlite, one dispatch loop in this process. With --pg URL (or
 * ROLLCALL_BENCH_DATABASE_URL): a fresh database, two dispatch loops in this process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';

import { makeConfig } from '../src/config.ts';
import { serviceDeps } from '../src/main.ts';
import { startDispatchWorker } from '../src/services/dispatch-worker.ts';
import { type DatabaseHandle, openDatabase } from '../src/store/connection.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { option } from './support/options.ts';
import { createBenchDatabase } from './support/server.ts';
import { percentile } from './support/stats.ts';

const KEY = 'fa'.repeat(32);
const backlog = Number(option('--backlog') ?? 50_000);
const quietCount = Number(option('--quiet') ?? 8);
const pgUrl = option('--pg') ?? process.env.ROLLCALL_BENCH_DATABASE_URL ?? null;

/** A project whose every number is routed to the instance's gateway `gateway`. */
async function project(handle: DatabaseHandle, name: string, gateway: string): Promise<{ id: string; gateway: string }> {
  const p = await handle.db.insertInto('projects').values({ name, time_zone: 'Africa/Nairobi', default_country: 'KE', languages: '["en"]', default_language: 'en', phone_validation: 'strict', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  await handle.db.insertInto('gateway_routes').values({ project_id: p.id, prefix: '*', gateway_id: gateway }).execute();
  return { id: p.id, gateway };
}

async function queue(handle: DatabaseHandle, p: { id: string; gateway: string }, n: number, first: number): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at)
    select ${p.id}::uuid, 'out', 'sms', 'queued', '+254712' || lpad((${first}::int + g)::text, 6, '0'), 'Clinic day is Monday', ${p.gateway}::uuid, 'AGGREGATOR', now()
      from generate_series(1, ${n}::int) g
    returning id`.execute(handle.db);
  return rows.rows.map((r) => r.id);
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-bench-fair-'));
const pgDb = pgUrl ? await createBenchDatabase(pgUrl) : null;
const handle = pgDb ? await openDatabase({ databaseUrl: pgDb.url, poolSize: 10 }) : await openDatabase({ dataDir });
const kind = pgDb ? 'PostgreSQL, two loops' : 'PGlite, one loop';
try {
  await migrateToLatest(handle.db);
  const deps = serviceDeps(makeConfig({ dataDir, secretKey: KEY, logLevel: 'silent' }), handle);
  const gw = await handle.db
    .insertInto('gateways')
    .values({ project_id: null, name: 'AGGREGATOR', type: 'test', channel: 'sms', config_encrypted: deps.secrets.seal('{}'), reply_to_number: null, opt_in_keywords: '[]', opt_out_keywords: '[]', rate_per_second: null, inbound_key: `fair-${Date.now()}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  const big = await project(handle, 'big', gw.id);
  const quiet = await project(handle, 'quiet', gw.id);
  await queue(handle, big, backlog, 0);
  await sql`analyze messages`.execute(handle.db);
  const loops = Array.from({ length: pgDb ? 2 : 1 }, () => startDispatchWorker(deps, { batchSize: 500, leaseMs: 60_000, pollMs: 50 }));
  const t0 = performance.now();
  // One QUIET message a second, each followed on its own until it is sent.
  const waits = await Promise.all(
    Array.from({ length: quietCount }, async (_, i) => {
      await new Promise((r) => setTimeout(r, 1000 * (i + 1)));
      const [id] = await queue(handle, quiet, 1, 900_000 + i);
      const q0 = performance.now();
      for (;;) {
        const row = await handle.db.selectFrom('messages').select('status').where('id', '=', id as string).executeTakeFirstOrThrow();
        if (row.status === 'sent') {
          return performance.now() - q0;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  );
  for (;;) {
    const row = await handle.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('project_id', '=', big.id).where('status', '=', 'queued').executeTakeFirstOrThrow();
    if (Number(row.n) === 0) {
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const drainS = (performance.now() - t0) / 1000;
  await Promise.all(loops.map((l) => l.stop()));
  const sorted = [...waits].sort((a, b) => a - b);
  process.stdout.write(
    `${kind}: backlog of ${backlog.toLocaleString('en-US')} in project BIG drained in ${drainS.toFixed(1)} s (${Math.round(backlog / drainS)} messages/s, the QUIET messages included); ` +
      `QUIET messages queued at 1, 2, 3 … s waited ${waits.map((w) => Math.round(w)).join(', ')} ms (median ${Math.round(percentile(sorted, 50))} ms, max ${Math.round(sorted.at(-1) ?? 0)} ms)\n`,
  );
} finally {
  await handle.close();
  await pgDb?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
