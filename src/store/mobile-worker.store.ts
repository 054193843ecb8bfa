/**
 * @module store/mobile-worker.store — mobile workers (field staff accounts of a project).
 */
import { type Selectable, sql } from 'kysely';

import type { Db, MobileWorkerTable, Trx } from './database.ts';

export interface MobileWorkerRecord {
  id: string;
  seq: string;
  projectId: string;
  username: string;
  hasPassword: boolean;
  language: string | null;
  timeZone: string | null;
  email: string | null;
  createdAt: Date;
  updatedAt: Date;
}

function rowToWorker(row: Selectable<MobileWorkerTable>): MobileWorkerRecord {
  return {
    id: row.id,
    seq: String(row.seq),
    projectId: row.project_id,
    username: row.username,
    hasPassword: row.password_hash !== null,
    language: row.language,
    timeZone: row.time_zone,
    email: row.email,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface WorkerWrite {
  username: string;
  passwordHash: string | null;
  language: string | null;
  timeZone: string | null;
  email: string | null;
}

/** Inserts a worker; returns null when the username is taken in the project. */
export async function insertMobileWorker(trx: Trx, projectId: string, w: WorkerWrite, now: Date): Promise<MobileWorkerRecord | null> {
  const taken = await findMobileWorkerByUsername(trx, projectId, w.username);
  if (taken) {
    return null;
  }
  const row = await trx
    .insertInto('mobile_workers')
    .values({
      project_id: projectId,
      username: w.username,
      password_hash: w.passwordHash,
      language: w.language,
      time_zone: w.timeZone,
      email: w.email,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    })
    // A concurrent insert of the same username (the unique index) makes this one a no-op.
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? rowToWorker(row) : null;
}

export async function findMobileWorker(db: Db | Trx, projectId: string, id: string): Promise<MobileWorkerRecord | null> {
  const row = await db
    .selectFrom('mobile_workers')
    .selectAll()
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? rowToWorker(row) : null;
}

export async function lockMobileWorker(trx: Trx, projectId: string, id: string): Promise<MobileWorkerRecord | null> {
  const row = await trx
    .selectFrom('mobile_workers')
    .selectAll()
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  return row ? rowToWorker(row) : null;
}

export async function findMobileWorkerByUsername(db: Db | Trx, projectId: string, username: string): Promise<MobileWorkerRecord | null> {
  const row = await db
    .selectFrom('mobile_workers')
    .selectAll()
    .where('project_id', '=', projectId)
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? rowToWorker(row) : null;
}

export async function listMobileWorkers(db: Db, projectId: string, q: { afterSeq?: string | undefined; limit: number; search?: string | undefined }): Promise<MobileWorkerRecord[]> {
  let query = db.selectFrom('mobile_workers').selectAll().where('project_id', '=', projectId).where('deleted_at', 'is', null);
  if (q.afterSeq !== undefined) {
    query = query.where('seq', '>', q.afterSeq);
  }
  if (q.search) {
    query = query.where('username', 'ilike', '%' + q.search.replace(/[\\%_]/g, (c) => '\\' + c) + '%');
  }
  const rows = await query.orderBy('seq').limit(q.limit).execute();
  return rows.map(rowToWorker);
}

export async function markMobileWorkerDeleted(trx: Trx, id: string, now: Date): Promise<void> {
  await trx.updateTable('mobile_workers').set({ deleted_at: now, updated_at: now }).where('id', '=', id).execute();
}

/** Live workers of the project among the ids given. */
export async function findMobileWorkersByIds(db: Db | Trx, projectId: string, ids: readonly string[]): Promise<MobileWorkerRecord[]> {
  if (ids.length === 0) {
    return [];
  }
  const rows = await db.selectFrom('mobile_workers').selectAll().where('project_id', '=', projectId).where('deleted_at', 'is', null).where('id', 'in', ids).execute();
  return rows.map(rowToWorker);
}

/** Live workers of the project among the usernames given (compared without case, as usernames are unique). */
export async function findMobileWorkersByUsernames(db: Db | Trx, projectId: string, usernames: readonly string[]): Promise<MobileWorkerRecord[]> {
  if (usernames.length === 0) {
    return [];
  }
  const lower = [...new Set(usernames.map((u) => u.toLowerCase()))];
  const rows = await db.selectFrom('mobile_workers').selectAll().where('project_id', '=', projectId).where('deleted_at', 'is', null).where(sql<string>`lower(username)`, 'in', lower).execute();
  return rows.map(rowToWorker);
}
