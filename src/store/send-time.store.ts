/**
 * @module store/send-time.store — what the dispatch worker reads, once per claimed batch, to decide
 * each message as of the moment it leaves: the contacts as they are now (cases with their
 * properties, mobile workers with their numbers) and which numbers a project holds two-way.
 */
import type { EntryState } from '../domain/case-contact.ts';
import { type CaseRecord, caseRowToCase } from './case.store.ts';
import type { Db } from './database.ts';

export interface WorkerNow {
  id: string;
  projectId: string;
  email: string | null;
  entries: Array<{ number: string; state: EntryState }>;
}

/** Cases by id, deleted and closed ones included (the caller fails their messages). */
export async function findCasesNow(db: Db, ids: readonly string[]): Promise<Map<string, CaseRecord>> {
  if (ids.length === 0) {
    return new Map();
  }
  const rows = await db.selectFrom('cases').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, caseRowToCase(r)]));
}

/** Mobile workers that still exist, with their numbers, by id. */
export async function findWorkersNow(db: Db, ids: readonly string[]): Promise<Map<string, WorkerNow>> {
  if (ids.length === 0) {
    return new Map();
  }
  const rows = await db
    .selectFrom('mobile_workers as w')
    .leftJoin('phone_entries as e', (j) => j.onRef('e.owner_id', '=', 'w.id').on('e.owner_type', '=', 'mobile-worker'))
    .select(['w.id', 'w.project_id', 'w.email', 'e.number', 'e.state'])
    .where('w.id', 'in', [...new Set(ids)])
    .where('w.deleted_at', 'is', null)
    .execute();
  const out = new Map<string, WorkerNow>();
  for (const r of rows) {
    const w = out.get(r.id) ?? { id: r.id, projectId: r.project_id, email: r.email, entries: [] };
    if (r.number && r.state) {
      w.entries.push({ number: r.number, state: r.state });
    }
    out.set(r.id, w);
  }
  return out;
}

/** Of these numbers, which projects hold each two-way, as `project:number`. */
export async function findTwoWayHolds(db: Db, numbers: readonly string[]): Promise<Set<string>> {
  if (numbers.length === 0) {
    return new Set();
  }
  const rows = await db.selectFrom('phone_entries').select(['project_id', 'number']).where('number', 'in', [...new Set(numbers)]).where('state', '=', 'two-way').execute();
  return new Set(rows.map((r) => `${r.project_id}:${r.number}`));
}
