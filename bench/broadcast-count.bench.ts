/**
 * The broadcast composer's recipient count (issue 24: "< 1 s for 1,000,000 cases on PostgreSQL"):
 * N cases of one type generated in SQL — Kenyan numbers, with a share of no number, invalid
 * numbers, US numbers without consent, opted-out numbers, Swahili speakers and a named gateway —
 * then the preview (services/broadcast-preview.service.ts: one GROUP BY over the cases) is timed
 * RUNS times after one warm-up; the figure is the p95.
 *
 *   node --import tsx bench/broadcast-count.bench.ts [--pg URL] [--sizes 100000,1000000] [--no-embedded]
 *
 * Defaults: embedded 100,000 cases; PostgreSQL (postgres://postgres@127.0.0.1:5432/test, or --pg)
 * 1,000,000 cases in a fresh database rollcall_bench_<pid>_<random>, dropped afterwards.
 * `benchBroadcastCount` returns the rows for bench/run.ts's table.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import pg from 'pg';

import { defaultProjectSettings } from '../src/domain/project.ts';
import { previewBroadcast } from '../src/services/broadcast-preview.service.ts';
import type { ServiceDeps } from '../src/services/deps.ts';
import { type DatabaseHandle, openDatabase } from '../src/store/connection.ts';
import type { Db } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { insertProject } from '../src/store/project.store.ts';
import { option } from './support/options.ts';
import type { BenchResult } from './support/result.ts';
import { percentile } from './support/stats.ts';

const RUNS = 20;

function p95(samples: readonly number[]): number {
  return percentile([...samples].sort((a, b) => a - b), 95);
}

/** N cases in one statement (batches of 100,000 keep PGlite's memory low), plus opt-outs and a held number. */
export async function seed(db: Db, n: number): Promise<string> {
  const project = await insertProject(db, {
    name: `bench-${randomBytes(3).toString('hex')}`,
    timeZone: 'Africa/Nairobi',
    defaultCountry: 'KE',
    languages: ['en', 'sw'],
    defaultLanguage: 'en',
    phoneValidation: 'strict',
    settings: defaultProjectSettings,
  });
  const gw = await sql<{ id: string }>`
    insert into gateways (project_id, name, type, channel, config_encrypted, inbound_key, opt_in_keywords, opt_out_keywords)
    values (${project.id}, 'TEST', 'test', 'sms', '', ${randomBytes(12).toString('hex')}, '[]', '[]') returning id`.execute(db);
  await sql`insert into gateway_routes (project_id, prefix, gateway_id) values (${project.id}, '254', ${gw.rows[0]?.id}), (${project.id}, '1', ${gw.rows[0]?.id})`.execute(db);
  const batch = 100_000;
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch) - 1;
    // i % 20: 0 no number, 1 invalid, 2 US without consent, 3 US with consent, 4 named gateway, else Kenyan; every 3rd speaks Swahili.
    await sql`
      insert into cases (project_id, case_type, name, properties, phone_number)
      select ${project.id}, 'patient', 'Case ' || i,
        jsonb_build_object('village', 'V' || (i % 50)) ||
        case
          when i % 20 = 0 then '{}'::jsonb
          when i % 20 = 1 then jsonb_build_object('contact_phone_number', '12')
          when i % 20 = 2 then jsonb_build_object('contact_phone_number', '+1206' || lpad((i % 10000000)::text, 7, '0'))
          when i % 20 = 3 then jsonb_build_object('contact_phone_number', '+1206' || lpad((i % 10000000)::text, 7, '0'), 'contact_phone_number_is_verified', '1')
          when i % 20 = 4 then jsonb_build_object('contact_phone_number', '+2547' || lpad((i % 100000000)::text, 8, '0'), 'contact_backend_id', 'test')
          else jsonb_build_object('contact_phone_number', '+2547' || lpad((i % 100000000)::text, 8, '0'))
        end ||
        case when i % 3 = 0 then jsonb_build_object('language_code', 'sw') else '{}'::jsonb end,
        case
          when i % 20 in (0, 1) then null
          when i % 20 in (2, 3) then '+1206' || lpad((i % 10000000)::text, 7, '0')
          else '+2547' || lpad((i % 100000000)::text, 8, '0')
        end
      from generate_series(${start}::int, ${end}::int) as i`.execute(db);
  }
  await sql`insert into opt_outs (number, opted_out) select '+2547' || lpad(i::text, 8, '0'), true from generate_series(5, ${n}::int, 997) as i on conflict do nothing`.execute(db);
  await sql`analyze cases`.execute(db);
  await sql`analyze opt_outs`.execute(db);
  return project.name;
}

async function measure(handle: DatabaseHandle, n: number, engine: string): Promise<BenchResult> {
  const seedStart = performance.now();
  const name = await seed(handle.db, n);
  const seedS = (performance.now() - seedStart) / 1000;
  const project = (await sql<{ id: string }>`select id from projects where name = ${name}`.execute(handle.db)).rows[0];
  const { findProjectById } = await import('../src/store/project.store.ts');
  const p = await findProjectById(handle.db, project?.id ?? '');
  if (!p) {
    throw new Error('no project');
  }
  const deps = { db: handle.db, clock: () => new Date(), messaging: { consentCountries: ['US'] } } as unknown as ServiceDeps;
  const input = { recipients: { caseType: 'patient' }, translations: { en: 'Clinic day is Monday', sw: 'Siku ya kliniki ni Jumatatu' } };
  const first = await previewBroadcast(deps, p, input);
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await previewBroadcast(deps, p, input);
    samples.push(performance.now() - t0);
  }
  const filtered = { recipients: { caseType: 'patient', where: { village: 'V7' } }, translations: input.translations };
  const filteredSamples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await previewBroadcast(deps, p, filtered);
    filteredSamples.push(performance.now() - t0);
  }
  const figure = p95(samples);
  const target = engine === 'postgres' ? 1000 : null;
  return {
    figure: `Broadcast preview count, ${n.toLocaleString('en')} cases (${engine})`,
    target: target ? '< 1000 ms p95' : 'reported',
    measured: `${Math.round(figure)} ms p95`,
    pass: target ? figure < target : true,
    note: `median ${Math.round([...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0)} ms over ${RUNS} runs; with a property filter (1 in 50) p95 ${Math.round(p95(filteredSamples))} ms; reachable ${first.reachable.toLocaleString('en')} of ${first.total.toLocaleString('en')}, reasons ${first.unreachable.map((u) => `${u.code} ${u.count}`).join(', ')}; seeding took ${seedS.toFixed(0)} s`,
  };
}

export async function benchBroadcastCount(options: { pgUrl: string | null; embeddedSize?: number; pgSize?: number }): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  if (options.embeddedSize !== 0) {
    const handle = await openDatabase({ pglite: await PGlite.create() });
    try {
      await migrateToLatest(handle.db);
      results.push(await measure(handle, options.embeddedSize ?? 100_000, 'embedded'));
    } finally {
      await handle.close();
    }
  }
  if (options.pgUrl && options.pgSize !== 0) {
    const name = `rollcall_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = async (text: string) => {
      const client = new pg.Client({ connectionString: options.pgUrl ?? '' });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    };
    await admin(`create database ${name}`);
    const url = new URL(options.pgUrl);
    url.pathname = `/${name}`;
    const handle = await openDatabase({ databaseUrl: url.toString(), poolSize: 4 });
    try {
      await migrateToLatest(handle.db);
      results.push(await measure(handle, options.pgSize ?? 1_000_000, 'postgres'));
    } finally {
      await handle.close();
      await admin(`drop database if exists ${name} with (force)`);
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const sizes = option('--sizes')?.split(',').map(Number);
  const results = await benchBroadcastCount({
    pgUrl: args.includes('--no-pg') ? null : (option('--pg') ?? 'postgres://postgres@127.0.0.1:5432/test'),
    embeddedSize: args.includes('--no-embedded') ? 0 : (sizes?.[0] ?? 100_000),
    pgSize: sizes?.[1] ?? 1_000_000,
  });
  for (const r of results) {
    console.log(`${r.figure}: ${r.measured} (target ${r.target}) ${r.pass ? 'PASS' : 'FAIL'}\n  ${r.note ?? ''}`);
  }
}
