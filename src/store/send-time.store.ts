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

/** A contact of a claimed message: its project and id (each read names the project: docs/scaling.md). */
export interface ContactRef {
  projectId: string;
  id: string;
}

const projectsOf = (refs: readonly ContactRef[]) => [...new Set(refs.map((r) => r.projectId))];
const idsOf = (refs: readonly ContactRef[]) => [...new Set(refs.map((r) => r.id))];

/** Cases by project and id, deleted and closed ones included (the caller fails their messages). */
export async function findCasesNow(db: Db, refs: readonly ContactRef[]): Promise<Map<string, CaseRecord>> {
  if (refs.length === 0) {
    return new Map();
  }
  const rows = await db.selectFrom('cases').selectAll().where('project_id', 'in', projectsOf(refs)).where('id', 'in', idsOf(refs)).execute();
  return new Map(rows.map((r) => [r.id, caseRowToCase(r)]));
}

/** Mobile workers that still exist, with their numbers, by project and id. */
export async function findWorkersNow(db: Db, refs: readonly ContactRef[]): Promise<Map<string, WorkerNow>> {
  if (refs.length === 0) {
    return new Map();
  }
  const rows = await db
    .selectFrom('mobile_workers as w')
    .leftJoin('phone_entries as e', (j) => j.onRef('e.project_id', '=', 'w.project_id').onRef('e.owner_id', '=', 'w.id').on('e.owner_type', '=', 'mobile-worker'))
    .select(['w.id', 'w.project_id', 'w.email', 'e.number', 'e.state'])
    .where('w.project_id', 'in', projectsOf(refs))
    .where('w.id', 'in', idsOf(refs))
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

/** Of these numbers, those the project given with each holds two-way, as `project:number`. */
export async function findTwoWayHolds(db: Db, pairs: ReadonlyArray<{ projectId: string; number: string }>): Promise<Set<string>> {
  if (pairs.length === 0) {
    return new Set();
  }
  const rows = await db
    .selectFrom('phone_entries')
    .select(['project_id', 'number'])
    .where('project_id', 'in', [...new Set(pairs.map((p) => p.projectId))])
    .where('number', 'in', [...new Set(pairs.map((p) => p.number))])
    .where('state', '=', 'two-way')
    .execute();
  return new Set(rows.map((r) => `${r.project_id}:${r.number}`));
}
