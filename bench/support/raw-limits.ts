/**
 * Raw limits: what the database engine itself does, on this machine at this moment, for the work a
 * throughput figure stands on — the same statements' core on the same table shape, at the same
 * batch size and concurrency, with no HTTP, no Rollcall code and no JS work beyond sending them.
 * A bench measures one right before its own figure, in the same database (or, for the embedded
 * server, whose PGlite folder the server process holds, in a scratch PGlite of the same version and
 * settings), and prints figure ÷ raw limit (BenchResult.ratio). On this shared VM the absolute
 * figures vary by ±20–50 % between runs; a slow spell slows the raw limit too, so the ratio is the
 * number to compare across runs (bench/notes.md, "Raw limits").
 *
 * A target is a PostgreSQL URL (each concurrent loop gets a connection of its own) or a PGlite
 * instance (one connection: the loops take turns, as the server's own statements do).
 */
import fs from 'node:fs';

import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

import { openDatabase } from '../../src/store/connection.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { tempDir } from '../../test/support/child-server.ts';

export type RawTarget = { url: string } | { pglite: PGlite };

type Query = <R = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<R[]>;

/** One connection (PostgreSQL) or a turn at the one connection (PGlite). */
interface Session {
  query: Query;
  /** BEGIN; fn; COMMIT on this session (ROLLBACK if fn throws). */
  transaction<T>(fn: (q: Query) => Promise<T>): Promise<T>;
  /** Several statements, no parameters. */
  exec(text: string): Promise<void>;
}

/** Runs fn with `n` sessions on the target, closed afterwards. */
async function withSessions<T>(target: RawTarget, n: number, fn: (sessions: Session[]) => Promise<T>): Promise<T> {
  if ('pglite' in target) {
    const db = target.pglite;
    const query: Query = async (text, values) => (await db.query(text, values)).rows as never[];
    const session: Session = {
      query,
      transaction: (f) => db.transaction((tx) => f(async (text, values) => (await tx.query(text, values)).rows as never[])),
      exec: async (text) => void (await db.exec(text)),
    };
    return fn(Array.from({ length: n }, () => session));
  }
  const clients = await Promise.all(
    Array.from({ length: n }, async () => {
      const c = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000 });
      await c.connect();
      return c;
    }),
  );
  try {
    return await fn(
      clients.map((c) => {
        const query: Query = async (text, values) => (await c.query(text, values)).rows;
        return {
          query,
          async transaction(f) {
            await c.query('begin');
            try {
              const out = await f(query);
              await c.query('commit');
              return out;
            } catch (err) {
              await c.query('rollback').catch(() => {});
              throw err;
            }
          },
          exec: async (text) => void (await c.query(text)),
        } satisfies Session;
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}

/** One statement on the target (look up ids for the loops below). */
export async function rawQuery<R = Record<string, unknown>>(target: RawTarget, text: string, values?: unknown[]): Promise<R[]> {
  return withSessions(target, 1, ([s]) => (s as Session).query<R>(text, values));
}

/**
 * A scratch table with the messages table's shape: its columns, defaults, checks and indexes
 * (LIKE … INCLUDING ALL), its foreign keys to projects and gateways, and its statement-level
 * dashboard triggers (migration 0013), which the real statements fire too. A scratch table, not
 * `messages` itself: the running server's inbound worker and the bench's sent-count would see rows
 * put there. Dropped by the caller.
 */
async function createMessagesLike(s: Session, table: string): Promise<void> {
  await s.exec(`
    drop table if exists ${table};
    create table ${table} (like messages including all) partition by range (created_at);
    create table ${table}_rows partition of ${table} default;
    alter table ${table} add foreign key (project_id) references projects (id) on delete cascade,
      add foreign key (gateway_id) references gateways (id) on delete set null;
    create trigger ${table}_ins after insert on ${table}
      referencing new table as new_rows for each statement execute function dashboard_message_delta();
    create trigger ${table}_upd after update on ${table}
      referencing old table as old_rows new table as new_rows for each statement execute function dashboard_message_delta();
  `);
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/**
 * Dispatch's raw limit, rows/s: `rows` due messages (as bench/messaging.bench.ts preloads them) in
 * a messages-shaped table, drained by `workers` loops, each claiming `batch` rows at a time with
 * the claim of store/message.store.ts claimDueMessages (one project's rows, FOR UPDATE SKIP LOCKED →
 * 'sending', with a lease) and marking each claimed batch 'sent' in one UPDATE … WHERE id = ANY(…), up to `lanes`
 * marks in flight per loop (dispatch-worker.ts: a lane holds up to 4 parts out per gateway). No
 * send-time checks, no provider call, no rows read back beyond their ids. Timed from the first
 * claim to the last mark; the fill is not timed.
 */
export async function claimAndMark(
  target: RawTarget,
  opts: { rows: number; batch: number; workers: number; lanes: number; projectId: string; gatewayId: string },
): Promise<number> {
  const table = 'raw_limit_dispatch';
  return withSessions(target, opts.workers * (1 + opts.lanes), async (sessions) => {
    const s0 = sessions[0] as Session;
    await createMessagesLike(s0, table);
    try {
      await s0.query(
        `insert into ${table} (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at)
         select $1::uuid, 'out', 'sms', 'queued', '+254712' || lpad(g::text, 6, '0'), 'Clinic day is Monday', $2::uuid, 'TEST', now()
         from generate_series(1, $3::int) g`,
        [opts.projectId, opts.gatewayId, opts.rows],
      );
      const claim = `
        with picked as (
          select id from ${table} where project_id = $2 and status in ('queued', 'scheduled') and due_at <= now()
          order by due_at limit $1 for update skip locked
        )
        update ${table} m set status = 'sending', attempts = m.attempts + 1, lease_until = clock_timestamp() + interval '60 seconds', updated_at = clock_timestamp()
        from picked where m.id = picked.id
        returning m.id`;
      const mark = `update ${table} set status = 'sent', sent_at = clock_timestamp(), lease_until = null, updated_at = clock_timestamp() where id = any($1::uuid[]) and status = 'sending'`;
      let done = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: opts.workers }, async (_, w) => {
          const own = sessions.slice(w * (1 + opts.lanes), (w + 1) * (1 + opts.lanes));
          const claimer = own[0] as Session;
          const free = own.slice(1);
          const busy = new Set<Promise<void>>();
          for (;;) {
            const ids = (await claimer.query<{ id: string }>(claim, [opts.batch, opts.projectId])).map((r) => r.id);
            if (ids.length === 0) {
              break;
            }
            while (free.length === 0) {
              await Promise.race(busy);
            }
            const lane = free.pop() as Session;
            const marking: Promise<void> = lane
              .query(mark, [ids])
              .then(() => void (done += ids.length))
              .finally(() => {
                free.push(lane);
                busy.delete(marking);
              });
            busy.add(marking);
          }
          await Promise.all(busy);
        }),
      );
      const rate = done / seconds(t0);
      const [left] = await s0.query<{ n: string }>(`select count(*) as n from ${table} where status <> 'sent'`);
      if (done !== opts.rows || Number(left?.n) !== 0) {
        throw new Error(`claim-and-mark marked ${done} of ${opts.rows} rows (${left?.n} left)`);
      }
      return rate;
    } finally {
      await s0.exec(`drop table if exists ${table}`);
    }
  });
}

/**
 * Inbound storage's raw limit, rows/s: for `durationS`, transactions of one multi-row INSERT of
 * `group` keys into an inbound_keys-shaped table (ON CONFLICT DO NOTHING) and one of `group` inbound
 * rows — the statements and columns of store/inbound.store.ts insertArrivals, the row content of bench/support/load.ts's inbound kind — into an
 * inbound_arrivals-shaped table, from `concurrency` sessions. The server groups webhooks this way
 * (services/inbound-intake.service.ts: requests that arrive during a flush form the next group, one
 * flush at a time), so with C concurrent senders a group holds at most C rows and concurrency is 1.
 */
export async function groupedInsert(target: RawTarget, opts: { durationS: number; group: number; concurrency: number; projectId: string; gatewayId: string }): Promise<number> {
  const table = 'raw_limit_inbound';
  const columns = ['project_id', 'channel', 'from_address', 'to_address', 'text', 'gateway_id', 'gateway_name', 'gateway_message_id', 'via_tester'];
  const placeholders = Array.from({ length: opts.group }, (_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
  // The duplicate guard first (inbound_keys, migration 0023), then the rows whose key was new.
  const keyPlaceholders = Array.from({ length: opts.group }, (_, r) => `($${r * 2 + 1}::uuid, $${r * 2 + 2})`).join(', ');
  const insertKeys = `insert into ${table}_keys (gateway_id, gateway_message_id) values ${keyPlaceholders} on conflict do nothing returning gateway_message_id`;
  const insert = `insert into ${table} (${columns.join(', ')}) values ${placeholders}`;
  let next = 0;
  const values = () =>
    Array.from({ length: opts.group }, () => {
      const i = next++;
      const id = `raw-${i}`;
      const from = `+254713${String(i % 5000).padStart(6, '0')}`;
      return [opts.projectId, 'sms', from, null, `hello ${i}`, opts.gatewayId, 'TEST', id, false];
    }).flat();
  return withSessions(target, opts.concurrency, async (sessions) => {
    const s0 = sessions[0] as Session;
    await s0.exec(`
      drop table if exists ${table}; drop table if exists ${table}_keys;
      create table ${table} (like inbound_arrivals including all);
      alter table ${table} add foreign key (project_id) references projects (id) on delete cascade,
        add foreign key (gateway_id) references gateways (id) on delete set null;
      create table ${table}_keys (like inbound_keys including all)`);
    try {
      let rows = 0;
      const t0 = performance.now();
      const end = t0 + opts.durationS * 1000;
      await Promise.all(
        sessions.map(async (s) => {
          while (performance.now() < end) {
            const group = values();
            const keys = Array.from({ length: opts.group }, (_, r) => [opts.gatewayId, group[r * columns.length + 7]]).flat();
            await s.transaction(async (q) => {
              await q(insertKeys, keys);
              await q(insert, group);
            });
            rows += opts.group;
          }
        }),
      );
      return rows / seconds(t0);
    } finally {
      await s0.exec(`drop table if exists ${table}; drop table if exists ${table}_keys`);
    }
  });
}

/**
 * Case creation's raw limit, transactions/s: for `durationS`, `concurrency` sessions each running
 * BEGIN; INSERT INTO cases …; INSERT INTO phone_entries …; COMMIT — the rows a verified case with a
 * phone number makes (store/case.store.ts insertCases, store/phone-entry.store.ts insertEntries: a
 * two-way entry), into the real tables of `projectId`, numbers +2547 followed by numberBase + i (8
 * digits; keep the range clear of the load's numbers). Nothing else of the HTTP route: no
 * validation, no holder check, no JSON.
 */
export async function caseTransactions(target: RawTarget, opts: { durationS: number; concurrency: number; projectId: string; numberBase: number }): Promise<number> {
  const insertCase =
    `insert into cases (project_id, case_type, name, owner_id, external_id, properties, phone_number, closed_at, deleted_at, created_at, updated_at) ` +
    `values ($1, 'patient', $2, null, null, $3, $4, null, null, now(), now()) returning id`;
  const insertEntry =
    `insert into phone_entries (number, project_id, owner_type, owner_id, state, wants_two_way, wanted_at, pending_expires_at, verified_at, created_at, updated_at) ` +
    `values ($1, $2, 'case', $3, 'two-way', true, now(), null, now(), now(), now())`;
  let next = 0;
  return withSessions(target, opts.concurrency, async (sessions) => {
    let done = 0;
    const t0 = performance.now();
    const end = t0 + opts.durationS * 1000;
    await Promise.all(
      sessions.map(async (s) => {
        while (performance.now() < end) {
          const digits = String(opts.numberBase + next++).padStart(8, '0');
          const properties = JSON.stringify({ contact_phone_number: `07${digits}`, contact_phone_number_is_verified: '1' });
          await s.transaction(async (q) => {
            const [row] = await q<{ id: string }>(insertCase, [opts.projectId, `Raw patient ${digits}`, properties, `+2547${digits}`]);
            await q(insertEntry, [`+2547${digits}`, opts.projectId, row?.id]);
          });
          done++;
        }
      }),
    );
    return done / seconds(t0);
  });
}

/**
 * A scratch embedded database (PGlite in a temporary folder, migrated, with a project and a test
 * gateway) for the embedded figures whose server process holds its own folder: same engine, same
 * start parameters (store/connection.ts), same schema.
 */
export async function openScratchEmbedded(): Promise<{ target: RawTarget; projectId: string; gatewayId: string; close(): Promise<void> }> {
  const dataDir = tempDir('rollcall-bench-raw-');
  const handle = await openDatabase({ dataDir });
  try {
    await migrateToLatest(handle.db);
    const pglite = handle.pglite as PGlite;
    const [project] = (await pglite.query<{ id: string }>(`insert into projects (name, default_country) values ('bench', 'KE') returning id`)).rows;
    const [gateway] = (
      await pglite.query<{ id: string }>(`insert into gateways (project_id, name, type, channel, config_encrypted, inbound_key) values ($1, 'TEST', 'test', 'sms', 'x', 'raw-limit') returning id`, [project?.id])
    ).rows;
    return {
      target: { pglite },
      projectId: project?.id ?? '',
      gatewayId: gateway?.id ?? '',
      async close() {
        await handle.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await handle.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** "claim-and-mark 12,400 rows/s" and the ratio measured ÷ raw in per cent (one decimal). */
export function rawFields(label: string, raw: number, unit: string, measured: number): { rawLimit: string; ratio: number } {
  return { rawLimit: `${label} ${Math.round(raw).toLocaleString('en-US')} ${unit}`, ratio: Math.round((measured / raw) * 1000) / 10 };
}
