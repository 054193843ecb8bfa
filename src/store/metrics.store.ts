/**
 * @module store/metrics.store — the gauges GET /metrics reads from the database at scrape time:
 * the outbound queue (each count served by a partial index), the age of the oldest due message,
 * inbound messages not yet handled, opted-out numbers and cases waiting for their reminder rules. The same in every process.
 */
import { sql } from 'kysely';

import type { Db } from './database.ts';

export interface QueueGauges {
  queued: number;
  scheduled: number;
  sending: number;
  /** Seconds since the oldest queued message became due (0 when none is waiting). */
  oldestDueSeconds: number;
  inboundUnhandled: number;
  optedOutNumbers: number;
  /** Cases changed since their reminder rules were last evaluated (the reminder loop's backlog). */
  reminderCasesWaiting: number;
}

export async function readQueueGauges(db: Db): Promise<QueueGauges> {
  const r = await sql<{ queued: string; scheduled: string; sending: string; oldest_due_seconds: string | null; inbound_unhandled: string; opted_out: string; reminder_cases: string }>`
    select
      (select count(*) from messages where status = 'queued') as queued,
      (select count(*) from messages where status = 'scheduled') as scheduled,
      (select count(*) from messages where status = 'sending') as sending,
      (select extract(epoch from (now() - min(due_at))) from messages where status = 'queued' and due_at <= now()) as oldest_due_seconds,
      (select count(*) from inbound_arrivals) as inbound_unhandled,
      (select count(*) from opt_outs where opted_out) as opted_out,
      (select count(*) from reminder_dirty_cases) as reminder_cases
  `.execute(db);
  const row = r.rows[0];
  return {
    queued: Number(row?.queued ?? 0),
    scheduled: Number(row?.scheduled ?? 0),
    sending: Number(row?.sending ?? 0),
    oldestDueSeconds: Math.max(0, Number(row?.oldest_due_seconds ?? 0)),
    inboundUnhandled: Number(row?.inbound_unhandled ?? 0),
    optedOutNumbers: Number(row?.opted_out ?? 0),
    reminderCasesWaiting: Number(row?.reminder_cases ?? 0),
  };
}
