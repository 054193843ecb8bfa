/**
 * @module store/contact-reevaluation.store — the latest re-check of a project's case numbers after
 * a settings change (one row per project, migration 0011), and the chunks of cases it walks in seq
 * order.
 */
import { type Selectable, sql } from 'kysely';

import type { PhoneValidation } from '../domain/phone-number.ts';
import type { ContactReevaluationTable, Db, Trx } from './database.ts';

export type ReevaluationStatus = 'running' | 'done' | 'failed';

/** The settings a re-evaluation applies (the project's at the change). */
export interface ReevaluationSettings {
  defaultCountry: string | null;
  phoneValidation: PhoneValidation;
}

export interface ReevaluationRecord {
  id: string;
  projectId: string;
  status: ReevaluationStatus;
  settings: ReevaluationSettings;
  done: number;
  total: number;
  /** The seq of the last case re-checked (null: none yet). */
  cursor: string | null;
  /** The newest case when it started: later cases were saved with the new settings. */
  lastSeq: string | null;
  error: string | null;
  errorCode: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  updatedAt: Date;
}

function rowToRecord(row: Selectable<ContactReevaluationTable>): ReevaluationRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status,
    settings: row.settings,
    done: row.done,
    total: row.total,
    cursor: row.cursor === null ? null : String(row.cursor),
    lastSeq: row.last_seq === null ? null : String(row.last_seq),
    error: row.error,
    errorCode: row.error_code,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
  };
}

export async function findProjectReevaluation(db: Db | Trx, projectId: string): Promise<ReevaluationRecord | null> {
  const row = await db.selectFrom('contact_reevaluations').selectAll().where('project_id', '=', projectId).executeTakeFirst();
  return row ? rowToRecord(row) : null;
}

/** Locks the re-evaluation for a chunk; null when it was replaced by a newer one (or never existed). */
export async function lockReevaluation(trx: Trx, id: string): Promise<ReevaluationRecord | null> {
  const row = await trx.selectFrom('contact_reevaluations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? rowToRecord(row) : null;
}

/** Live cases that may have a number (the only ones a change of phone settings can affect). */
const MAY_HAVE_NUMBER = sql<boolean>`(properties ->> 'contact_phone_number' is not null or phone_number is not null)`;

/** How many live cases of the project may have a number, and the newest one's seq. */
export async function countCasesWithNumbers(db: Db | Trx, projectId: string): Promise<{ total: number; lastSeq: string | null }> {
  const r = await sql<{ total: number; last_seq: string | null }>`
    select count(*)::int as total, max(seq)::text as last_seq from cases
    where project_id = ${projectId} and deleted_at is null and ${MAY_HAVE_NUMBER}`.execute(db);
  const row = r.rows[0];
  return { total: row?.total ?? 0, lastSeq: row?.last_seq ?? null };
}

export interface NewReevaluation {
  id: string;
  projectId: string;
  settings: ReevaluationSettings;
  total: number;
  lastSeq: string | null;
  now: Date;
}

/**
 * Makes this the project's re-evaluation, replacing the previous one (whose job then stops: it looks
 * its row up by id). Nothing to re-check (total 0) is done at once.
 */
export async function replaceReevaluation(trx: Trx, r: NewReevaluation): Promise<ReevaluationRecord> {
  const done = r.total === 0;
  const values = {
    id: r.id,
    status: done ? ('done' as const) : ('running' as const),
    settings: JSON.stringify(r.settings),
    done: 0,
    total: r.total,
    cursor: null,
    last_seq: r.lastSeq,
    error: null,
    error_code: null,
    started_at: r.now,
    finished_at: done ? r.now : null,
    updated_at: r.now,
  };
  const row = await trx
    .insertInto('contact_reevaluations')
    .values({ project_id: r.projectId, ...values })
    .onConflict((oc) => oc.column('project_id').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToRecord(row);
}

/** A case as a re-evaluation reads it. */
export interface CaseToReevaluate {
  id: string;
  seq: string;
  closed: boolean;
  properties: Record<string, string>;
  phoneNumber: string | null;
}

/**
 * The next live cases after `afterSeq` up to `lastSeq`, by seq, locked as a case save locks its
 * case (so a save in progress finishes first, and one that starts now waits for the chunk).
 */
export async function lockCaseChunk(trx: Trx, projectId: string, q: { afterSeq: string | null; lastSeq: string; limit: number }): Promise<CaseToReevaluate[]> {
  const rows = await sql<{ id: string; seq: string; closed: boolean; properties: Record<string, string>; phone_number: string | null }>`
    select id, seq::text as seq, closed, properties, phone_number from cases
    where project_id = ${projectId} and deleted_at is null and ${MAY_HAVE_NUMBER}
      and seq > ${q.afterSeq ?? '0'}::bigint and seq <= ${q.lastSeq}::bigint
    order by seq
    limit ${q.limit}
    for update`.execute(trx);
  return rows.rows.map((r) => ({ id: r.id, seq: r.seq, closed: r.closed, properties: r.properties, phoneNumber: r.phone_number }));
}

/** Sets the stored (search) number of several cases with one statement; properties and updated_at are not touched. */
export async function setCasePhoneNumbers(trx: Trx, changes: readonly { caseId: string; phoneNumber: string | null }[]): Promise<void> {
  if (changes.length === 0) {
    return;
  }
  const ids = changes.map((c) => c.caseId);
  const numbers = changes.map((c) => c.phoneNumber);
  await sql`
    update cases set phone_number = u.phone_number
    from unnest(${ids}::uuid[], ${numbers}::text[]) as u(id, phone_number)
    where cases.id = u.id`.execute(trx);
}

/** Commits a chunk: the cursor and the count move together; the last chunk finishes it (total becomes what was re-checked). */
export async function advanceReevaluation(trx: Trx, id: string, step: { cursor: string | null; checked: number; finished: boolean; now: Date }): Promise<ReevaluationRecord> {
  const row = await trx
    .updateTable('contact_reevaluations')
    .set((eb) => ({
      cursor: step.cursor,
      done: eb('done', '+', step.checked),
      updated_at: step.now,
      ...(step.finished ? { status: 'done' as const, finished_at: step.now, total: eb('done', '+', step.checked) } : {}),
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToRecord(row);
}

/** Marks a running re-evaluation failed with what stopped it. */
export async function failReevaluation(db: Db | Trx, id: string, error: { code: string; message: string }, now: Date): Promise<void> {
  await db
    .updateTable('contact_reevaluations')
    .set({ status: 'failed', error: error.message, error_code: error.code, finished_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .execute();
}

/**
 * Running re-evaluations with no progress since `staleBefore` and no job waiting in the queue: their
 * runner died. Each one returned is touched (`updated_at = now`) under SKIP LOCKED, so of several
 * processes sweeping at once only one takes it over, and not again before another lease has passed.
 */
export async function claimStalledReevaluations(trx: Trx, staleBefore: Date, now: Date): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    update contact_reevaluations set updated_at = ${now}
    where project_id in (
      select r.project_id from contact_reevaluations r
      where r.status = 'running' and r.updated_at <= ${staleBefore}
        and not exists (
          select 1 from pgboss.job j
          where j.name = 'contacts-reevaluate' and j.state in ('created', 'retry') and j.data->>'reevaluationId' = r.id::text
        )
      order by r.updated_at
      limit 100
      for update skip locked
    )
    returning id`.execute(trx);
  return rows.rows.map((r) => r.id);
}
