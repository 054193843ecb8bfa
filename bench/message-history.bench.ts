/**
 * The message history at 20,000,000 rows against 100,000 (issue 26, item 4): dispatch, the message
 * log, a case's conversation and the dashboard's 30-day counts, each within 20 % of the same at
 * 100,000 stored messages. For each size a fresh database gets the same 100,000 cases and
 * `messages` rows spread over the last 13 months (one partition a month, as a server that ran that
 * long has them), generated in SQL, the last 30 days holding the same 60,000 at every size (RECENT); then, in-process with inject, each page is loaded `--loads`
 * times (p50, p95) and `--dispatch` queued messages are sent by two dispatch loops (messages/s).
 *
 *   npx tsx bench/message-history.bench.ts [--sizes 100000,20000000] [--loads 60] [--dispatch 20000] [--pg URL]
 *
 * Without --pg it runs on PGlite (keep the sizes small there). With --pg URL (or
 * ROLLCALL_BENCH_DATABASE_URL) a fresh database is created for each size and dropped afterwards.
 * --keep keeps the PostgreSQL databases (their URLs are printed) to look at plans afterwards.
 * 20,000,000 messages take about 8 GB and most of an hour to generate on the 2-core bench machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { pino } from 'pino';

import { makeConfig } from '../src/config.ts';
import { buildApp } from '../src/http/app.ts';
import { createSecretBox, parseKey } from '../src/lib/secret-box.ts';
import { serviceDeps } from '../src/main.ts';
import { createWebUser, issueApiToken } from '../src/services/auth.service.ts';
import { dashboardMaintenanceStep } from '../src/services/dashboard.service.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { contactConversation, numberConversation } from '../src/services/messages.service.ts';
import { openDatabase } from '../src/store/connection.ts';
import { ensureMessagePartitions, listMessagePartitions, monthStart } from '../src/store/message-partitions.store.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { findProjectByName } from '../src/store/project.store.ts';
import { option } from './support/options.ts';
import { createBenchDatabase } from './support/server.ts';
import { percentile } from './support/stats.ts';

const KEY = 'be'.repeat(32);
const CASES = 100_000;
const DAYS = 395;
/**
 * The last 30 days hold the same messages at every size (the rest is older history): the traffic
 * of the last 30 days is what the dashboard's counts and the month being written depend on, the
 * history is what this bench is about.
 */
const RECENT = 60_000;
const RECENT_DAYS = 30;
/** Cases whose conversations are measured: PROBE_MESSAGES each, spread over the 13 months, at every size. */
const PROBES = 60;
const PROBE_MESSAGES = 80;
const log = (s: string) => process.stderr.write(`${s}\n`);

export interface HistoryFigures {
  messages: number;
  partitions: number;
  generatedS: number;
  sizeMb: number;
  /** p50 and p95 in ms of each page. */
  pages: Record<string, { p50: number; p95: number }>;
  dispatchPerS: number;
}

export async function benchHistory(pgUrl: string | null, messages: number, loads: number, dispatchCount: number, keep = false): Promise<HistoryFigures> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-bench-history-'));
  const pgDb = pgUrl ? await createBenchDatabase(pgUrl) : null;
  const handle = pgDb ? await openDatabase({ databaseUrl: pgDb.url, poolSize: 8 }) : await openDatabase({ dataDir });
  const kind = pgDb ? 'PostgreSQL' : 'PGlite';
  try {
    await migrateToLatest(handle.db);
    const db = handle.db;
    const t0 = performance.now();
    const newProject = (name: string) =>
      db.insertInto('projects').values({ name, time_zone: 'Africa/Nairobi', default_country: 'KE', languages: '["en"]', default_language: 'en', phone_validation: 'strict', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
    const project = await newProject('bench');
    const other = await newProject('other');
    const gw = await db
      .insertInto('gateways')
      .values({ project_id: project.id, name: 'TEST', type: 'test', channel: 'sms', config_encrypted: createSecretBox(parseKey(KEY)).seal('{}'), reply_to_number: null, opt_in_keywords: '[]', opt_out_keywords: '[]', rate_per_second: null, inbound_key: `hist-${Date.now()}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('gateway_routes').values({ project_id: project.id, prefix: '*', gateway_id: gw.id }).execute();
    await sql`
      with made as (
        insert into cases (project_id, case_type, name, properties, phone_number)
        select ${project.id}::uuid, 'patient', 'Person ' || g,
               jsonb_build_object('contact_phone_number', '+2547' || (20000000 + g), 'contact_phone_number_is_verified', '1'), '+2547' || (20000000 + g)
          from generate_series(1, ${CASES}::int) g
        returning id, phone_number
      )
      insert into phone_entries (number, project_id, owner_type, owner_id, state, verified_at)
      select phone_number, ${project.id}::uuid, 'case', id, 'two-way', now() from made`.execute(db);
    // The months a server running for 13 months has: one partition each.
    const now = new Date();
    await ensureMessagePartitions(db, monthStart(new Date(now.getTime() - DAYS * 86_400_000)), monthStart(now, 2));
    const partitions = (await listMessagePartitions(db)).length;

    // Messages over the last 395 days (RECENT of them in the last 30), in order of time as seq runs:
    // 80 % out (sent, delivered, 5 % failed) to a case of the project, 15 % in from one, 1 % in another project.
    const codes = ['NO_SUITABLE_GATEWAY', 'DELIVERY_FAILED', 'PHONE_NUMBER_OPTED_OUT', 'GATEWAY_ERROR'];
    const chunk = 500_000;
    const recent = Math.min(RECENT, Math.floor(messages / 2));
    const older = messages - recent;
    await sql`create unlogged table bench_case_ids as select row_number() over (order by seq) as k, id, phone_number from cases`.execute(db);
    await sql`create index on bench_case_ids (k)`.execute(db);
    for (let lo = 1; lo <= messages; lo += chunk) {
      const hi = Math.min(messages, lo + chunk - 1);
      // Oldest first, so that seq follows created_at as it does in a running server.
      await sql`
        insert into messages (project_id, direction, channel, status, to_address, from_address, text, gateway_id, gateway_name, error_code,
                              contact_type, contact_id, created_at, updated_at, sent_at, due_at, processed_at, handling)
        select case when s.g % 100 = 0 then ${other.id}::uuid else ${project.id}::uuid end,
               case when s.g % 20 >= 17 then 'in' else 'out' end, 'sms',
               case when s.g % 20 >= 17 then 'received' when s.g % 20 = 16 then 'failed' when s.g % 2 = 0 then 'delivered' else 'sent' end,
               case when s.g % 20 < 17 then c.phone_number end,
               case when s.g % 20 >= 17 then c.phone_number end,
               'Your clinic visit is on Monday at 09:00. Reply 1 to confirm.', ${gw.id}::uuid, 'TEST',
               case when s.g % 20 = 16 then (${codes}::text[])[1 + (s.g / 20) % 4] end,
               'case', c.id, s.t, s.t, case when s.g % 20 < 16 then s.t end, case when s.g % 20 < 17 then s.t end,
               case when s.g % 20 >= 17 then s.t end, case when s.g % 20 >= 17 then 'answered' end
          from (select g, case when g > ${older}::bigint
                               then now() - interval '1 minute' - ((${messages}::bigint - g) * ${RECENT_DAYS * 86_400_000}::bigint / ${recent}::bigint) * interval '1 millisecond'
                               else now() - interval '${sql.raw(String(RECENT_DAYS))} days' - ((${older}::bigint - g) * ${(DAYS - RECENT_DAYS) * 86_400_000}::bigint / greatest(${older}::bigint, 1)) * interval '1 millisecond'
                          end as t
                  from generate_series(${lo}::bigint, ${hi}::bigint) g) s
          join bench_case_ids c on c.k = ${PROBES + 1} + (s.g * 7919) % ${CASES - PROBES}`.execute(db);
      if (hi % 2_000_000 === 0 || hi === messages) {
        log(`${kind}: ${hi.toLocaleString('en-US')} messages, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    }
    // The probe cases: the same conversation at every size (PROBE_MESSAGES over the 13 months, in
    // and out), so that a conversation's figure compares the same rows read from a deeper history.
    await sql`
      insert into messages (project_id, direction, channel, status, to_address, from_address, text, gateway_id, gateway_name,
                            contact_type, contact_id, created_at, updated_at, sent_at, due_at, processed_at, handling)
      select ${project.id}::uuid, case when i % 3 = 0 then 'in' else 'out' end, 'sms', case when i % 3 = 0 then 'received' else 'delivered' end,
             case when i % 3 <> 0 then c.phone_number end, case when i % 3 = 0 then c.phone_number end,
             'Your clinic visit is on Monday at 09:00. Reply 1 to confirm.', ${gw.id}::uuid, 'TEST', 'case', c.id, t, t,
             case when i % 3 <> 0 then t end, case when i % 3 <> 0 then t end, case when i % 3 = 0 then t end, case when i % 3 = 0 then 'answered' end
        from bench_case_ids c
        cross join generate_series(1, ${PROBE_MESSAGES}) i
        cross join lateral (select now() - interval '2 minutes' - ((${PROBE_MESSAGES} - i) * ${DAYS} * interval '1 day') / ${PROBE_MESSAGES} as t) x
       where c.k <= ${PROBES}
       order by t`.execute(db);
    const config = makeConfig({ logLevel: 'silent', dataDir, ...(pgDb ? { databaseUrl: pgDb.url } : {}), secretKey: KEY });
    const services = serviceDeps(config, handle);
    while ((await dashboardMaintenanceStep(services)) > 0) {
      // fold every delta
    }
    await sql`vacuum analyze`.execute(db);
    const generatedS = (performance.now() - t0) / 1000;
    const size = await sql<{ mb: string }>`select (pg_total_relation_size('messages') + coalesce((select sum(pg_total_relation_size(inhrelid)) from pg_inherits where inhparent = 'messages'::regclass), 0)) / 1048576 as mb`.execute(db);
    log(`${kind}: ${messages.toLocaleString('en-US')} messages generated in ${generatedS.toFixed(0)} s, ${size.rows[0]?.mb} MB, ${partitions} partitions`);

    const app = await buildApp({ config, services, logger: pino({ level: 'silent' }), isReady: async () => true });
    await createWebUser(services, { email: 'bench@example.org', password: 'bench-password-1', isSuperuser: true });
    const token = await issueApiToken(services, 'bench@example.org', 'bench-password-1');
    const cases = await sql<{ id: string; phone_number: string }>`select id, phone_number from bench_case_ids where k <= ${PROBES} order by k`.execute(db);
    const load = async (url: string) => {
      const s = performance.now();
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      if (res.statusCode !== 200) {
        throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      }
      return performance.now() - s;
    };
    const pages: HistoryFigures['pages'] = {};
    const measure = async (name: string, urlOf: (i: number) => string | (() => Promise<unknown>)) => {
      const once = async (i: number) => {
        const what = urlOf(i);
        if (typeof what === 'string') {
          return load(what);
        }
        const s = performance.now();
        await what();
        return performance.now() - s;
      };
      for (let i = 0; i < 5; i++) {
        await once(i); // warm-up
      }
      const times: number[] = [];
      for (let i = 0; i < loads; i++) {
        times.push(await once(i));
      }
      times.sort((a, b) => a - b);
      pages[name] = { p50: percentile(times, 50), p95: percentile(times, 95) };
    };
    const caseAt = (i: number) => cases.rows[i % cases.rows.length] as { id: string; phone_number: string };
    await measure('message log, first page', () => '/api/v1/projects/bench/messages?limit=50');
    await measure('message log, failed ones', () => '/api/v1/projects/bench/messages?limit=50&status=failed');
    await measure("a case's conversation", (i) => `/api/v1/projects/bench/messages?limit=50&caseId=${caseAt(i).id}`);
    // The case page's and the tester's conversations have no API route: their service calls, timed.
    const benchProject = await findProjectByName(db, 'bench');
    if (!benchProject) {
      throw new Error('no bench project');
    }
    await measure("a case page's conversation (service)", (i) => () => contactConversation(services, benchProject, { type: 'case', id: caseAt(i).id }));
    await measure("a number's conversation (service)", (i) => () => numberConversation(services, benchProject, caseAt(i).phone_number));
    await measure('dashboard, 30-day counts', () => '/api/v1/projects/bench/dashboard');
    await app.close();

    // Dispatch: queued messages to the cases, sent through the test gateway by two loops.
    await sql`
      insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at, contact_type, contact_id)
      select ${project.id}::uuid, 'out', 'sms', 'queued', c.phone_number, 'Clinic day is Monday', ${gw.id}::uuid, 'TEST', now(), 'case', c.id
        from bench_case_ids c where c.k > ${PROBES} and c.k <= ${PROBES + dispatchCount}`.execute(db);
    await sql`analyze messages`.execute(db);
    const d0 = performance.now();
    const loop = async () => {
      while ((await dispatchOnce(services, { batchSize: 64, leaseMs: 60_000 })) > 0) {
        // until the queue is empty
      }
    };
    await Promise.all([loop(), loop()]);
    const dispatchS = (performance.now() - d0) / 1000;
    const sent = await sql<{ n: string }>`select count(*) as n from messages where status = 'sent' and created_at > now() - interval '1 hour' and text = 'Clinic day is Monday'`.execute(db);
    if (Number(sent.rows[0]?.n) !== dispatchCount) {
      const outcome = await sql`select status, error_code, error_detail, count(*) as n from messages where text = 'Clinic day is Monday' group by 1, 2, 3`.execute(db);
      throw new Error(`dispatch sent ${sent.rows[0]?.n} of ${dispatchCount}: ${JSON.stringify(outcome.rows)}`);
    }
    return { messages, partitions, generatedS, sizeMb: Number(size.rows[0]?.mb), pages, dispatchPerS: dispatchCount / dispatchS };
  } finally {
    await handle.close();
    if (keep && pgDb) {
      log(`kept: ${pgDb.url}`);
    } else {
      await pgDb?.drop();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const pgUrl = option('--pg') ?? process.env.ROLLCALL_BENCH_DATABASE_URL ?? null;
  const sizes = (option('--sizes') ?? '100000,20000000').split(',').map(Number);
  const loads = Number(option('--loads') ?? 60);
  const dispatch = Number(option('--dispatch') ?? 20_000);
  const runs: HistoryFigures[] = [];
  for (const n of sizes) {
    const f = await benchHistory(pgUrl, n, loads, dispatch, args.includes('--keep'));
    runs.push(f);
    process.stdout.write(`${JSON.stringify(f)}\n`);
  }
  const base = runs[0] as HistoryFigures;
  const lines = [`| figure | ${runs.map((r) => `${r.messages.toLocaleString('en-US')} messages`).join(' | ')} | ratio (last / first) |`, `|---|${runs.map(() => '---:|').join('')}---:|`];
  for (const name of Object.keys(base.pages)) {
    const p95 = (r: HistoryFigures) => r.pages[name]?.p95 ?? NaN;
    lines.push(`| ${name}, p95 (p50) ms | ${runs.map((r) => `${p95(r).toFixed(1)} (${r.pages[name]?.p50.toFixed(1)})`).join(' | ')} | ${(p95(runs.at(-1) as HistoryFigures) / p95(base)).toFixed(2)} |`);
  }
  lines.push(`| dispatch, messages/s | ${runs.map((r) => r.dispatchPerS.toFixed(0)).join(' | ')} | ${((runs.at(-1) as HistoryFigures).dispatchPerS / base.dispatchPerS).toFixed(2)} |`);
  lines.push(`| partitions; size; generated in | ${runs.map((r) => `${r.partitions}; ${r.sizeMb} MB; ${r.generatedS.toFixed(0)} s`).join(' | ')} | |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
