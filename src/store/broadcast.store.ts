/**
 * @module store/broadcast.store — broadcasts: one request expanded into one message per recipient.
 */
import { type Selectable, sql } from 'kysely';

import type { BroadcastTable, Db, Trx } from './database.ts';

export type BroadcastStatus = 'pending' | 'expanding' | 'done' | 'failed' | 'cancelled';

export interface BroadcastRecord {
  id: string;
  seq: string;
  projectId: string;
  status: BroadcastStatus;
  request: Record<string, unknown>;
  total: number;
  missing: number;
  cursor: string | null;
  createdBy: string | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** When a user cancelled the scheduled broadcast (migration 0014), and who. */
  cancelledAt: Date | null;
  cancelledBy: string | null;
}

/** The columns migration 0014 added (not in the shared table types). */
type Row0014 = { status: BroadcastStatus; cancelled_at?: Date | null; cancelled_by?: string | null };

function rowToBroadcast(row: Selectable<BroadcastTable>): BroadcastRecord {
  const extra = row as unknown as Row0014;
  return {
    id: row.id,
    seq: String(row.seq),
    projectId: row.project_id,
    status: extra.status,
    request: row.request,
    total: row.total,
    missing: row.missing,
    cursor: row.cursor,
    createdBy: row.created_by,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    cancelledAt: extra.cancelled_at ?? null,
    cancelledBy: extra.cancelled_by ?? null,
  };
}

export async function insertBroadcast(trx: Trx, projectId: string, request: Record<string, unknown>, createdBy: string | null): Promise<BroadcastRecord> {
  const row = await trx
    .insertInto('broadcasts')
    .values({ project_id: projectId, status: 'pending', request: JSON.stringify(request), cursor: null, created_by: createdBy, error: null })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToBroadcast(row);
}

export async function findBroadcast(db: Db | Trx, projectId: string | null, id: string): Promise<BroadcastRecord | null> {
  let q = db.selectFrom('broadcasts').selectAll().where('id', '=', id);
  if (projectId !== null) {
    q = q.where('project_id', '=', projectId);
  }
  const row = await q.executeTakeFirst();
  return row ? rowToBroadcast(row) : null;
}

/** Locks the broadcast for a chunk: a second runner of the same job waits, then sees the new cursor. */
export async function lockBroadcast(trx: Trx, id: string): Promise<BroadcastRecord | null> {
  const row = await trx.selectFrom('broadcasts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? rowToBroadcast(row) : null;
}

export async function advanceBroadcast(trx: Trx, id: string, change: { added: number; missing: number; cursor: string | null; done: boolean }): Promise<void> {
  await trx
    .updateTable('broadcasts')
    .set({
      total: sql`total + ${change.added}`,
      missing: sql`missing + ${change.missing}`,
      cursor: change.cursor,
      status: change.done ? 'done' : 'expanding',
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}

export async function failBroadcast(db: Db, id: string, error: string): Promise<void> {
  await db.updateTable('broadcasts').set({ status: 'failed', error, updated_at: new Date() }).where('id', '=', id).execute();
}

/** A project's broadcasts, newest first, before `beforeSeq`. */
export async function listBroadcasts(db: Db, projectId: string, q: { beforeSeq?: string | undefined; limit: number }): Promise<BroadcastRecord[]> {
  let query = db.selectFrom('broadcasts').selectAll().where('project_id', '=', projectId);
  if (q.beforeSeq !== undefined) {
    query = query.where('seq', '<', q.beforeSeq);
  }
  const rows = await query.orderBy('seq', 'desc').limit(q.limit).execute();
  return rows.map(rowToBroadcast);
}

/** Messages of several broadcasts by status and error code, in one statement. */
export async function countByStatusMany(db: Db, broadcastIds: readonly string[]): Promise<Array<{ broadcastId: string; status: string; errorCode: string | null; n: number }>> {
  if (broadcastIds.length === 0) {
    return [];
  }
  const rows = await db
    .selectFrom('messages')
    .select(['broadcast_id', 'status', 'error_code'])
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('broadcast_id', 'in', broadcastIds)
    .groupBy(['broadcast_id', 'status', 'error_code'])
    .execute();
  return rows.map((r) => ({ broadcastId: r.broadcast_id ?? '', status: r.status, errorCode: r.error_code, n: Number(r.n) }));
}

/** The first and last due time of a broadcast's messages still scheduled (null when none). */
export async function scheduledWindow(db: Db, broadcastId: string): Promise<{ first: Date | null; last: Date | null }> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => [eb.fn.min('due_at').as('first'), eb.fn.max('due_at').as('last')])
    .where('broadcast_id', '=', broadcastId)
    .where('status', '=', 'scheduled')
    .executeTakeFirst();
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date));
  return { first: date(row?.first), last: date(row?.last) };
}

/** Email addresses of web users by id (who created a broadcast). */
export async function userEmails(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) {
    return new Map();
  }
  const rows = await db.selectFrom('users').select(['id', 'email']).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r.email]));
}

/**
 * What of a locked broadcast has started: messages handed on (queued, sending, sent, delivered, or
 * failed at the gateway after an attempt) or scheduled ones already due, and those still scheduled.
 */
export async function broadcastProgressState(trx: Trx, broadcastId: string, now: Date): Promise<{ started: number; scheduled: number }> {
  const row = await sql<{ started: string; scheduled: string }>`
    select
      count(*) filter (where status in ('queued', 'sending', 'sent', 'delivered') or (status = 'scheduled' and due_at <= ${now}) or (status = 'failed' and attempts > 0)) as started,
      count(*) filter (where status = 'scheduled' and due_at > ${now}) as scheduled
    from messages where broadcast_id = ${broadcastId}
  `.execute(trx);
  return { started: Number(row.rows[0]?.started ?? 0), scheduled: Number(row.rows[0]?.scheduled ?? 0) };
}

/**
 * Cancels a locked broadcast: its messages still scheduled (not yet due) fail with `code`, and the
 * broadcast is marked cancelled (expansion stops at its next chunk). Returns the messages cancelled.
 */
export async function cancelBroadcastRows(trx: Trx, broadcastId: string, by: string | null, code: string, now: Date): Promise<number> {
  const result = await trx
    .updateTable('messages')
    .set({ status: 'failed', error_code: code, error_detail: null, updated_at: now })
    .where('broadcast_id', '=', broadcastId)
    .where('status', '=', 'scheduled')
    .where('due_at', '>', now)
    .executeTakeFirst();
  await sql`update broadcasts set status = 'cancelled', cancelled_at = ${now}, cancelled_by = ${by}, updated_at = ${now} where id = ${broadcastId}`.execute(trx);
  return Number(result.numUpdatedRows);
}

export interface RecipientList {
  id: string;
  projectId: string;
  fileName: string;
  caseIds: string[];
  createdAt: Date;
}

/** Keeps a list of case ids read from an uploaded file; lists of the project older than a week go. */
export async function insertRecipientList(db: Db, projectId: string, fileName: string, caseIds: readonly string[], createdBy: string | null, now: Date): Promise<RecipientList> {
  await sql`delete from broadcast_recipient_lists where project_id = ${projectId} and created_at < ${new Date(now.getTime() - 7 * 86_400_000)}`.execute(db);
  const row = await sql<{ id: string; created_at: Date }>`
    insert into broadcast_recipient_lists (project_id, file_name, case_ids, created_by, created_at)
    values (${projectId}, ${fileName}, ${JSON.stringify(caseIds)}::jsonb, ${createdBy}, ${now})
    returning id, created_at
  `.execute(db);
  const r = row.rows[0];
  if (!r) {
    throw new Error('insertRecipientList returned no row');
  }
  return { id: r.id, projectId, fileName, caseIds: [...caseIds], createdAt: new Date(r.created_at) };
}

export async function findRecipientList(db: Db, projectId: string, id: string): Promise<RecipientList | null> {
  const row = await sql<{ id: string; file_name: string; case_ids: string[]; created_at: Date }>`
    select id, file_name, case_ids, created_at from broadcast_recipient_lists where project_id = ${projectId} and id = ${id}
  `.execute(db);
  const r = row.rows[0];
  return r ? { id: r.id, projectId, fileName: r.file_name, caseIds: r.case_ids, createdAt: new Date(r.created_at) } : null;
}
