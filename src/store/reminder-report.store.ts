/**
 * @module store/reminder-report.store — the reads behind a reminder rule's page and a case's
 * reminders: match counts by problem, the next scheduled sends, sends per 15-minute bucket (folded
 * into local days by the caller), and one case's occurrences with their messages' outcome.
 */
import { sql } from 'kysely';

import type { Db } from './database.ts';

export async function matchCounts(db: Db, ruleId: string): Promise<Array<{ problem: string | null; n: number }>> {
  const rows = await db
    .selectFrom('reminder_matches')
    .select(['problem', (eb) => eb.fn.countAll<string>().as('n')])
    .where('rule_id', '=', ruleId)
    .groupBy('problem')
    .execute();
  return rows.map((r) => ({ problem: r.problem, n: Number(r.n) }));
}

/** How many cases match each of `ruleIds` now (a rule with none is absent). */
export async function matchingByRule(db: Db, ruleIds: readonly string[]): Promise<Map<string, number>> {
  if (ruleIds.length === 0) {
    return new Map();
  }
  const rows = await db
    .selectFrom('reminder_matches')
    .select(['rule_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('rule_id', 'in', ruleIds)
    .groupBy('rule_id')
    .execute();
  return new Map(rows.map((r) => [r.rule_id, Number(r.n)]));
}

export interface NextSendRow {
  caseId: string;
  ownerId: string | null;
  recipient: 'case' | 'owner';
  dueAt: Date;
  localTime: string;
  zone: string;
  case: { id: string; seq: string; projectId: string; caseType: string; name: string; ownerId: string | null; externalId: string | null; closed: boolean; closedAt: Date | null; deleted: boolean; properties: Record<string, string>; createdAt: Date; updatedAt: Date };
}

/**
 * The rule's next scheduled sends (overdue ones from the last day included: the loop is about to
 * send them), read in due order from the index of scheduled occurrences.
 */
export async function listNextSends(db: Db, ruleId: string, now: Date, limit: number): Promise<NextSendRow[]> {
  const rows = await db
    .selectFrom('reminder_occurrences as o')
    .innerJoin('cases as c', 'c.id', 'o.case_id')
    .select(['o.case_id', 'o.recipient', 'o.due_at', 'o.local_time', 'o.zone', 'c.seq', 'c.project_id', 'c.case_type', 'c.name', 'c.owner_id', 'c.external_id', 'c.closed', 'c.closed_at', 'c.deleted_at', 'c.properties', 'c.created_at', 'c.updated_at'])
    .where('o.rule_id', '=', ruleId)
    .where('o.status', '=', 'scheduled')
    .where('o.due_at', '>=', new Date(now.getTime() - 86_400_000))
    .orderBy('o.due_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    caseId: r.case_id,
    ownerId: r.owner_id,
    recipient: r.recipient,
    dueAt: new Date(r.due_at),
    localTime: r.local_time,
    zone: r.zone,
    case: {
      id: r.case_id,
      seq: String(r.seq),
      projectId: r.project_id,
      caseType: r.case_type,
      name: r.name,
      ownerId: r.owner_id,
      externalId: r.external_id,
      closed: r.closed,
      closedAt: r.closed_at,
      deleted: r.deleted_at !== null,
      properties: r.properties,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    },
  }));
}

/** Sent, failed and cancelled occurrences of the rule due in [from, to], per 15-minute bucket. */
export async function listRuleDays(db: Db, ruleId: string, from: Date, to: Date): Promise<Array<{ bucket: Date; kind: 'sent' | 'failed' | 'cancelled'; n: number }>> {
  const { rows } = await sql<{ bucket: Date; kind: 'sent' | 'failed' | 'cancelled'; n: string }>`
    select date_bin('15 minutes', o.due_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
           case when o.status = 'cancelled' then 'cancelled' when m.status = 'failed' then 'failed' else 'sent' end as kind,
           count(*) as n
      from reminder_occurrences o left join messages m on m.id = o.message_id
     where o.rule_id = ${ruleId} and o.due_at >= ${from} and o.due_at <= ${to} and o.status <> 'scheduled'
     group by 1, 2`.execute(db);
  return rows.map((r) => ({ bucket: new Date(r.bucket), kind: r.kind, n: Number(r.n) }));
}

export interface CaseOccurrenceRow {
  ruleId: string;
  ruleName: string;
  recipient: 'case' | 'owner';
  dueAt: Date;
  localTime: string;
  zone: string;
  status: 'scheduled' | 'queued' | 'cancelled';
  reason: string | null;
  messageId: string | null;
  messageStatus: string | null;
  messageError: string | null;
}

/** A case's scheduled occurrences (soonest first), then up to `limit` others (newest first). */
export async function listCaseOccurrences(db: Db, projectId: string, caseId: string, limit: number): Promise<CaseOccurrenceRow[]> {
  const base = () =>
    db
      .selectFrom('reminder_occurrences as o')
      .innerJoin('reminder_rules as r', 'r.id', 'o.rule_id')
      .leftJoin('messages as m', 'm.id', 'o.message_id')
      .select(['o.rule_id', 'r.name', 'o.recipient', 'o.due_at', 'o.local_time', 'o.zone', 'o.status', 'o.reason', 'o.message_id', 'm.status as message_status', 'm.error_code'])
      .where('o.case_id', '=', caseId)
      .where('o.project_id', '=', projectId);
  const [scheduled, past] = await Promise.all([
    base().where('o.status', '=', 'scheduled').orderBy('o.due_at').limit(limit).execute(),
    base().where('o.status', '<>', 'scheduled').orderBy('o.due_at', 'desc').limit(limit).execute(),
  ]);
  return [...scheduled, ...past].map((r) => ({
    ruleId: r.rule_id,
    ruleName: r.name,
    recipient: r.recipient,
    dueAt: new Date(r.due_at),
    localTime: r.local_time,
    zone: r.zone,
    status: r.status,
    reason: r.reason,
    messageId: r.message_id,
    messageStatus: r.message_status,
    messageError: r.error_code,
  }));
}
