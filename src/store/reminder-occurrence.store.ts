/**
 * @module store/reminder-occurrence.store — the planned sends of reminder rules, which cases match
 * which rule, and the cases waiting to be evaluated again (migrations 0020 and 0021;
 * docs/reminders.md). Bulk writes take one array per column (`unnest`), so a batch of thousands of
 * rows is one statement with a handful of parameters on both databases.
 */
import { sql } from 'kysely';

import type { Db, Trx } from './database.ts';
import { projectsWaiting } from './project-skip-scan.ts';

export interface WantedOccurrence {
  projectId: string;
  ruleId: string;
  caseId: string;
  recipient: 'case' | 'owner';
  key: string;
  dueAt: string;
  localTime: string;
  zone: string;
  ruleVersion: number;
}

/** Why the scheduled occurrences of (case, rule) that are not wanted any more are cancelled. */
export interface CancelReason {
  caseId: string;
  ruleId: string;
  reason: string;
}

export interface MatchRow {
  caseId: string;
  ruleId: string;
  projectId: string;
  problem: string | null;
}

/** Lists the projects with cases marked for evaluation (a skip scan of reminder_dirty_cases_project_idx). */
export async function listDirtyCaseProjects(db: Db | Trx): Promise<Array<{ projectId: string }>> {
  const { rows } = await projectsWaiting({ table: 'reminder_dirty_cases', waiting: null }).execute(db);
  return rows.map((r) => ({ projectId: r.project_id }));
}

/**
 * Takes up to `limit` of one project's cases to evaluate (SKIP LOCKED: another worker's, or a case
 * being written now, waits for a later step) and deletes their marks in the caller's transaction.
 */
export async function takeDirtyCases(trx: Trx, projectId: string, limit: number): Promise<Array<{ caseId: string; projectId: string; isNew: boolean }>> {
  const { rows } = await sql<{ case_id: string; project_id: string; is_new: boolean }>`
    delete from reminder_dirty_cases d
     where d.project_id = ${projectId}
       and d.case_id in (select case_id from reminder_dirty_cases where project_id = ${projectId} order by marked_at limit ${limit} for update skip locked)
    returning d.case_id, d.project_id, d.is_new`.execute(trx);
  return rows.map((r) => ({ caseId: r.case_id, projectId: r.project_id, isNew: r.is_new }));
}

/**
 * Takes the project's reminder lock (transaction-scoped): evaluations of one project's cases — a
 * batch of marked cases, a batch of a rule's own evaluation — run one after the other, so two never
 * upsert the same case's rows in different orders (a deadlock). One lock per transaction, whatever
 * the batch size (a lock per case would fill PostgreSQL's lock table with big batches).
 */
export async function lockProjectEvaluation(trx: Trx, projectId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'reminders:' + projectId}, 7225))`.execute(trx);
}

/** How many cases wait to be evaluated (the loop's backlog, for metrics and tests). */
export async function countDirtyCases(db: Db | Trx): Promise<number> {
  const row = await db.selectFrom('reminder_dirty_cases').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Inserts the wanted occurrences; one already there keeps its row and, while still scheduled or
 * cancelled, takes the new time and becomes scheduled (a case that matches again, a window that
 * moved). Queued ones are history and are left alone; a row that would not change is not written.
 */
export async function upsertOccurrences(trx: Trx, rows: readonly WantedOccurrence[], now: Date, mode: 'upsert' | 'insert-only' = 'upsert'): Promise<void> {
  if (rows.length === 0) {
    return;
  }
  await sql`
    insert into reminder_occurrences (project_id, rule_id, case_id, recipient, occurrence_key, due_at, local_time, zone, status, rule_version, created_at, updated_at)
    select u.project_id, u.rule_id, u.case_id, u.recipient, u.occurrence_key, u.due_at, u.local_time, u.zone, 'scheduled', u.rule_version, ${now}, ${now}
      from unnest(${rows.map((r) => r.projectId)}::uuid[], ${rows.map((r) => r.ruleId)}::uuid[], ${rows.map((r) => r.caseId)}::uuid[],
                  ${rows.map((r) => r.recipient)}::text[], ${rows.map((r) => r.key)}::text[], ${rows.map((r) => r.dueAt)}::timestamptz[],
                  ${rows.map((r) => r.localTime)}::text[], ${rows.map((r) => r.zone)}::text[], ${rows.map((r) => r.ruleVersion)}::int[])
        as u(project_id, rule_id, case_id, recipient, occurrence_key, due_at, local_time, zone, rule_version)
    ${mode === 'insert-only' ? sql`on conflict do nothing` : sql`on conflict (rule_id, case_id, recipient, occurrence_key) do update
       set due_at = excluded.due_at, local_time = excluded.local_time, zone = excluded.zone, rule_version = excluded.rule_version,
           status = 'scheduled', reason = null, updated_at = excluded.updated_at
     where reminder_occurrences.status = 'cancelled'
        or (reminder_occurrences.status = 'scheduled'
            and (reminder_occurrences.due_at <> excluded.due_at or reminder_occurrences.zone <> excluded.zone
                 or reminder_occurrences.rule_version <> excluded.rule_version))`}`.execute(trx);
}

/**
 * Cancels the scheduled occurrences of `caseIds` (only of `ruleIds` when given) that are not among
 * `wanted`, each with the reason given for its (case, rule), else REMINDER_NO_LONGER_MATCHES.
 */
export async function cancelUnwanted(
  trx: Trx,
  caseIds: readonly string[],
  ruleIds: readonly string[] | null,
  wanted: readonly WantedOccurrence[],
  reasons: readonly CancelReason[],
  now: Date,
): Promise<number> {
  if (caseIds.length === 0) {
    return 0;
  }
  // The wanted keys are a CTE the planner hashes (an anti-join), not a list scanned per row.
  const result = await sql`
    with wanted as materialized (
      select * from unnest(${wanted.map((w) => w.caseId)}::uuid[], ${wanted.map((w) => w.ruleId)}::uuid[], ${wanted.map((w) => w.recipient)}::text[], ${wanted.map((w) => w.key)}::text[])
        as w(case_id, rule_id, recipient, occurrence_key)
    ), reasons as materialized (
      select distinct on (case_id, rule_id) * from unnest(${reasons.map((r) => r.caseId)}::uuid[], ${reasons.map((r) => r.ruleId)}::uuid[], ${reasons.map((r) => r.reason)}::text[])
        as r(case_id, rule_id, reason)
    ), gone as (
      select o.case_id, o.rule_id, o.recipient, o.occurrence_key from reminder_occurrences o
       where o.case_id = any(${[...caseIds]}::uuid[])
         and o.status = 'scheduled'
         and ${ruleIds === null ? sql`true` : sql`o.rule_id = any(${[...ruleIds]}::uuid[])`}
         and (o.case_id, o.rule_id, o.recipient, o.occurrence_key) not in (select case_id, rule_id, recipient, occurrence_key from wanted)
    )
    update reminder_occurrences o
       set status = 'cancelled', updated_at = ${now}, reason = coalesce(r.reason, 'REMINDER_NO_LONGER_MATCHES')
      from gone g left join reasons r on r.case_id = g.case_id and r.rule_id = g.rule_id
     where (o.case_id, o.rule_id, o.recipient, o.occurrence_key) = (g.case_id, g.rule_id, g.recipient, g.occurrence_key)`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/** The matches of `caseIds` (for `ruleIds` only when given) become `rows`: others are deleted, these inserted or updated. */
export async function replaceMatches(trx: Trx, caseIds: readonly string[], ruleIds: readonly string[] | null, rows: readonly MatchRow[], mode: 'replace' | 'insert-only' = 'replace'): Promise<void> {
  if (caseIds.length === 0) {
    return;
  }
  await (mode === 'insert-only' ? Promise.resolve() : sql`
    delete from reminder_matches m
     where m.case_id = any(${[...caseIds]}::uuid[])
       and ${ruleIds === null ? sql`true` : sql`m.rule_id = any(${[...ruleIds]}::uuid[])`}
       and (m.case_id, m.rule_id) not in (select * from unnest(${rows.map((r) => r.caseId)}::uuid[], ${rows.map((r) => r.ruleId)}::uuid[]))`.execute(trx));
  if (rows.length === 0) {
    return;
  }
  await sql`
    insert into reminder_matches (case_id, rule_id, project_id, problem)
    select * from unnest(${rows.map((r) => r.caseId)}::uuid[], ${rows.map((r) => r.ruleId)}::uuid[], ${rows.map((r) => r.projectId)}::uuid[], ${rows.map((r) => r.problem)}::text[])
    on conflict (case_id, rule_id) do update set problem = excluded.problem
     where reminder_matches.problem is distinct from excluded.problem`.execute(trx);
}

/**
 * The earliest due time of each (rule, case) among `ruleIds` × `caseIds`: where a daily or weekly
 * series with `repeat` started, so re-evaluation counts from there.
 */
export async function seriesStarts(trx: Db | Trx, ruleIds: readonly string[], caseIds: readonly string[]): Promise<Map<string, Date>> {
  if (ruleIds.length === 0 || caseIds.length === 0) {
    return new Map();
  }
  const { rows } = await sql<{ rule_id: string; case_id: string; first: Date }>`
    select rule_id, case_id, min(due_at) as first from reminder_occurrences
     where rule_id = any(${[...ruleIds]}::uuid[]) and case_id = any(${[...caseIds]}::uuid[])
     group by rule_id, case_id`.execute(trx);
  return new Map(rows.map((r) => [`${r.rule_id}:${r.case_id}`, new Date(r.first)]));
}

/** Cancels every scheduled occurrence of a rule (pausing it). */
export async function cancelRuleOccurrences(trx: Trx, ruleId: string, reason: string, now: Date, olderThanVersion?: number): Promise<number> {
  let q = trx.updateTable('reminder_occurrences').set({ status: 'cancelled', reason, updated_at: now }).where('rule_id', '=', ruleId).where('status', '=', 'scheduled');
  if (olderThanVersion !== undefined) {
    q = q.where('rule_version', '<', olderThanVersion);
  }
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Deletes the matches of a rule whose case is no longer of its case type or is gone (the end of a rule's evaluation). */
export async function dropStrayMatches(trx: Trx, ruleId: string, caseType: string): Promise<void> {
  await sql`
    delete from reminder_matches m
     where m.rule_id = ${ruleId}
       and not exists (select 1 from cases c where c.id = m.case_id and c.case_type = ${caseType} and c.deleted_at is null)`.execute(trx);
}

/** An occurrence's primary key (migration 0022). */
export interface OccurrenceKey {
  caseId: string;
  ruleId: string;
  recipient: 'case' | 'owner';
  key: string;
}

export interface DueOccurrence extends OccurrenceKey {
  projectId: string;
  ruleId: string;
  caseId: string;
  recipient: 'case' | 'owner';
  key: string;
  dueAt: Date;
  localTime: string;
  zone: string;
}

/** Lists the projects with scheduled occurrences due by `now` (store/project-skip-scan.ts over reminder_occurrences_project_due_idx). */
export async function listDueOccurrenceProjects(db: Db | Trx, now: Date): Promise<Array<{ projectId: string }>> {
  const { rows } = await projectsWaiting({ table: 'reminder_occurrences', waiting: sql`q.status = 'scheduled'`, dueBy: sql`${now}` }).execute(db);
  return rows.map((r) => ({ projectId: r.project_id }));
}

/** Locks up to `limit` of one project's scheduled occurrences due by `now`, earliest first (SKIP LOCKED). */
export async function claimDueOccurrences(trx: Trx, projectId: string, now: Date, limit: number): Promise<DueOccurrence[]> {
  const { rows } = await sql<{ project_id: string; rule_id: string; case_id: string; recipient: 'case' | 'owner'; occurrence_key: string; due_at: Date; local_time: string; zone: string }>`
    select project_id, rule_id, case_id, recipient, occurrence_key, due_at, local_time, zone
      from reminder_occurrences
     where project_id = ${projectId} and status = 'scheduled' and due_at <= ${now}
     order by due_at
     limit ${limit}
       for update skip locked`.execute(trx);
  return rows.map((r) => ({
    projectId: r.project_id,
    ruleId: r.rule_id,
    caseId: r.case_id,
    recipient: r.recipient,
    key: r.occurrence_key,
    dueAt: new Date(r.due_at),
    localTime: r.local_time,
    zone: r.zone,
  }));
}

/** The occurrences became messages (`messageId` null: cancelled with `reason`). */
export async function markOccurrencesDone(trx: Trx, done: ReadonlyArray<{ occurrence: OccurrenceKey; messageId: string | null; reason: string | null }>, now: Date): Promise<void> {
  if (done.length === 0) {
    return;
  }
  const o = done.map((d) => d.occurrence);
  await sql`
    update reminder_occurrences o
       set status = case when d.message_id is null then 'cancelled' else 'queued' end,
           message_id = d.message_id, reason = d.reason, updated_at = ${now}
      from unnest(${o.map((k) => k.caseId)}::uuid[], ${o.map((k) => k.ruleId)}::uuid[], ${o.map((k) => k.recipient)}::text[], ${o.map((k) => k.key)}::text[],
                  ${done.map((d) => d.messageId)}::uuid[], ${done.map((d) => d.reason)}::text[])
        as d(case_id, rule_id, recipient, occurrence_key, message_id, reason)
     where (o.case_id, o.rule_id, o.recipient, o.occurrence_key) = (d.case_id, d.rule_id, d.recipient, d.occurrence_key)`.execute(trx);
}

/** Marks cases for evaluation (a daily or weekly series that sent one occurrence plans the next). */
export async function markCasesDirty(db: Db | Trx, cases: ReadonlyArray<{ caseId: string; projectId: string }>): Promise<void> {
  if (cases.length === 0) {
    return;
  }
  await sql`
    insert into reminder_dirty_cases (case_id, project_id)
    select distinct * from unnest(${cases.map((c) => c.caseId)}::uuid[], ${cases.map((c) => c.projectId)}::uuid[])
    on conflict (case_id) do nothing`.execute(db);
}
