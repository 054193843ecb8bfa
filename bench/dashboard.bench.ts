/**
 * The project dashboard at scale (issue 24: p95 < 300 ms with 1,000,000 cases and 10,000,000
 * messages on PostgreSQL, < 1 s with 100,000 cases on PGlite). Cases (with registry entries,
 * consent, invalid numbers, opt-outs), consent events, messages over 40 days and registrations are
 * generated straight in SQL (generate_series), then the app is built in-process and the page
 * (GET /ui/p/bench/dashboard, signed in) and the API are loaded with inject: the first load (which
 * counts the contacts once and stores them), then `--loads` loads, whose p50/p95/max are reported.
 * The background contact count and a fold of the message deltas are timed too.
 *
 *   npx tsx bench/dashboard.bench.ts [--cases 100000] [--messages 1000000] [--loads 30] [--pg URL]
 *
 * Without --pg it runs on PGlite in a temporary folder; with --pg URL (or ROLLCALL_BENCH_DATABASE_URL)
 * a fresh database rollcall_bench_<pid>_<random> is created there and dropped afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { pino } from 'pino';

import { makeConfig } from '../src/config.ts';
import { buildApp } from '../src/http/app.ts';
import { serviceDeps } from '../src/main.ts';
import { createWebUser, issueApiToken } from '../src/services/auth.service.ts';
import { dashboardMaintenanceStep, refreshContactCounts } from '../src/services/dashboard.service.ts';
import { openDatabase } from '../src/store/connection.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { createSecretBox, parseKey } from '../src/lib/secret-box.ts';
import { option } from './support/options.ts';
import type { BenchResult } from './support/result.ts';
import { createBenchDatabase } from './support/server.ts';
import { percentile } from './support/stats.ts';

const KEY = 'be'.repeat(32);

const log = (s: string) => process.stderr.write(`${s}\n`);

export interface DashboardBenchOptions {
  cases: number;
  messages: number;
  loads: number;
}

export async function benchDashboard(pgUrl: string | null, o: DashboardBenchOptions): Promise<BenchResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-bench-dashboard-'));
  const pgDb = pgUrl ? await createBenchDatabase(pgUrl) : null;
  const handle = pgDb ? await openDatabase({ databaseUrl: pgDb.url, poolSize: 8 }) : await openDatabase({ dataDir });
  const kind = pgDb ? 'PostgreSQL' : 'PGlite';
  try {
    await migrateToLatest(handle.db);
    const db = handle.db;
    const t0 = performance.now();
    const project = await db.insertInto('projects').values({ name: 'bench', time_zone: 'Africa/Nairobi', default_country: 'KE', languages: '["en"]', default_language: 'en', phone_validation: 'strict', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
    const other = await db.insertInto('projects').values({ name: 'other', time_zone: 'UTC', default_country: 'KE', languages: '["en"]', default_language: 'en', phone_validation: 'strict', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
    const gw = await db
      .insertInto('gateways')
      .values({ project_id: project.id, name: 'TEST', type: 'test', channel: 'sms', config_encrypted: createSecretBox(parseKey(KEY)).seal('{}'), reply_to_number: null, opt_in_keywords: '[]', opt_out_keywords: '[]', rate_per_second: null, inbound_key: `dash-${Date.now()}` })
      .returning('id')
      .executeTakeFirstOrThrow();

    // Cases: 70 % valid with consent (two-way), 15 % valid without (one-way), 5 % invalid, 10 % no number.
    const caseChunk = 100_000;
    for (let lo = 1; lo <= o.cases; lo += caseChunk) {
      const hi = Math.min(o.cases, lo + caseChunk - 1);
      await db.transaction().execute(async (trx) => {
        await sql`
          with made as (
            insert into cases (project_id, case_type, name, properties, phone_number)
            select ${project.id}::uuid, case when g % 7 = 0 then 'household' else 'patient' end, 'Person ' || g,
                   case when g % 20 < 17 then jsonb_build_object('contact_phone_number', '+2547' || (20000000 + g), 'contact_phone_number_is_verified', case when g % 20 < 14 then '1' else '0' end)
                        when g % 20 = 17 then jsonb_build_object('contact_phone_number', '12')
                        else '{}'::jsonb end,
                   case when g % 20 < 17 then '+2547' || (20000000 + g) end
              from generate_series(${lo}::int, ${hi}::int) g
            returning id, phone_number, properties
          )
          insert into phone_entries (number, project_id, owner_type, owner_id, state, verified_at)
          select phone_number, ${project.id}::uuid, 'case', id, case when properties ->> 'contact_phone_number_is_verified' = '1' then 'two-way' else 'one-way' end, now()
            from made where phone_number is not null`.execute(trx);
        // The consent ledger: one grant per case with consent (what an import writes).
        await sql`
          insert into consent_events (at, number, project_id, contact_type, action, method)
          select now() - interval '20 days', '+2547' || (20000000 + g), ${project.id}::uuid, 'case', 'consent-granted', 'import'
            from generate_series(${lo}::int, ${hi}::int) g where g % 20 < 14`.execute(trx);
      });
    }
    // One in a thousand numbers opted out.
    await sql`insert into opt_outs (number, opted_out, updated_at) select '+2547' || (20000000 + g), true, now() from generate_series(1, ${o.cases}::int, 1000) g`.execute(db);
    await sql`
      insert into consent_events (at, number, project_id, contact_type, action, method)
      select now() - (g % 30) * interval '1 day', '+2547' || (20000000 + g), ${project.id}::uuid, 'case', 'opt-out', 'keyword'
        from generate_series(1, ${o.cases}::int, 1000) g`.execute(db);
    const casesAt = performance.now();
    log(`${kind}: ${o.cases} cases in ${((casesAt - t0) / 1000).toFixed(1)} s`);

    // Messages over the last 40 days: 80 % delivered or sent, 5 % failed (four codes), 15 % received; 1 % in another project.
    const codes = ['NO_SUITABLE_GATEWAY', 'DELIVERY_FAILED', 'PHONE_NUMBER_OPTED_OUT', 'GATEWAY_ERROR'];
    const messageChunk = 1_000_000;
    for (let lo = 1; lo <= o.messages; lo += messageChunk) {
      const hi = Math.min(o.messages, lo + messageChunk - 1);
      await sql`
        insert into messages (project_id, direction, channel, status, to_address, from_address, text, gateway_id, gateway_name, error_code, created_at, updated_at, sent_at, due_at, processed_at)
        select case when g % 100 = 0 then ${other.id}::uuid else ${project.id}::uuid end,
               case when g % 20 >= 17 then 'in' else 'out' end, 'sms',
               case when g % 20 >= 17 then 'received' when g % 20 = 16 then 'failed' when g % 2 = 0 then 'delivered' else 'sent' end,
               case when g % 20 < 17 then '+2547' || (20000000 + g % ${Math.max(1, o.cases)}) end,
               case when g % 20 >= 17 then '+2547' || (20000000 + g % ${Math.max(1, o.cases)}) end,
               'Hello from the bench', ${gw.id}::uuid, 'TEST',
               case when g % 20 = 16 then (${codes}::text[])[1 + (g / 20) % 4] end,
               t, t, case when g % 20 < 16 then t end, case when g % 20 < 17 then t end, case when g % 20 >= 17 then t end
          from (select g, now() - (g::bigint * 3456000000 / ${o.messages}::bigint) * interval '1 millisecond' as t from generate_series(${lo}::int, ${hi}::int) g) s`.execute(db);
      log(`${kind}: ${hi} messages`);
    }
    await sql`
      insert into messages (project_id, direction, channel, status, from_address, text, created_at, updated_at, processed_at, handling, contact_type, contact_id)
      select ${project.id}::uuid, 'in', 'sms', 'received', c.phone_number, 'JOIN', now() - c.seq * interval '1 minute', now(), now(), 'registered-case', 'case', c.id
        from cases c where c.project_id = ${project.id}::uuid and c.seq % 2000 = 0`.execute(db);
    await sql`
      insert into imports (project_id, file_name, file_type, has_headers, columns, row_count, status, created)
      select ${project.id}::uuid, 'list-' || g || '.csv', 'csv', true, '[]'::jsonb, 1000, 'done', 1000 from generate_series(1, 20) g`.execute(db);
    const messagesAt = performance.now();
    log(`${kind}: ${o.messages} messages in ${((messagesAt - casesAt) / 1000).toFixed(1)} s`);

    const config = makeConfig({ logLevel: 'silent', dataDir, ...(pgDb ? { databaseUrl: pgDb.url } : {}), secretKey: KEY });
    const services = serviceDeps(config, handle);
    const foldStart = performance.now();
    await dashboardMaintenanceStep(services);
    const foldMs = performance.now() - foldStart;
    // As autovacuum leaves a loaded table (measuring while it vacuums 10,000,000 fresh rows measures the vacuum).
    await sql`vacuum analyze`.execute(db);
    const app = await buildApp({ config, services, logger: pino({ level: 'silent' }), isReady: async () => true });
    await createWebUser(services, { email: 'bench@example.org', password: 'bench-password-1', isSuperuser: true });
    const signInPage = await app.inject({ method: 'GET', url: '/ui/sign-in' });
    const pre = (signInPage.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'rollcall_signin')?.value ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(signInPage.body)?.[1] ?? '';
    const signedIn = await app.inject({
      method: 'POST',
      url: '/ui/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${pre}` },
      payload: new URLSearchParams({ _csrf: csrf, email: 'bench@example.org', password: 'bench-password-1', next: '/ui/projects' }).toString(),
    });
    const session = (signedIn.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'rollcall_session')?.value;
    if (!session) {
      throw new Error(`sign-in failed: ${signedIn.statusCode}`);
    }
    const cookie = `rollcall_session=${session}`;
    const token = await issueApiToken(services, 'bench@example.org', 'bench-password-1');
    const load = async (url: string) => {
      const s = performance.now();
      const headers = url.startsWith('/api/') ? { authorization: `Bearer ${token}` } : { cookie };
      const res = await app.inject({ method: 'GET', url, headers });
      if (res.statusCode !== 200) {
        throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      }
      return performance.now() - s;
    };
    const firstMs = await load('/ui/p/bench/dashboard');
    for (let i = 0; i < 3; i++) {
      await load('/ui/p/bench/dashboard'); // warm-up
    }
    const page: number[] = [];
    for (let i = 0; i < o.loads; i++) {
      page.push(await load('/ui/p/bench/dashboard'));
    }
    log(`${kind}: page loads ${page.map((x) => x.toFixed(0)).join(' ')} ms (first ${firstMs.toFixed(0)} ms)`);
    const apiTimes: number[] = [];
    for (let i = 0; i < Math.min(10, o.loads); i++) {
      apiTimes.push(await load('/api/v1/projects/bench/dashboard'));
    }
    const refreshStart = performance.now();
    await refreshContactCounts(services, project.id);
    const refreshMs = performance.now() - refreshStart;
    await app.close();
    page.sort((a, b) => a - b);
    apiTimes.sort((a, b) => a - b);
    const p95 = percentile(page, 95);
    const target = pgDb ? 300 : 1000;
    const size = `${o.cases.toLocaleString('en-US')} cases, ${o.messages.toLocaleString('en-US')} messages`;
    const note =
      `first load (counts the contacts once) ${firstMs.toFixed(0)} ms; p50 ${percentile(page, 50).toFixed(0)} ms, max ${page.at(-1)?.toFixed(0)} ms over ${o.loads} loads; ` +
      `API p95 ${percentile(apiTimes, 95).toFixed(0)} ms; background contact count ${refreshMs.toFixed(0)} ms; fold ${foldMs.toFixed(0)} ms; ` +
      `data generated in ${((messagesAt - t0) / 1000).toFixed(0)} s`;
    return [{ figure: `dashboard p95, ${kind}, ${size}`, target: `< ${target} ms`, measured: `${p95.toFixed(0)} ms`, pass: p95 < target, note }];
  } finally {
    await handle.close();
    await pgDb?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const pgUrl = option('--pg') ?? process.env.ROLLCALL_BENCH_DATABASE_URL ?? null;
  const results = await benchDashboard(pgUrl, {
    cases: Number(option('--cases') ?? 100_000),
    messages: Number(option('--messages') ?? 1_000_000),
    loads: Number(option('--loads') ?? 30),
  });
  for (const r of results) {
    process.stdout.write(`${r.figure}: ${r.measured} (target ${r.target}, ${r.pass ? 'pass' : 'FAIL'})\n  ${r.note ?? ''}\n`);
  }
}
