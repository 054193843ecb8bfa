/**
 * Reminder rules at scale (issue 25). In-process, on a fresh database (PGlite in a temporary folder,
 * or a fresh PostgreSQL database with --pg URL):
 *   1. evaluation: N cases of type `pregnancy` (generated in SQL, a third with their own time zone),
 *      then a rule "next_visit_date set; −7 d and −1 d at 09:00" is created and its evaluation run
 *      batch by batch as the worker's loop runs it → seconds for N cases (targets: 1,000,000 on
 *      PostgreSQL < 60 s, 100,000 on PGlite < 30 s);
 *   2. due sends: `--due` occurrences made due at the same minute are sent end to end → seconds
 *      until all are sent, against the normal dispatch figure of BENCHMARKS.md (>= 300/s embedded,
 *      >= 1,000/s PostgreSQL). Embedded: the reminder loop's send step makes them messages while
 *      dispatch sends them through the test provider, in this one process (as `rollcall serve`).
 *      PostgreSQL: two `rollcall worker` processes do both, as in production;
 *   3. case writes with and without rules: 8 concurrent writers create cases of another type
 *      (then update each once) for `--seconds` s while the reminder loop runs beside them, first
 *      with no rule, then with 5 active rules on that case type → cases/s and the ratio (target:
 *      within 20 %).
 *
 *   4. the same over HTTP, as BENCHMARKS.md's case creation figure is made: a real `rollcall serve`
 *      and a separate load process, creation without rules, then with 5 rules (target: within 20 %),
 *      and how long the server takes to evaluate the cases the load left waiting.
 *
 *   npx tsx bench/reminders.bench.ts [--cases 100000] [--due 100000] [--seconds 10] [--pg URL] [--http-only]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';

import { type Config, makeConfig } from '../src/config.ts';
import { serviceDeps } from '../src/main.ts';
import { createCase, updateCase } from '../src/services/cases.service.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import type { ServiceDeps } from '../src/services/deps.ts';
import { evaluateDirtyCases, evaluateRuleStep } from '../src/services/reminder-evaluation.service.ts';
import { EMBEDDED_REMINDER_BATCHES, POSTGRES_REMINDER_BATCHES, type ReminderBatches, startReminderLoop } from '../src/services/reminder-loop.ts';
import { createReminderRule } from '../src/services/reminder-rules.service.ts';
import { sendDueReminders } from '../src/services/reminder-sending.service.ts';
import { createSecretBox, parseKey } from '../src/lib/secret-box.ts';
import { openDatabase } from '../src/store/connection.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { findProjectByName } from '../src/store/project.store.ts';
import { option } from './support/options.ts';
import type { BenchResult } from './support/result.ts';
import { kill, tempDir } from '../test/support/child-server.ts';
import { api, createBenchDatabase, type LoadResult, runLoad, spawnRollcall, startBenchServer } from './support/server.ts';

const KEY = 'be'.repeat(32);
const log = (s: string) => process.stderr.write(`${s}\n`);

export interface ReminderBenchOptions {
  cases: number;
  due: number;
  seconds: number;
}

const RULE = {
  name: 'ANC visit',
  caseType: 'pregnancy',
  conditions: [{ property: 'next_visit_date', op: 'set' }],
  content: { translations: { en: 'Hello {name}, your visit is on {next_visit_date}.', sw: 'Habari {name}, ziara yako ni {next_visit_date}.' } },
  schedule: { type: 'offsets', startProperty: 'next_visit_date', offsets: [{ days: -7, time: '09:00' }, { days: -1, time: '09:00' }] },
};

async function writers(deps: ServiceDeps, project: NonNullable<Awaited<ReturnType<typeof findProjectByName>>>, seconds: number, numberBase: number): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let made = 0;
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; Date.now() < until; i++) {
        const n = numberBase + w * 1_000_000 + i;
        const c = await createCase(deps, project, { caseType: 'anc', name: `Writer ${n}`, properties: { contact_phone_number: `07${10_000_000 + (n % 89_999_999)}`, next_visit_date: '2027-06-01' } });
        await updateCase(deps, project, c.id, { properties: { next_visit_date: '2027-06-08' } });
        made++;
      }
    }),
  );
  return made / seconds;
}

/**
 * The case creation figure of BENCHMARKS.md, the same way (a real `rollcall serve`, 8 connections
 * from a separate load process, `--seconds` s each), with 5 active rules on the case type
 * `patient` whose conditions every new case meets (each new case gets 10 scheduled sends) and none
 * on `visitor`: runs creating visitors (without rules) and patients (with them) alternate twice on
 * the same server, so that the database's size and a slow spell of this shared VM weigh on both
 * kinds alike; best of each kind. After each run with rules, how long the server takes to evaluate
 * the cases the load left waiting (GET /metrics' rollcall_reminder_cases_waiting).
 */
async function httpCreation(pgUrl: string | null, seconds: number): Promise<BenchResult> {
  const server = await startBenchServer({ pgUrl });
  try {
    const project = await api(server.base, server.token, 'POST', '/api/v1/projects', { name: 'bench', defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
    if (project.status !== 201) {
      throw new Error(`project: ${project.status}`);
    }
    for (let i = 0; i < 5; i++) {
      const rule = await api(server.base, server.token, 'POST', '/api/v1/projects/bench/reminder-rules', { ...RULE, caseType: 'patient', name: `Rule ${i}`, schedule: { ...RULE.schedule, offsets: [{ days: -7 - i, time: '09:00' }, { days: -1, time: `1${i}:00` }] } });
      if (rule.status !== 201) {
        throw new Error(`rule: ${rule.status} ${JSON.stringify(rule.json)}`);
      }
    }
    const waiting = async () => {
      const res = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
      const line = (await res.text()).split('\n').find((l) => l.startsWith('rollcall_reminder_cases_waiting '));
      return Number(line?.split(' ')[1] ?? Number.NaN);
    };
    /** Seconds until no case waits for evaluation. */
    const drained = async () => {
      const t0 = performance.now();
      while ((await waiting()) > 0) {
        await new Promise((r) => setTimeout(r, 250));
      }
      return (performance.now() - t0) / 1000;
    };
    let numberBase = 0;
    const load = (caseType: 'visitor' | 'patient', durationS: number) => {
      numberBase += 10_000_000;
      return runLoad({ kind: 'create-cases', caseType, base: server.base, token: server.token, project: 'bench', connections: 8, durationS, numberBase, maxRequests: 1_000_000, properties: { next_visit_date: '2027-06-01' } });
    };
    await load('visitor', 3);
    await load('patient', 3);
    await drained();
    const without: LoadResult[] = [];
    const withRules: Array<LoadResult & { backlog: number; catchUpS: number }> = [];
    for (let round = 0; round < 2; round++) {
      without.push(await load('visitor', seconds));
      const run = await load('patient', seconds);
      const backlog = await waiting();
      withRules.push({ ...run, backlog, catchUpS: await drained() });
    }
    const best = <T extends LoadResult>(runs: T[]): T => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    const w = best(without);
    const r = best(withRules);
    const ratio = r.rps / w.rps;
    const kind = pgUrl ? 'PostgreSQL' : 'PGlite';
    return {
      figure: `Case creation over HTTP with 5 active reminder rules on the case type (10 sends scheduled per case), the server's reminder loop running (${kind})`,
      target: 'within 20 % of the same without rules',
      measured:
        `${Math.round(ratio * 100)} % (best of two runs each: ${r.rps.toFixed(0)} against ${w.rps.toFixed(0)} cases/s, p99 ${r.p99} against ${w.p99} ms; ` +
        `all runs with rules ${withRules.map((x) => x.rps.toFixed(0)).join(', ')}, without ${without.map((x) => x.rps.toFixed(0)).join(', ')}; 8 connections, ${seconds} s each); ` +
        `cases waiting for evaluation when a run with rules stopped: ${withRules.map((x) => `${x.backlog.toLocaleString('en')}, all evaluated ${x.catchUpS.toFixed(1)} s later`).join('; ')}`,
      pass: ratio >= 0.8,
    };
  } finally {
    await server.stop();
  }
}

async function sentCount(db: ServiceDeps['db'], ruleId: string): Promise<number> {
  const row = await db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'sent').where('reminder_rule_id', '=', ruleId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Embedded: the reminder loop's send step turns the due occurrences into messages while the
 * dispatch loop sends them through the test provider, in this one process (both share PGlite's
 * thread, as in `rollcall serve`), on the bench's clock.
 */
async function dueInProcess(deps: ServiceDeps, db: ServiceDeps['db'], ruleId: string, due: number, setClock: (at: Date) => void, batches: ReminderBatches, config: Config): Promise<BenchResult> {
  const at = new Date('2027-01-25T06:00:00Z');
  setClock(at);
  await sql`
    update reminder_occurrences set due_at = ${at}
     where ctid in (select ctid from reminder_occurrences where status = 'scheduled' limit ${due})`.execute(db);
  const t0 = performance.now();
  let converted = 0;
  let convertedAt = 0;
  let dispatched = 0;
  const converting = (async () => {
    for (;;) {
      const n = await sendDueReminders(deps, batches.sends);
      converted += n;
      if (n === 0) {
        convertedAt = performance.now();
        return;
      }
    }
  })();
  const dispatching = (async () => {
    while (dispatched < due) {
      const n = await dispatchOnce(deps, { batchSize: config.dispatchBatch, leaseMs: config.dispatchLeaseMs, laneSize: config.dispatchLaneSize });
      dispatched += n;
      if (n === 0) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  })();
  await Promise.all([converting, dispatching]);
  const sendS = (performance.now() - t0) / 1000;
  const convertS = (convertedAt - t0) / 1000;
  const sent = await sentCount(db, ruleId);
  return {
    figure: `${due.toLocaleString('en')} reminders due at the same minute, sent end to end: made into messages and dispatched through the test provider, one process (PGlite)`,
    target: `within the normal dispatch figure (>= 300/s, so <= ${Math.round(due / 300)} s)`,
    measured: `${sendS.toFixed(1)} s (${Math.round(due / sendS).toLocaleString('en')}/s; ${sent.toLocaleString('en')} sent; made into messages in ${convertS.toFixed(1)} s, ${Math.round(converted / convertS).toLocaleString('en')}/s, batches of ${batches.sends})`,
    pass: sent === due && due / sendS >= 300,
  };
}

/**
 * PostgreSQL: as in production, two `rollcall worker` processes (the messaging bench's dispatch
 * figure has two), each running the reminder loop and dispatch; the occurrences are made due now
 * on the real clock. Seconds from then until all are sent.
 */
async function dueOnPostgres(db: ServiceDeps['db'], url: string, ruleId: string, due: number): Promise<BenchResult> {
  await sql`
    update reminder_occurrences set due_at = now()
     where ctid in (select ctid from reminder_occurrences where status = 'scheduled' limit ${due})`.execute(db);
  await sql`analyze reminder_occurrences`.execute(db);
  const t0 = performance.now();
  const workers = [0, 1].map(() => spawnRollcall('worker', { DATABASE_URL: url, DATA_DIR: tempDir('rollcall-bench-w-'), ROLLCALL_SECRET_KEY: KEY, LOG_LEVEL: 'warn' }));
  let convertS = 0;
  let sent = 0;
  try {
    for (const deadline = performance.now() + 600_000; sent < due && performance.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 500));
      if (convertS === 0) {
        const left = await db.selectFrom('reminder_occurrences').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'scheduled').where('due_at', '<=', new Date()).executeTakeFirstOrThrow();
        if (Number(left.n) === 0) {
          convertS = (performance.now() - t0) / 1000;
        }
      }
      sent = await sentCount(db, ruleId);
    }
  } finally {
    await Promise.all(workers.map((w) => kill(w, 'SIGTERM')));
  }
  const sendS = (performance.now() - t0) / 1000;
  return {
    figure: `${due.toLocaleString('en')} reminders due at the same minute, sent end to end by two \`rollcall worker\` processes (reminder loop and dispatch in each; PostgreSQL)`,
    target: `within the normal dispatch figure (>= 1,000/s, so <= ${Math.round(due / 1000)} s)`,
    measured: `${sendS.toFixed(1)} s from the minute to the last one sent, workers' start included (${Math.round(due / sendS).toLocaleString('en')}/s; ${sent.toLocaleString('en')} sent; all made into messages after ${convertS.toFixed(1)} s)`,
    pass: sent === due && due / sendS >= 1000,
  };
}

export async function benchReminders(pgUrl: string | null, o: ReminderBenchOptions): Promise<BenchResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-bench-reminders-'));
  const pgDb = pgUrl ? await createBenchDatabase(pgUrl) : null;
  const handle = pgDb ? await openDatabase({ databaseUrl: pgDb.url, poolSize: 10 }) : await openDatabase({ dataDir });
  const kind = pgDb ? 'PostgreSQL' : 'PGlite';
  const batches = pgDb ? POSTGRES_REMINDER_BATCHES : EMBEDDED_REMINDER_BATCHES;
  const results: BenchResult[] = [];
  try {
    await migrateToLatest(handle.db);
    const db = handle.db;
    let clock = new Date('2027-01-01T12:00:00Z');
    const config = makeConfig({ logLevel: 'silent', dataDir, ...(pgDb ? { databaseUrl: pgDb.url } : {}), secretKey: KEY });
    const deps: ServiceDeps = { ...serviceDeps(config, handle), clock: () => clock };
    const projectRow = await db
      .insertInto('projects')
      .values({ name: 'bench', time_zone: 'Africa/Nairobi', default_country: 'KE', languages: '["en","sw"]', default_language: 'en', phone_validation: 'strict', settings: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const gw = await db
      .insertInto('gateways')
      .values({ project_id: projectRow.id, name: 'TEST', type: 'test', channel: 'sms', config_encrypted: createSecretBox(parseKey(KEY)).seal('{}'), reply_to_number: null, opt_in_keywords: '[]', opt_out_keywords: '[]', rate_per_second: null, inbound_key: `rem-${Date.now()}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('gateway_routes').values({ project_id: projectRow.id, prefix: '*', gateway_id: gw.id }).execute();
    const project = (await findProjectByName(db, 'bench'))!;

    // 1. Evaluation of a new rule over N cases.
    const t0 = performance.now();
    const chunk = 100_000;
    for (let lo = 1; lo <= o.cases; lo += chunk) {
      const hi = Math.min(o.cases, lo + chunk - 1);
      await sql`
        insert into cases (project_id, case_type, name, properties, phone_number)
        select ${projectRow.id}::uuid, 'pregnancy', 'Mother ' || g,
               jsonb_build_object('contact_phone_number', '+2547' || (20000000 + g), 'next_visit_date', to_char(date '2027-02-01' + (g % 90), 'YYYY-MM-DD'),
                                  'language_code', case when g % 2 = 0 then 'sw' else 'en' end)
                 || case when g % 3 = 0 then jsonb_build_object('time_zone', case when g % 6 = 0 then 'America/New_York' else 'Asia/Kolkata' end) else '{}'::jsonb end,
               '+2547' || (20000000 + g)
          from generate_series(${lo}::int, ${hi}::int) g`.execute(db);
    }
    await sql`analyze`.execute(db);
    log(`${kind}: ${o.cases} cases generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = performance.now();
    const rule = await createReminderRule(deps, project, RULE, null);
    let steps = 0;
    while ((await evaluateRuleStep(deps, batches.cases, batches.parallel)) > 0) {
      steps++;
      const row = await db.selectFrom('reminder_rules').select('evaluation').where('id', '=', rule.id).executeTakeFirstOrThrow();
      if (row.evaluation?.status === 'done') {
        break;
      }
      if (steps % 50 === 0) {
        log(`  evaluation ${row.evaluation?.done}/${row.evaluation?.total} after ${((performance.now() - t1) / 1000).toFixed(1)} s`);
      }
    }
    const evalS = (performance.now() - t1) / 1000;
    const occ = await db.selectFrom('reminder_occurrences').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'scheduled').executeTakeFirstOrThrow();
    const target = pgDb ? 60 : 30;
    results.push({
      figure: `Evaluating a new reminder rule over ${o.cases.toLocaleString('en')} cases (${kind})`,
      target: `< ${target} s${(pgDb ? o.cases >= 1_000_000 : o.cases >= 100_000) ? '' : ' (at the full size)'}`,
      measured: `${evalS.toFixed(1)} s (${Math.round(o.cases / evalS).toLocaleString('en')} cases/s, ${Number(occ.n).toLocaleString('en')} sends scheduled, batches of ${batches.cases})`,
      pass: evalS < target,
    });
    log(results.at(-1)!.measured);

    // 2. `due` occurrences due at the same minute, sent end to end.
    results.push(pgDb ? await dueOnPostgres(db, pgDb.url, rule.id, o.due) : await dueInProcess(deps, db, rule.id, o.due, (at) => (clock = at), batches, config));
    log(results.at(-1)!.measured);

    // 3. Case writes with the loop running beside them: no rule on the type, then 5 active rules.
    await db.deleteFrom('reminder_rules').execute();
    await db.deleteFrom('reminder_occurrences').execute();
    await db.deleteFrom('reminder_matches').execute();
    clock = new Date('2027-01-01T12:00:00Z');
    const beside0 = startReminderLoop(deps, batches, { requestLoad: handle.requestLoad, onError: (err) => log(String(err)) });
    await writers(deps, project, 2, 0); // warm-up
    const without = await writers(deps, project, o.seconds, 100_000);
    await beside0.stop();
    for (let i = 0; i < 5; i++) {
      await createReminderRule(deps, project, { ...RULE, caseType: 'anc', name: `Rule ${i}`, schedule: { ...RULE.schedule, offsets: [{ days: -7 - i, time: '09:00' }, { days: -1, time: `1${i}:00` }] } }, null);
    }
    while ((await evaluateRuleStep(deps, batches.cases, batches.parallel)) > 0) {
      const left = await db.selectFrom('reminder_rules').select('id').where(sql<boolean>`evaluation->>'status' = 'running'`).executeTakeFirst();
      if (!left) {
        break;
      }
    }
    while ((await evaluateDirtyCases(deps, batches.marked)) > 0) {
      // the marks of the writes above
    }
    const beside5 = startReminderLoop(deps, batches, { requestLoad: handle.requestLoad, onError: (err) => log(String(err)) });
    const withRules = await writers(deps, project, o.seconds, 300_000);
    await beside5.stop();
    const ratio = withRules / without;
    results.push({
      figure: `Case creation + update with 5 active reminder rules on the case type, the reminder loop running (${kind})`,
      target: 'within 20 % of the same without rules',
      measured: `${Math.round(ratio * 100)} % (${withRules.toFixed(0)} against ${without.toFixed(0)} cases/s, each created then updated, 8 writers)`,
      pass: ratio >= 0.8,
    });
    log(results.at(-1)!.measured);
    results.push(await httpCreation(pgUrl, o.seconds));
    log(results.at(-1)!.measured);
    return results;
  } finally {
    await handle.close();
    await pgDb?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const pgUrl = option('--pg') ?? process.env.ROLLCALL_BENCH_DATABASE_URL ?? null;
  const seconds = Number(option('--seconds') ?? 10);
  // `--http-only`: only the case creation figure over HTTP (phase 4).
  const results = args.includes('--http-only') ? [await httpCreation(pgUrl, seconds)] : await benchReminders(pgUrl, {
    cases: Number(option('--cases') ?? (pgUrl ? 1_000_000 : 100_000)),
    due: Number(option('--due') ?? 100_000),
    seconds: Number(option('--seconds') ?? 10),
  });
  for (const r of results) {
    process.stdout.write(`${r.pass ? 'PASS' : 'MISS'}  ${r.figure}: ${r.measured} (target ${r.target})\n`);
  }
}
