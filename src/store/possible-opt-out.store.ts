/**
 * @module store/possible-opt-out.store — replies that look like an opt-out but are not a keyword
 * ("please stop texting me"), held for an admin of the project to confirm or dismiss. While one is
 * open, its number gets no broadcasts or scheduled messages from that project.
 */
import { type Selectable, sql } from 'kysely';

import type { Db, PossibleOptOutTable, Trx } from './database.ts';

export interface PossibleOptOut {
  id: string;
  seq: string;
  projectId: string;
  number: string;
  messageId: string;
  text: string;
  contactType: 'case' | 'mobile-worker' | null;
  contactId: string | null;
  status: 'open' | 'confirmed' | 'dismissed';
  createdAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  /** The contact's name (a case) or username (a mobile worker) when listed. */
  contactName?: string | null;
}

type Row = Selectable<PossibleOptOutTable>;

function toRecord(r: Row): PossibleOptOut {
  return {
    id: r.id,
    seq: String(r.seq),
    projectId: r.project_id,
    number: r.number,
    messageId: r.message_id,
    text: r.text,
    contactType: r.contact_type,
    contactId: r.contact_id,
    status: r.status,
    createdAt: r.created_at,
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
  };
}

export async function insertPossibleOptOut(trx: Trx, p: Pick<PossibleOptOut, 'projectId' | 'number' | 'messageId' | 'text' | 'contactType' | 'contactId'>, now: Date): Promise<void> {
  await trx
    .insertInto('possible_opt_outs')
    .values({ status: 'open', project_id: p.projectId, number: p.number, message_id: p.messageId, text: p.text, contact_type: p.contactType, contact_id: p.contactId, created_at: now })
    .onConflict((oc) => oc.column('message_id').doNothing())
    .execute();
}

/** Newest first, with the contact's name; `status` filters (Default: all). */
export async function listPossibleOptOuts(db: Db, projectId: string, q: { status?: PossibleOptOut['status'] | undefined; beforeSeq?: string | undefined; limit: number }): Promise<PossibleOptOut[]> {
  let query = db
    .selectFrom('possible_opt_outs as p')
    .leftJoin('cases as c', (j) => j.onRef('c.id', '=', 'p.contact_id').on('p.contact_type', '=', 'case').onRef('c.project_id', '=', 'p.project_id'))
    .leftJoin('mobile_workers as w', (j) => j.onRef('w.id', '=', 'p.contact_id').on('p.contact_type', '=', 'mobile-worker').onRef('w.project_id', '=', 'p.project_id'))
    .selectAll('p')
    .select((eb) => eb.fn.coalesce('c.name', 'w.username').as('contact_name'))
    .where('p.project_id', '=', projectId);
  if (q.status) {
    query = query.where('p.status', '=', q.status);
  }
  if (q.beforeSeq) {
    query = query.where('p.seq', '<', q.beforeSeq);
  }
  return (await query.orderBy('p.seq', 'desc').limit(q.limit).execute()).map((r) => ({ ...toRecord(r), contactName: r.contact_name }));
}

export async function findPossibleOptOut(db: Db, projectId: string, id: string): Promise<PossibleOptOut | null> {
  const row = await db.selectFrom('possible_opt_outs').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function lockPossibleOptOut(trx: Trx, projectId: string, id: string): Promise<PossibleOptOut | null> {
  const row = await trx.selectFrom('possible_opt_outs').selectAll().where('id', '=', id).where('project_id', '=', projectId).forUpdate().executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** Settles every open possible opt-out of a number (in every project): the person decided, or an admin did. */
export async function resolveOpenPossibleOptOuts(trx: Trx, number: string, status: 'confirmed' | 'dismissed', by: string | null, now: Date, projectId?: string): Promise<void> {
  let q = trx.updateTable('possible_opt_outs').set({ status, decided_at: now, decided_by: by }).where('number', '=', number).where('status', '=', 'open');
  if (projectId) {
    q = q.where('project_id', '=', projectId);
  }
  await q.execute();
}

/** Of these (project, number) pairs, those held by an open possible opt-out, as `project:number`. */
export async function findHeldNumbers(db: Db, pairs: ReadonlyArray<{ projectId: string; number: string }>): Promise<Set<string>> {
  if (pairs.length === 0) {
    return new Set();
  }
  const rows = await sql<{ project_id: string; number: string }>`
    select p.project_id, p.number from possible_opt_outs p
    join unnest(${pairs.map((x) => x.projectId)}::uuid[], ${pairs.map((x) => x.number)}::text[]) as v(project_id, number)
      on p.project_id = v.project_id and p.number = v.number
    where p.status = 'open'
  `.execute(db);
  return new Set(rows.rows.map((r) => `${r.project_id}:${r.number}`));
}

export async function countOpenPossibleOptOuts(db: Db, projectId: string): Promise<number> {
  const row = await db.selectFrom('possible_opt_outs').select((eb) => eb.fn.countAll<string>().as('n')).where('project_id', '=', projectId).where('status', '=', 'open').executeTakeFirstOrThrow();
  return Number(row.n);
}
