/**
 * The contacts list (issue 24): N cases written in SQL (generate_series), then the statements one
 * load of /ui/p/:project/cases runs — the page of 50 (with the opt-outs of its numbers) and the
 * capped count — timed for a few filter combinations; p50 and p95 of each.
 *
 *   node --import tsx bench/contacts-list.bench.ts --cases 100000                 (embedded PGlite)
 *   node --import tsx bench/contacts-list.bench.ts --cases 1000000 --pg postgres://postgres@127.0.0.1:5432/postgres
 *
 * With --pg a fresh database rollcall_bench_contacts is made on that server and dropped after
 * (--keep leaves it, to EXPLAIN a query).
 * Data: 90% patients / 10% households; 60% with consent; 1% of numbers opted out; 2% invalid
 * numbers; 1 in 50 a bad time zone; owners among 20 mobile workers; created over 400 days.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { sql } from 'kysely';

import { type ContactFilter, searchAndCountProjectCases } from '../src/services/cases.service.ts';
import type { ServiceDeps } from '../src/services/deps.ts';
import { EMBEDDED_START_PARAMS, openDatabase } from '../src/store/connection.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { insertProject } from '../src/store/project.store.ts';
import { percentile } from './support/stats.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const N = Number(arg('cases') ?? 100_000);
const PG = arg('pg');
const RUNS = Number(arg('runs') ?? 30);

async function main(): Promise<void> {
  let dropDb: (() => Promise<void>) | null = null;
  let url: string | undefined;
  if (PG) {
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query('drop database if exists rollcall_bench_contacts');
    await admin.query('create database rollcall_bench_contacts');
    await admin.end();
    const u = new URL(PG);
    u.pathname = '/rollcall_bench_contacts';
    url = u.toString();
    dropDb = async () => {
      const a = new pg.Client({ connectionString: PG });
      await a.connect();
      await a.query('drop database if exists rollcall_bench_contacts');
      await a.end();
    };
  }
  const handle = url ? await openDatabase({ databaseUrl: url, poolSize: 4 }) : await openDatabase({ pglite: await PGlite.create({ startParams: EMBEDDED_START_PARAMS } as never) });
  const db = handle.db;
  try {
    await migrateToLatest(db);
    const project = await insertProject(db, { name: 'bench', timeZone: 'Africa/Nairobi', defaultCountry: 'KE', languages: ['en', 'sw'], defaultLanguage: 'en', phoneValidation: 'strict', settings: {} } as never);
    const other = await insertProject(db, { name: 'other', timeZone: 'Africa/Nairobi', defaultCountry: 'KE', languages: ['en'], defaultLanguage: 'en', phoneValidation: 'strict', settings: {} } as never);
    const t0 = Date.now();
    await sql`insert into mobile_workers (project_id, username, created_at, updated_at) select ${project.id}::uuid, 'chw' || g, now(), now() from generate_series(1, 20) g`.execute(db);
    const workers = (await sql<{ id: string }>`select id from mobile_workers where project_id = ${project.id}::uuid order by username`.execute(db)).rows.map((r) => r.id);
    const batch = 50_000;
    for (let from = 1; from <= N; from += batch) {
      const to = Math.min(N, from + batch - 1);
      await sql`
        insert into cases (project_id, case_type, name, owner_id, properties, phone_number, created_at, updated_at)
        select ${project.id}::uuid,
               case when g % 10 = 0 then 'household' else 'patient' end,
               'Person ' || md5(g::text),
               (${sql.val(workers)}::text[])[1 + g % 20],
               jsonb_build_object(
                 'contact_phone_number', case when g % 50 = 7 then '12345' else '+2547' || lpad(g::text, 8, '0') end,
                 'contact_phone_number_is_verified', case when g % 5 < 3 then '1' else '0' end,
                 'time_zone', case when g % 50 = 3 then 'Mars/Olympus' else 'Africa/Nairobi' end,
                 'village', 'V' || (g % 300)),
               case when g % 50 = 7 then null else '+2547' || lpad(g::text, 8, '0') end,
               now() - ((${N} - g) * interval '1 second' * (400 * 86400.0 / ${N})),
               now()
        from generate_series(${from}::int, ${to}::int) g`.execute(db);
      // Registry entries as the service would make them: consented numbers two-way, others one-way.
      await sql`
        insert into phone_entries (number, project_id, owner_type, owner_id, state, wants_two_way, created_at, updated_at)
        select c.phone_number, c.project_id, 'case', c.id,
               case when c.properties ->> 'contact_phone_number_is_verified' = '1' then 'two-way' else 'one-way' end,
               c.properties ->> 'contact_phone_number_is_verified' = '1', now(), now()
        from cases c where c.project_id = ${project.id}::uuid and c.phone_number is not null and c.seq between (select min(seq) from cases where project_id = ${project.id}::uuid) + ${from - 1} and (select min(seq) from cases where project_id = ${project.id}::uuid) + ${to - 1}`.execute(db);
    }
    await sql`insert into opt_outs (number, opted_out, updated_at) select '+2547' || lpad(g::text, 8, '0'), true, now() from generate_series(1, ${N}) g where g % 100 = 11`.execute(db);
    await sql`insert into cases (project_id, case_type, name, properties, created_at, updated_at) select ${other.id}::uuid, 'patient', 'Other ' || g, '{}'::jsonb, now(), now() from generate_series(1, 1000) g`.execute(db);
    // As autovacuum leaves a table after a bulk insert (its insert threshold): analyzed, and the
    // visibility map set, so that index-only scans read no table pages.
    await sql`vacuum analyze`.execute(db);
    const loadS = (Date.now() - t0) / 1000;
    const deps = { db } as unknown as ServiceDeps;
    const today = new Date().toISOString().slice(0, 10);
    const monthAgo = new Date(Date.now() - 30 * 86400_000).toISOString().slice(0, 10);
    const combos: Array<[string, ContactFilter, 'newest' | 'oldest' | 'name']> = [
      ['no filter (newest first)', {}, 'newest'],
      ['caseType=household', { caseType: 'household' }, 'newest'],
      ['phoneStatus=two-way&consent=yes', { phoneStatus: 'two-way', consent: true }, 'newest'],
      ['optedOut=yes', { optedOut: true }, 'newest'],
      ['problems=yes', { problems: true }, 'newest'],
      ['owner=<worker>', { ownerId: workers[3] }, 'newest'],
      ['createdFrom..createdTo (30 days)', { createdFrom: monthAgo, createdTo: today }, 'newest'],
      ['search=<full number>', { search: '+254700012345' }, 'newest'],
      ['search=<part of a name>', { search: 'abc' }, 'newest'],
      ['sort=name', {}, 'name'],
    ];
    const kind = PG ? 'PostgreSQL' : 'PGlite';
    console.log(`${kind}: ${N.toLocaleString('en-US')} cases written and vacuumed in ${loadS.toFixed(0)} s; ${RUNS} loads per line (page of 50 + capped count, as the list runs them)`);
    console.log('| filters | p50 ms | p95 ms | count shown |');
    console.log('| --- | ---: | ---: | --- |');
    for (const [label, f, sort] of combos) {
      const times: number[] = [];
      let shown = '';
      for (let i = 0; i < RUNS + 3; i++) {
        const s = performance.now();
        const { total } = await searchAndCountProjectCases(deps, project, f, { sort, limit: 50 });
        const ms = performance.now() - s;
        if (i >= 3) {
          times.push(ms);
        }
        shown = `${total.count.toLocaleString('en-US')}${total.atLeast ? '+' : ''}`;
      }
      times.sort((a, b) => a - b);
      const q = (p: number) => percentile(times, p, { rank: 'floor', empty: 0 });
      console.log(`| ${label} | ${q(50).toFixed(1)} | ${q(95).toFixed(1)} | ${shown} |`);
    }
  } finally {
    await handle.close();
    if (!process.argv.includes('--keep')) {
      await dropDb?.();
    }
  }
}

await main();
