/**
 * @module store/reminder-rule.store — reminder rules of a project (issue 25): insert, find, list,
 * update (each update bumps the version), delete. Every query is limited to one project.
 */
import { type Selectable, sql } from 'kysely';

import type { Condition, ReminderContent, ReminderRule, ReminderSchedule, SendWindow } from '../domain/reminder-rule.ts';
import type { Db, ReminderEvaluation, ReminderRuleTable, Trx } from './database.ts';

export interface ReminderRuleRecord {
  id: string;
  seq: string;
  projectId: string;
  name: string;
  caseType: string;
  conditions: Condition[];
  recipients: ReminderRule['recipients'];
  content: ReminderContent;
  schedule: ReminderSchedule;
  window: SendWindow | null;
  active: boolean;
  version: number;
  evaluation: ReminderEvaluation | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A rule as POST …/reminder-rules takes it (and as it is exported): its record without id, version or times. */
export function ruleBodyOf(r: ReminderRuleRecord): ReminderRule {
  return {
    name: r.name,
    caseType: r.caseType,
    conditions: r.conditions,
    recipients: r.recipients,
    content: r.content,
    schedule: r.schedule,
    ...(r.window === null ? {} : { window: r.window }),
    active: r.active,
  };
}

function rowToRule(row: Selectable<ReminderRuleTable>): ReminderRuleRecord {
  return {
    id: row.id,
    seq: String(row.seq),
    projectId: row.project_id,
    name: row.name,
    caseType: row.case_type,
    conditions: row.conditions as Condition[],
    recipients: row.recipients,
    content: row.content as ReminderContent,
    schedule: row.schedule as ReminderSchedule,
    window: (row.send_window as SendWindow | null) ?? null,
    active: row.active,
    version: row.version,
    evaluation: row.evaluation,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRuleRow(r: ReminderRule) {
  return {
    name: r.name,
    case_type: r.caseType,
    conditions: JSON.stringify(r.conditions),
    recipients: r.recipients,
    content: JSON.stringify(r.content),
    schedule: JSON.stringify(r.schedule),
    send_window: r.window === undefined ? null : JSON.stringify(r.window),
    active: r.active,
  };
}

export async function insertReminderRule(db: Db | Trx, projectId: string, rule: ReminderRule, createdBy: string | null, now: Date): Promise<ReminderRuleRecord> {
  const row = await db
    .insertInto('reminder_rules')
    .values({ project_id: projectId, ...toRuleRow(rule), created_by: createdBy, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToRule(row);
}

export async function findReminderRule(db: Db | Trx, projectId: string, id: string): Promise<ReminderRuleRecord | null> {
  const row = await db.selectFrom('reminder_rules').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
  return row ? rowToRule(row) : null;
}

/** A project's rules in creation order, after `afterSeq`. */
export async function listReminderRules(db: Db | Trx, projectId: string, afterSeq: string | null, limit: number): Promise<ReminderRuleRecord[]> {
  let q = db.selectFrom('reminder_rules').selectAll().where('project_id', '=', projectId);
  if (afterSeq !== null) {
    q = q.where('seq', '>', afterSeq);
  }
  return (await q.orderBy('seq').limit(limit).execute()).map(rowToRule);
}

/** The rule becomes `rule`, one version later; null when the project has no such rule. */
export async function updateReminderRule(db: Db | Trx, projectId: string, id: string, rule: ReminderRule, now: Date): Promise<ReminderRuleRecord | null> {
  const row = await db
    .updateTable('reminder_rules')
    .set((eb) => ({ ...toRuleRow(rule), version: eb('version', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .returningAll()
    .executeTakeFirst();
  return row ? rowToRule(row) : null;
}

/** Deletes the rule with its occurrences and matches (no foreign key cascades them: migration 0021). Returns whether it existed. */
export async function deleteReminderRule(db: Db, projectId: string, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('reminder_rules').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) {
      return false;
    }
    await trx.deleteFrom('reminder_occurrences').where('rule_id', '=', id).where('project_id', '=', projectId).execute();
    await trx.deleteFrom('reminder_matches').where('rule_id', '=', id).where('project_id', '=', projectId).execute();
    return true;
  });
}

/** The active rules of a project (what a case's evaluation checks it against). */
export async function activeRulesOf(db: Db | Trx, projectId: string): Promise<ReminderRuleRecord[]> {
  const rows = await db.selectFrom('reminder_rules').selectAll().where('project_id', '=', projectId).where('active', '=', true).orderBy('seq').execute();
  return rows.map(rowToRule);
}

/**
 * Locks one rule whose evaluation is running and not locked by another worker (SKIP LOCKED). FOR NO
 * KEY UPDATE: occurrences inserted meanwhile by other evaluations check their foreign key with a
 * key-share lock on this row, which FOR UPDATE would block (a deadlock with the case locks).
 */
export async function lockRunningEvaluation(trx: Trx): Promise<ReminderRuleRecord | null> {
  const row = await trx
    .selectFrom('reminder_rules')
    .selectAll()
    .where(sql<boolean>`evaluation->>'status' = 'running'`)
    .where('active', '=', true)
    .orderBy('updated_at')
    .limit(1)
    .forNoKeyUpdate()
    .skipLocked()
    .executeTakeFirst();
  return row ? rowToRule(row) : null;
}

export async function saveEvaluation(db: Db | Trx, ruleId: string, evaluation: ReminderEvaluation): Promise<void> {
  await db.updateTable('reminder_rules').set({ evaluation: JSON.stringify(evaluation) }).where('id', '=', ruleId).execute();
}

/** Rules by id, whatever their project (the reminder loop, which knows each occurrence's rule). */
export async function findReminderRulesByIds(db: Db | Trx, ids: readonly string[]): Promise<Map<string, ReminderRuleRecord>> {
  if (ids.length === 0) {
    return new Map();
  }
  const rows = await db.selectFrom('reminder_rules').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, rowToRule(r)]));
}
