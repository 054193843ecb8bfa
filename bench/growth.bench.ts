/**
 * How messaging cost grows with the size of the phone registry: outbound (POST …/messages to
 * registered numbers, as fast as 8 clients can) and inbound (webhooks from registered numbers, as
 * fast as 32 clients can, then every message handled) at 10,000, 100,000 and 1,000,000 registered
 * phone numbers. One database grows between steps: the registry is filled straight in SQL (cases
 * with a two-way phone entry each) while the server is stopped, then a real `rollcall serve` child
 * process is started on it and loaded from separate load processes (bench/support/load.ts).
 */
import fs from 'node:fs';

import { sql } from 'kysely';

import { openDatabase } from '../src/store/connection.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { createSecretBox, parseKey } from '../src/lib/secret-box.ts';
import { freePort, tempDir } from '../test/support/child-server.ts';
import type { BenchResult } from './support/result.ts';
import { ADMIN, api, createBenchDatabase, kill, runLoad, serverEnv, spawnRollcall, waitHealthy } from './support/server.ts';

const KEY = 'be'.repeat(32);
export const GROWTH_SIZES = [10_000, 100_000, 1_000_000];
/** Registered numbers are +2547 followed by 20000000 + i (Safaricom 72x, all valid and distinct). */
export const REGISTERED_BASE = 20_000_000;

interface Store {
  open(): ReturnType<typeof openDatabase>;
  dataDir: string;
  url: string | null;
  drop(): Promise<void>;
}

async function makeStore(pgUrl: string | null): Promise<Store> {
  const dataDir = tempDir('rollcall-bench-growth-');
  if (pgUrl) {
    const db = await createBenchDatabase(pgUrl);
    return { open: () => openDatabase({ databaseUrl: db.url, poolSize: 4 }), dataDir, url: db.url, drop: db.drop };
  }
  return { open: () => openDatabase({ dataDir }), dataDir, url: null, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

/** The project "bench" with a test gateway for every number; returns the gateway's webhook path. */
async function createProject(store: Store): Promise<string> {
  const handle = await store.open();
  try {
    await migrateToLatest(handle.db);
    const project = await handle.db.insertInto('projects').values({ name: 'bench', time_zone: 'Africa/Nairobi', default_country: 'KE', languages: '["en"]', default_language: 'en', phone_validation: 'strict', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
    const inboundKey = `growth-${Date.now()}`;
    const gw = await handle.db
      .insertInto('gateways')
      .values({ project_id: project.id, name: 'TEST', type: 'test', channel: 'sms', config_encrypted: createSecretBox(parseKey(KEY)).seal('{}'), reply_to_number: null, opt_in_keywords: '[]', opt_out_keywords: '[]', rate_per_second: null, inbound_key: inboundKey })
      .returning('id')
      .executeTakeFirstOrThrow();
    await handle.db.insertInto('gateway_routes').values({ project_id: project.id, prefix: '*', gateway_id: gw.id }).execute();
    return `/webhooks/${inboundKey}/inbound`;
  } finally {
    await handle.close();
  }
}

/** Grows the registry from `from` to `to` numbers, in steps of 100,000 rows; returns seconds taken. */
async function growRegistry(store: Store, from: number, to: number): Promise<number> {
  const t0 = performance.now();
  const handle = await store.open();
  try {
    const project = await handle.db.selectFrom('projects').select('id').where('name', '=', 'bench').executeTakeFirstOrThrow();
    for (let lo = from; lo < to; lo += 100_000) {
      const hi = Math.min(to, lo + 100_000) - 1;
      await handle.db.transaction().execute(async (trx) => {
        await sql`
          with made as (
            insert into cases (project_id, case_type, name, properties, phone_number)
            select ${project.id}::uuid, 'patient', 'Patient ' || g,
                   jsonb_build_object('contact_phone_number', '+2547' || (${REGISTERED_BASE} + g), 'contact_phone_number_is_verified', '1'),
                   '+2547' || (${REGISTERED_BASE} + g)
            from generate_series(${lo}::int, ${hi}::int) g
            returning id, phone_number
          )
          insert into phone_entries (number, project_id, owner_type, owner_id, state, verified_at)
          select phone_number, ${project.id}::uuid, 'case', id, 'two-way', now() from made
        `.execute(trx);
      });
    }
    await sql`analyze`.execute(handle.db);
  } finally {
    await handle.close();
  }
  return (performance.now() - t0) / 1000;
}

/** Waits until /metrics says no inbound message is left unhandled; returns when that was seen. */
async function waitInboundHandled(base: string, token: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    const left = Number(/^rollcall_inbound_unhandled (\d+)/m.exec(text)?.[1] ?? NaN);
    if (left === 0) {
      return Date.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('inbound messages still unhandled after the drain period');
}

async function measureAt(store: Store, size: number, hook: string, engine: string, round: number): Promise<BenchResult[]> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnRollcall('serve', serverEnv(port, store.dataDir, store.url));
  try {
    await waitHealthy(base, child, 180_000);
    const login = await api(base, null, 'POST', '/api/v1/auth/tokens', ADMIN);
    const token = login.json.token as string;
    const common = { base, token, project: 'bench', registered: size };
    const out = await runLoad({ ...common, kind: 'send-messages', connections: 8, durationS: 10, numberBase: round * 7 });
    const t0 = Date.now();
    const inbound = await runLoad({ ...common, kind: 'inbound', hook, connections: 32, durationS: 10, numberBase: round * 1_000_000 });
    const handledAt = await waitInboundHandled(base, token, 180_000);
    const handled = inbound.ok / ((handledAt - t0) / 1000);
    const n = size.toLocaleString('en');
    return [
      { figure: `Outbound at ${n} registered numbers (${engine})`, target: 'grows slowly', measured: `${Math.round(out.rps)} accepted/s, p99 ${out.p99} ms (p50 ${out.p50} ms, ${out.non2xx} non-2xx)`, pass: out.non2xx === 0 && out.errors === 0 },
      { figure: `Inbound at ${n} registered numbers (${engine})`, target: 'grows slowly', measured: `${Math.round(handled)} handled/s end to end, acknowledgement p99 ${inbound.p99} ms (accepted ${Math.round(inbound.rps)}/s, ${inbound.non2xx} non-2xx)`, pass: inbound.non2xx === 0 && inbound.errors === 0 },
    ];
  } finally {
    await kill(child, 'SIGTERM');
    await kill(child, 'SIGKILL');
  }
}

/** Throughput at the largest registry against the smallest: the figure the target is about. */
function growthSummary(rows: BenchResult[], engine: string, sizes: number[]): BenchResult[] {
  const rate = (r: BenchResult | undefined) => Number(/^(\d+)/.exec(r?.measured ?? '')?.[1] ?? 0);
  const first = sizes[0]?.toLocaleString('en') ?? '?';
  const last = sizes.at(-1)?.toLocaleString('en') ?? '?';
  return ['Outbound', 'Inbound'].map((kind) => {
    const mine = rows.filter((r) => r.figure.startsWith(kind));
    const ratio = rate(mine.at(-1)) / Math.max(1, rate(mine[0]));
    return { figure: `${kind} throughput at ${last} against ${first} registered numbers (${engine})`, target: '>= 50%', measured: `${Math.round(ratio * 100)}%`, pass: ratio >= 0.5 };
  });
}

export async function benchGrowth(engine: 'embedded' | 'postgres', pgUrl: string | null, sizes = GROWTH_SIZES): Promise<BenchResult[]> {
  const store = await makeStore(engine === 'postgres' ? pgUrl : null);
  const rows: BenchResult[] = [];
  try {
    const hook = await createProject(store);
    let have = 0;
    for (const [round, size] of sizes.entries()) {
      const seedS = await growRegistry(store, have, size);
      have = size;
      const measured = await measureAt(store, size, hook, engine, round);
      if (measured[0]) {
        measured[0].note = `registry grown to ${size.toLocaleString('en')} in ${seedS.toFixed(0)} s of SQL`;
      }
      rows.push(...measured);
    }
    rows.push(...growthSummary(rows, engine, sizes));
    return rows;
  } finally {
    await store.drop();
  }
}
