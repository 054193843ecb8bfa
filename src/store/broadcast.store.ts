/**
 * @module store/broadcast.store — broadcasts: one request expanded into one message per recipient.
 */
import { type Selectable, sql } from 'kysely';

import type { BroadcastTable, Db, Trx } from './database.ts';

export interface BroadcastRecord {
  id: string;
  projectId: string;
  status: 'pending' | 'expanding' | 'done' | 'failed';
  request: Record<string, unknown>;
  total: number;
  missing: number;
  cursor: string | null;
  createdBy: string | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

function rowToBroadcast(row: Selectable<BroadcastTable>): BroadcastRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status,
    request: row.request,
    total: row.total,
    missing: row.missing,
    cursor: row.cursor,
    createdBy: row.created_by,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
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
