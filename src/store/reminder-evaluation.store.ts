/**
 * @module store/reminder-evaluation.store — the cases a reminder evaluation reads: by id (cases
 * marked for evaluation) or a rule's case type in `seq` order (a rule's own evaluation), with only
 * the columns evaluation needs. Deleted and closed cases are read too: their planned sends are
 * cancelled.
 */
import type { Db, Trx } from './database.ts';

export interface EvaluatedCase {
  id: string;
  seq: string;
  caseType: string;
  name: string;
  ownerId: string | null;
  closed: boolean;
  deleted: boolean;
  properties: Record<string, string>;
  /** The normalised number (null: none or not valid). */
  phoneNumber: string | null;
}

export async function casesForEvaluation(
  trx: Db | Trx,
  projectId: string,
  q: { ids: readonly string[] } | { caseType: string; afterSeq: string | null; limit: number },
): Promise<EvaluatedCase[]> {
  let query = trx
    .selectFrom('cases')
    .select(['id', 'seq', 'case_type', 'name', 'owner_id', 'closed', 'deleted_at', 'properties', 'phone_number'])
    .where('project_id', '=', projectId);
  if ('ids' in q) {
    if (q.ids.length === 0) {
      return [];
    }
    query = query.where('id', 'in', q.ids);
  } else {
    query = query.where('case_type', '=', q.caseType).where('deleted_at', 'is', null);
    if (q.afterSeq !== null) {
      query = query.where('seq', '>', q.afterSeq);
    }
    query = query.orderBy('seq').limit(q.limit);
  }
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    seq: String(r.seq),
    caseType: r.case_type,
    name: r.name,
    ownerId: r.owner_id,
    closed: r.closed,
    deleted: r.deleted_at !== null,
    properties: r.properties,
    phoneNumber: r.phone_number,
  }));
}

/** How many live cases of a type the project has (a rule evaluation's total). */
export async function countCasesOfType(trx: Trx, projectId: string, caseType: string): Promise<number> {
  const row = await trx
    .selectFrom('cases')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('project_id', '=', projectId)
    .where('case_type', '=', caseType)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
