/**
 * @module store/survey.store — survey definitions and survey sessions (issue 7).
 */
import { type Selectable, sql } from 'kysely';

import type { SurveyDefinition, SurveyQuestion } from '../domain/survey.ts';
import type { Db, SurveySessionStatus, SurveySessionTable, SurveyTable, Trx } from './database.ts';

export interface SurveyRecord extends SurveyDefinition {
  id: string;
  seq: string;
  projectId: string;
  createdAt: Date;
  updatedAt: Date;
}

function rowToSurvey(row: Selectable<SurveyTable>): SurveyRecord {
  return {
    id: row.id,
    seq: String(row.seq),
    projectId: row.project_id,
    name: row.name,
    questions: row.questions as SurveyQuestion[],
    closingMessage: row.closing_message,
    closingTranslations: row.closing_translations,
    asksConsent: row.asks_consent,
    timeoutMinutes: row.timeout_minutes,
    reminderMinutes: row.reminder_minutes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toSurveyRow(d: SurveyDefinition) {
  return {
    name: d.name,
    questions: JSON.stringify(d.questions),
    closing_message: d.closingMessage,
    closing_translations: JSON.stringify(d.closingTranslations),
    asks_consent: d.asksConsent,
    timeout_minutes: d.timeoutMinutes,
    reminder_minutes: d.reminderMinutes,
  };
}

export async function insertSurvey(db: Db, projectId: string, d: SurveyDefinition, now: Date): Promise<SurveyRecord> {
  const row = await db
    .insertInto('surveys')
    .values({ project_id: projectId, ...toSurveyRow(d), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToSurvey(row);
}

export async function updateSurvey(db: Db, projectId: string, id: string, d: SurveyDefinition, now: Date): Promise<SurveyRecord | null> {
  const row = await db.updateTable('surveys').set({ ...toSurveyRow(d), updated_at: now }).where('id', '=', id).where('project_id', '=', projectId).returningAll().executeTakeFirst();
  return row ? rowToSurvey(row) : null;
}

export async function findSurvey(db: Db | Trx, projectId: string, id: string): Promise<SurveyRecord | null> {
  const row = await db.selectFrom('surveys').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
  return row ? rowToSurvey(row) : null;
}

/** A project's surveys in creation order, after `afterSeq`. */
export async function listSurveys(db: Db, projectId: string, afterSeq: string | null, limit: number): Promise<SurveyRecord[]> {
  let q = db.selectFrom('surveys').selectAll().where('project_id', '=', projectId);
  if (afterSeq !== null) {
    q = q.where('seq', '>', afterSeq);
  }
  return (await q.orderBy('seq').limit(limit).execute()).map(rowToSurvey);
}

/** Deletes the survey and its sessions. Returns whether it existed. */
export async function deleteSurvey(db: Db, projectId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('surveys').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export interface SessionRecord {
  id: string;
  seq: string;
  projectId: string;
  surveyId: string;
  caseId: string;
  number: string;
  definition: SurveyDefinition;
  status: SurveySessionStatus;
  questionIndex: number;
  invalidAttempts: number;
  answers: Record<string, string | null>;
  gatewayId: string | null;
  endCode: string | null;
  startedAt: Date;
  updatedAt: Date;
  expiresAt: Date;
  remindAt: Date | null;
  remindedAt: Date | null;
  endedAt: Date | null;
}

function rowToSession(row: Selectable<SurveySessionTable>): SessionRecord {
  return {
    id: row.id,
    seq: String(row.seq),
    projectId: row.project_id,
    surveyId: row.survey_id,
    caseId: row.case_id,
    number: row.number,
    definition: row.definition as unknown as SurveyDefinition,
    status: row.status,
    questionIndex: row.question_index,
    invalidAttempts: row.invalid_attempts,
    answers: row.answers,
    gatewayId: row.gateway_id,
    endCode: row.end_code,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    remindAt: row.remind_at,
    remindedAt: row.reminded_at,
    endedAt: row.ended_at,
  };
}

export interface NewSession {
  projectId: string;
  surveyId: string;
  caseId: string;
  number: string;
  definition: SurveyDefinition;
  gatewayId: string | null;
  expiresAt: Date;
  remindAt: Date | null;
}

export async function insertSession(trx: Trx, s: NewSession, now: Date): Promise<SessionRecord> {
  const row = await trx
    .insertInto('survey_sessions')
    .values({
      project_id: s.projectId,
      survey_id: s.surveyId,
      case_id: s.caseId,
      number: s.number,
      definition: JSON.stringify(s.definition),
      status: 'open',
      question_index: 0,
      invalid_attempts: 0,
      answers: '{}',
      gateway_id: s.gatewayId,
      end_code: null,
      started_at: now,
      updated_at: now,
      expires_at: s.expiresAt,
      remind_at: s.remindAt,
      reminded_at: null,
      ended_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToSession(row);
}

/** Serialises session changes per number (starts, answers, the sweeper) inside the transaction. */
export async function lockSurveyNumber(trx: Trx, number: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'survey:' + number}, 7220))`.execute(trx);
}

export interface SessionChange {
  status?: SurveySessionStatus;
  questionIndex?: number;
  invalidAttempts?: number;
  answers?: Record<string, string | null>;
  gatewayId?: string | null;
  endCode?: string | null;
  expiresAt?: Date;
  remindAt?: Date | null;
  remindedAt?: Date | null;
}

export async function updateSession(trx: Trx, id: string, c: SessionChange, now: Date): Promise<SessionRecord> {
  const ending = c.status !== undefined && c.status !== 'open';
  const row = await trx
    .updateTable('survey_sessions')
    .set({
      ...(c.status === undefined ? {} : { status: c.status }),
      ...(c.questionIndex === undefined ? {} : { question_index: c.questionIndex }),
      ...(c.invalidAttempts === undefined ? {} : { invalid_attempts: c.invalidAttempts }),
      ...(c.answers === undefined ? {} : { answers: JSON.stringify(c.answers) }),
      ...(c.gatewayId === undefined ? {} : { gateway_id: c.gatewayId }),
      ...(c.endCode === undefined ? {} : { end_code: c.endCode }),
      ...(c.expiresAt === undefined ? {} : { expires_at: c.expiresAt }),
      ...(c.remindAt === undefined ? {} : { remind_at: c.remindAt }),
      ...(c.remindedAt === undefined ? {} : { reminded_at: c.remindedAt }),
      ...(ending ? { ended_at: now, remind_at: null } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToSession(row);
}

/** The number's open session, if any (take lockSurveyNumber first when changing it). */
export async function findOpenSession(db: Db | Trx, number: string): Promise<SessionRecord | null> {
  const row = await db.selectFrom('survey_sessions').selectAll().where('number', '=', number).where('status', '=', 'open').executeTakeFirst();
  return row ? rowToSession(row) : null;
}

/** Ends the number's open session with a status and code; returns the ended session, if any. */
export async function endOpenSession(trx: Trx, number: string, status: Exclude<SurveySessionStatus, 'open'>, endCode: string | null, now: Date): Promise<SessionRecord | null> {
  const row = await trx
    .updateTable('survey_sessions')
    .set({ status, end_code: endCode, ended_at: now, remind_at: null, updated_at: now })
    .where('number', '=', number)
    .where('status', '=', 'open')
    .returningAll()
    .executeTakeFirst();
  return row ? rowToSession(row) : null;
}

/**
 * Of these numbers, those with an open session (expired ones included: the answer path ends them
 * before handling the message as an ordinary one).
 */
export async function findNumbersInSurvey(db: Db | Trx, numbers: readonly string[]): Promise<Set<string>> {
  if (numbers.length === 0) {
    return new Set();
  }
  const rows = await db.selectFrom('survey_sessions').select('number').where('number', 'in', [...new Set(numbers)]).where('status', '=', 'open').execute();
  return new Set(rows.map((r) => r.number));
}

export async function findSession(db: Db | Trx, projectId: string, id: string): Promise<SessionRecord | null> {
  const row = await db.selectFrom('survey_sessions').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
  return row ? rowToSession(row) : null;
}

/** Sessions of a project, newest first, filtered by survey, case and/or number. */
export async function listSessions(db: Db, projectId: string, q: { surveyId?: string | undefined; caseId?: string | undefined; number?: string | undefined; beforeSeq: string | null; limit: number }): Promise<SessionRecord[]> {
  let query = db.selectFrom('survey_sessions').selectAll().where('project_id', '=', projectId);
  if (q.number !== undefined) {
    query = query.where('number', '=', q.number);
  }
  if (q.surveyId !== undefined) {
    query = query.where('survey_id', '=', q.surveyId);
  }
  if (q.caseId !== undefined) {
    query = query.where('case_id', '=', q.caseId);
  }
  if (q.beforeSeq !== null) {
    query = query.where('seq', '<', q.beforeSeq);
  }
  return (await query.orderBy('seq', 'desc').limit(q.limit).execute()).map(rowToSession);
}

/** Open sessions whose timeout or reminder is due at `now` (oldest first). */
export async function findDueSessions(db: Db, now: Date, limit: number): Promise<Array<{ id: string; number: string }>> {
  const rows = await db
    .selectFrom('survey_sessions')
    .select(['id', 'number'])
    .where('status', '=', 'open')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb.and([eb('remind_at', 'is not', null), eb('remind_at', '<=', now)])]))
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows;
}
