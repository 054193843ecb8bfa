/**
 * @module store/message-partitions.store — the months of `messages` (migration 0023): each month of
 * `created_at` (UTC) is a partition `messages_YYYY_MM`; `messages_before_partitions` holds what was
 * stored before the upgrade; `messages_default` takes rows of a month that has no partition yet.
 * The maintenance loop (jobs/background-work.ts, "message-history") keeps the coming months ready
 * and, when ROLLCALL_MESSAGE_RETENTION_DAYS is set, drops months that are wholly older than that.
 */
import { sql } from 'kysely';

import type { Db } from './database.ts';

export interface MessagePartition {
  name: string;
  /** Null for the lowest (MINVALUE) bound and for the default partition. */
  from: Date | null;
  /** Null for the default partition. */
  to: Date | null;
  isDefault: boolean;
}

/** The partitions of `messages`, oldest first, the default last. */
export async function listMessagePartitions(db: Db): Promise<MessagePartition[]> {
  // The bounds are read back as text in the session's time zone and cast back to timestamptz in
  // the same session, so they are right whatever TimeZone is set.
  const { rows } = await sql<{ name: string; bound: string; lo: Date | null; hi: Date | null }>`
    select c.relname as name, b.bound,
           (regexp_match(b.bound, 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz as lo,
           (regexp_match(b.bound, 'TO \\(''([^'']+)''\\)'))[1]::timestamptz as hi
      from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      cross join lateral (select pg_get_expr(c.relpartbound, c.oid) as bound) b
     where i.inhparent = 'messages'::regclass
  `.execute(db);
  return rows
    .map((r) => ({ name: r.name, from: r.lo ? new Date(r.lo) : null, to: r.hi ? new Date(r.hi) : null, isDefault: r.bound === 'DEFAULT' }))
    .sort((a, b) => (a.isDefault ? 1 : b.isDefault ? -1 : (a.to?.getTime() ?? 0) - (b.to?.getTime() ?? 0)));
}

/** The first instant (UTC) of the month of `at`, `plus` months on. */
export function monthStart(at: Date, plus = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + plus, 1));
}

function partitionName(month: Date): string {
  return `messages_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Waits this long for a lock on `messages` before giving up until the next step (never queues traffic behind it for long). */
const LOCK_TIMEOUT = '5s';

/** Null when a lock could not be had within LOCK_TIMEOUT (busy queries on `messages`): the next step tries again. */
async function unlessLockTimesOut<T>(work: () => Promise<T>): Promise<T | null> {
  try {
    return await work();
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') {
      return null;
    }
    throw err;
  }
}

/** Rollcall's advisory lock key for partition maintenance (one process at a time). */
const MAINTENANCE_LOCK = 7_226_001;

/**
 * Creates the month partitions from the month of `from` to that of `to` that do not exist and that
 * no partition covers, moving into each the rows the default partition holds for it. Returns the
 * names created. Another process doing the same at the moment makes this one return at once.
 */
export async function ensureMessagePartitions(db: Db, from: Date, to: Date): Promise<string[]> {
  const created: string[] = [];
  for (let month = monthStart(from); month <= to; month = monthStart(month, 1)) {
    const next = monthStart(month, 1);
    const made = await unlessLockTimesOut(() => db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK}) as ok`.execute(trx);
      if (!rows[0]?.ok) {
        return null;
      }
      const covered = (await listMessagePartitions(trx)).some((p) => !p.isDefault && (p.from === null || p.from < next) && p.to !== null && p.to > month);
      if (covered) {
        return null;
      }
      const name = partitionName(month);
      await sql`set local lock_timeout = ${sql.lit(LOCK_TIMEOUT)}`.execute(trx);
      // Rows of this month that arrived before its partition: no insert may add more until it is attached.
      await sql`lock table messages_default in exclusive mode`.execute(trx);
      await sql`create table ${sql.id(name)} (like messages including defaults including constraints including storage)`.execute(trx);
      await sql`
        with moved as (delete from messages_default where created_at >= ${month.toISOString()}::timestamptz and created_at < ${next.toISOString()}::timestamptz returning *)
        insert into ${sql.id(name)} select * from moved
      `.execute(trx);
      await sql`alter table messages attach partition ${sql.id(name)} for values from (${sql.lit(month.toISOString())}) to (${sql.lit(next.toISOString())})`.execute(trx);
      return name;
    }));
    if (made) {
      created.push(made);
    }
  }
  return created;
}

export interface RetentionStep {
  dropped: string[];
  /** Partitions old enough to go that still hold messages waiting to be sent. */
  kept: Array<{ name: string; pending: number }>;
  /** inbound_keys rows removed (the duplicate guard of the months dropped). */
  keysRemoved: number;
}

/**
 * Drops the month partitions wholly older than `cutoff` (their `to` bound at or before it). A
 * partition that still holds a message to send is kept and named
 * in the result (the caller logs it): nothing waiting is removed. The duplicate guard of inbound
 * messages (inbound_keys) goes with the months dropped. The consent ledger and the dashboard's
 * counts live in other tables and are not touched.
 */
export async function dropMessagePartitionsBefore(db: Db, cutoff: Date): Promise<RetentionStep> {
  const step: RetentionStep = { dropped: [], kept: [], keysRemoved: 0 };
  const old = (await listMessagePartitions(db)).filter((p) => !p.isDefault && p.to !== null && p.to <= cutoff);
  for (const p of old) {
    const outcome = await unlessLockTimesOut(() => db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK}) as ok`.execute(trx);
      if (!rows[0]?.ok) {
        return null;
      }
      // Two counts, each answered by a partial index of the partition (the queue, the leases); inbound
      // messages waiting to be handled are not in messages (inbound_arrivals, migration 0025).
      const pending = await sql<{ n: string }>`
        select (select count(*) from ${sql.id(p.name)} where status in ('queued', 'scheduled'))
             + (select count(*) from ${sql.id(p.name)} where status = 'sending') as n
      `.execute(trx);
      const n = Number(pending.rows[0]?.n ?? 0);
      if (n > 0) {
        return { kept: n };
      }
      await sql`set local lock_timeout = ${sql.lit(LOCK_TIMEOUT)}`.execute(trx);
      await sql`drop table ${sql.id(p.name)}`.execute(trx);
      return { kept: 0 };
    }));
    if (outcome === null) {
      continue;
    }
    if (outcome.kept > 0) {
      step.kept.push({ name: p.name, pending: outcome.kept });
    } else {
      step.dropped.push(p.name);
    }
  }
  // The guard against a vendor's retried webhook: kept as long as the oldest month still stored.
  const oldest = (await listMessagePartitions(db)).find((p) => !p.isDefault);
  const keep = oldest?.from ?? null;
  if (oldest && keep !== null) {
    for (;;) {
      const r = await sql`
        delete from inbound_keys where ctid in (select ctid from inbound_keys where created_at < ${keep.toISOString()}::timestamptz limit 10000)
      `.execute(db);
      const n = Number(r.numAffectedRows ?? 0);
      step.keysRemoved += n;
      if (n < 10_000) {
        break;
      }
    }
  }
  return step;
}
