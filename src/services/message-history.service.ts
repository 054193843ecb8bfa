/**
 * @module services/message-history.service — keeps the month partitions of `messages` ready ahead
 * of time and, with ROLLCALL_MESSAGE_RETENTION_DAYS, removes the months that have passed it
 * (store/message-partitions.store.ts; docs/message-history.md). Run by the "message-history" loop
 * in worker processes; several processes may run it at once (one advisory lock serialises them).
 */
import { sql } from 'kysely';

import type { Db } from '../store/database.ts';
import { dropMessagePartitionsBefore, ensureMessagePartitions, monthStart, type RetentionStep } from '../store/message-partitions.store.ts';

/** Months kept ready after the current one. */
export const MONTHS_AHEAD = 2;

/** How often the loop looks (the work is monthly; an hour makes a missed month boundary short). */
export const MESSAGE_HISTORY_POLL_MS = 3_600_000;

const DAY_MS = 86_400_000;

export interface MessageHistoryStep {
  created: string[];
  retention: RetentionStep | null;
}

/**
 * One step: partitions for this month and the next MONTHS_AHEAD (and for any month whose rows the
 * default partition took meanwhile), then, when `retentionDays` is set, drops the months that ended
 * more than that many days before `now`.
 */
export async function maintainMessageHistory(db: Db, now: Date, retentionDays: number | null): Promise<MessageHistoryStep> {
  const created = await ensureMessagePartitions(db, monthStart(now), monthStart(now, MONTHS_AHEAD));
  // Rows the default partition holds (a clock set far ahead, a month missed): each month gets its partition.
  const strays = await sql<{ month: Date }>`select distinct date_trunc('month', created_at at time zone 'UTC') at time zone 'UTC' as month from messages_default limit 120`.execute(db);
  for (const r of strays.rows) {
    const month = new Date(r.month);
    created.push(...(await ensureMessagePartitions(db, month, month)));
  }
  const retention = retentionDays === null ? null : await dropMessagePartitionsBefore(db, new Date(now.getTime() - retentionDays * DAY_MS));
  return { created, retention };
}
