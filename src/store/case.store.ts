/**
 * @module store/case.store — cases (beneficiary records) with their free-form properties.
 */
import { type RawBuilder, type Selectable, sql } from 'kysely';

import type { EntryState } from '../domain/case-contact.ts';
import { everyColumnOf } from './columns.ts';
import type { CaseTable, Db, Trx } from './database.ts';
import { runPrepared } from './prepared-statements.ts';

export interface CaseRecord {
  id: string;
  seq: string;
  projectId: string;
  caseType: string;
  name: string;
  ownerId: string | null;
  externalId: string | null;
  closed: boolean;
  closedAt: Date | null;
  deleted: boolean;
  properties: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export interface CaseWithEntry extends CaseRecord {
  entryState: EntryState | null;
}

export type CaseRow = Selectable<CaseTable>;

/** Every column of cases, for prepared statements (store/columns.ts: never `*`). */
export const CASE_COLUMNS = everyColumnOf<CaseTable>()(['id', 'seq', 'project_id', 'case_type', 'name', 'owner_id', 'external_id', 'closed', 'closed_at', 'deleted_at', 'properties', 'phone_number', 'created_at', 'updated_at']);
const QUALIFIED_CASE_COLUMNS = CASE_COLUMNS.map((c) => `cases.${c}` as const);

export function caseRowToCase(row: CaseRow): CaseRecord {
  return {
    id: row.id,
    seq: String(row.seq),
    projectId: row.project_id,
    caseType: row.case_type,
    name: row.name,
    ownerId: row.owner_id,
    externalId: row.external_id,
    closed: row.closed,
    closedAt: row.closed_at,
    deleted: row.deleted_at !== null,
    properties: row.properties,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface CaseWrite {
  caseType: string;
  name: string;
  ownerId: string | null;
  externalId: string | null;
  properties: Record<string, string>;
  phoneNumber: string | null;
}

export async function insertCase(trx: Trx, projectId: string, c: CaseWrite, now: Date): Promise<CaseRecord> {
  const [row] = await insertCases(trx, projectId, [c], now);
  if (!row) {
    throw new Error('insertCase returned no row');
  }
  return row;
}

/** Inserts cases with one statement; returned in the order given (seq is assigned in that order). */
export async function insertCases(trx: Trx, projectId: string, cases: readonly CaseWrite[], now: Date): Promise<CaseRecord[]> {
  if (cases.length === 0) {
    return [];
  }
  const rows = await trx
    .insertInto('cases')
    .values(
      cases.map((c) => ({
        project_id: projectId,
        case_type: c.caseType,
        name: c.name,
        owner_id: c.ownerId,
        external_id: c.externalId,
        properties: JSON.stringify(c.properties),
        phone_number: c.phoneNumber,
        closed_at: null,
        deleted_at: null,
        created_at: now,
        updated_at: now,
      })),
    )
    .returningAll()
    .execute();
  return rows.map(caseRowToCase).sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
}

/** Locks a live case of the project for update. */
export async function lockCase(trx: Trx, projectId: string, caseId: string): Promise<CaseRecord | null> {
  const row = await trx
    .selectFrom('cases')
    .selectAll()
    .where('id', '=', caseId)
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  return row ? caseRowToCase(row) : null;
}

export async function updateCaseRow(
  trx: Trx,
  caseId: string,
  c: { name: string; properties: Record<string, string>; phoneNumber: string | null; closed?: boolean; deleted?: boolean },
  now: Date,
): Promise<CaseRecord> {
  const row = await trx
    .updateTable('cases')
    .set({
      name: c.name,
      properties: JSON.stringify(c.properties),
      phone_number: c.phoneNumber,
      updated_at: now,
      ...(c.closed ? { closed: true, closed_at: now } : {}),
      ...(c.deleted ? { deleted_at: now } : {}),
    })
    .where('id', '=', caseId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return caseRowToCase(row);
}

function withEntry(db: Db | Trx) {
  return db
    .selectFrom('cases')
    .leftJoin('phone_entries', (join) =>
      join.onRef('phone_entries.project_id', '=', 'cases.project_id').onRef('phone_entries.owner_id', '=', 'cases.id').on('phone_entries.owner_type', '=', 'case'),
    )
    .selectAll('cases')
    .select('phone_entries.state as entry_state');
}

/**
 * The statement that reads one live case of a project with its registry entry's state. The case is
 * found by its primary key alone (a materialized CTE), and only then checked against the project.
 * With `id = $1 and project_id = $2` in one WHERE, a table not analyzed yet (PostgreSQL's first
 * minute, or an embedded database before its table maintenance ran) got a plan that walked the
 * project's index and filtered on id: 9 ms a read at 17,000 cases instead of 1 ms.
 */
export function caseByIdQuery(db: Db | Trx, projectId: string, caseId: string) {
  return db
    .with((cte) => cte('one_case').materialized(), (qb) => qb.selectFrom('cases').select(CASE_COLUMNS).where('id', '=', caseId))
    .selectFrom('one_case as cases')
    .leftJoin('phone_entries', (join) => join.onRef('phone_entries.project_id', '=', 'cases.project_id').onRef('phone_entries.owner_id', '=', 'cases.id').on('phone_entries.owner_type', '=', 'case'))
    .select(QUALIFIED_CASE_COLUMNS)
    .select('phone_entries.state as entry_state')
    .where('cases.project_id', '=', projectId)
    .where('cases.deleted_at', 'is', null);
}

export async function findCase(db: Db | Trx, projectId: string, caseId: string): Promise<CaseWithEntry | null> {
  // Prepared: reading one case is the API's most frequent statement (store/prepared-statements.ts).
  const query = caseByIdQuery(db, projectId, caseId);
  const [row] = await runPrepared(db, query.compile());
  return row ? { ...caseRowToCase(row), entryState: row.entry_state } : null;
}

/** Live cases of a type (optionally whose properties contain `where`), after `afterSeq`, by seq. */
export async function listCasesForBroadcast(db: Db | Trx, projectId: string, q: { caseType: string; where: Record<string, string>; afterSeq: string | null; limit: number }): Promise<CaseWithEntry[]> {
  let query = withEntry(db)
    .where('cases.project_id', '=', projectId)
    .where('cases.deleted_at', 'is', null)
    .where('cases.closed', '=', false)
    .where('cases.case_type', '=', q.caseType);
  if (Object.keys(q.where).length) {
    query = query.where(sql<boolean>`cases.properties @> ${JSON.stringify(q.where)}::jsonb`);
  }
  if (q.afterSeq !== null) {
    query = query.where('cases.seq', '>', q.afterSeq);
  }
  const rows = await query.orderBy('cases.seq').limit(q.limit).execute();
  return rows.map((row) => ({ ...caseRowToCase(row), entryState: row.entry_state }));
}

/** Live cases of the project among the ids given. */
export async function findCasesByIds(db: Db | Trx, projectId: string, ids: readonly string[]): Promise<CaseWithEntry[]> {
  if (ids.length === 0) {
    return [];
  }
  const rows = await withEntry(db).where('cases.project_id', '=', projectId).where('cases.deleted_at', 'is', null).where('cases.id', 'in', ids).execute();
  return rows.map((row) => ({ ...caseRowToCase(row), entryState: row.entry_state }));
}

export interface CaseListQuery {
  caseType?: string | undefined;
  afterSeq?: string | undefined;
  limit: number;
  /** Search in the name (case-insensitive) or the normalised number. */
  search?: string | undefined;
  phoneNumber?: string | undefined;
  closed?: boolean | undefined;
}

export async function listCases(db: Db, projectId: string, q: CaseListQuery): Promise<CaseWithEntry[]> {
  let query = withEntry(db).where('cases.project_id', '=', projectId).where('cases.deleted_at', 'is', null);
  if (q.caseType !== undefined) {
    query = query.where('cases.case_type', '=', q.caseType);
  }
  if (q.afterSeq !== undefined) {
    query = query.where('cases.seq', '>', q.afterSeq);
  }
  if (q.phoneNumber !== undefined) {
    query = query.where('cases.phone_number', '=', q.phoneNumber);
  }
  if (q.closed !== undefined) {
    query = query.where('cases.closed', '=', q.closed);
  }
  if (q.search !== undefined && q.search !== '') {
    const pattern = '%' + q.search.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
    query = query.where((eb) => eb.or([eb('cases.name', 'ilike', pattern), eb('cases.phone_number', 'like', pattern)]));
  }
  const rows = await query.orderBy('cases.seq').limit(q.limit).execute();
  return rows.map((row) => ({ ...caseRowToCase(row), entryState: row.entry_state }));
}

/** Live cases of the project and type whose external id is among those given. */
export async function findCasesByExternalIds(db: Db | Trx, projectId: string, caseType: string, externalIds: readonly string[]): Promise<CaseWithEntry[]> {
  if (externalIds.length === 0) {
    return [];
  }
  const rows = await withEntry(db)
    .where('cases.project_id', '=', projectId)
    .where('cases.deleted_at', 'is', null)
    .where('cases.case_type', '=', caseType)
    .where('cases.external_id', 'in', externalIds)
    .orderBy('cases.seq')
    .execute();
  return rows.map((row) => ({ ...caseRowToCase(row), entryState: row.entry_state }));
}

/** The contacts list's filters (UI.md: contacts list), all optional; every one narrows. */
export interface CaseFilter {
  caseType?: string | undefined;
  /** The case's phone status as the case view computes it (domain/case-contact.ts). */
  phoneStatus?: 'two-way' | 'one-way' | 'invalid' | 'none' | undefined;
  consent?: boolean | undefined;
  optedOut?: boolean | undefined;
  /** Only cases with at least one contact problem (the `problems` arrays of the case view). */
  problems?: ProblemCheck | undefined;
  ownerId?: string | undefined;
  createdFrom?: Date | undefined;
  /** Exclusive upper bound. */
  createdBefore?: Date | undefined;
  /** Part of the name (case-insensitive). */
  name?: string | undefined;
  /** An exact normalised number (E.164). */
  phoneNumber?: string | undefined;
  /** Part of the stored number's digits. */
  phoneDigits?: string | undefined;
  closed?: boolean | undefined;
  /** Only these cases (a bulk selection). */
  ids?: readonly string[] | undefined;
}

/**
 * The values of the project's cases that the contact reading (domain/case-contact.ts) refuses, as
 * the service judged them from contactValuesInUse: time zones and languages, lower-cased.
 */
export interface ProblemCheck {
  badTimeZones: readonly string[];
  badLanguages: readonly string[];
  /**
   * The cases with a problem when they are few (problemCaseIdList under its cap): the filter then
   * names them, and the planner reads them by key. Else (many) the list walks the cases in its order
   * and checks each case's generated columns, which finds a page after a few hundred rows.
   */
  ids?: readonly string[] | undefined;
  /** When `ids` is not given: how many cases with a problem there are at least. */
  atLeast?: number | undefined;
}

export type CaseSort = 'newest' | 'oldest' | 'name';

/** Where a page starts: after this case in the sort order. */
export interface CaseKey {
  seq: string;
  name?: string | undefined;
}

/** Consent as domain/case-contact.ts reads it (migration 0014's generated column). */
const CONSENT_SQL = sql<boolean>`cases.prop_consent`;
const OPTED_OUT_SQL = sql<boolean>`exists (select 1 from opt_outs o where o.number = cases.phone_number and o.opted_out)`;

/** The filtered cases of the project, with the registry entry joined (as the list reads them). */
function filteredCases(db: Db | Trx, projectId: string, f: CaseFilter) {
  return applyFilter(withEntry(db).where('cases.project_id', '=', projectId).where('cases.deleted_at', 'is', null), projectId, f);
}

/**
 * The case's registry entry is in one of these states: a lookup by the entry's owner index for
 * each case looked at (a join would hash every entry of the server first, on a count).
 */
function entryIn(states: ReadonlyArray<'one-way' | 'pending' | 'two-way'>) {
  return sql<boolean>`exists (select 1 from phone_entries pe where pe.project_id = cases.project_id and pe.owner_id = cases.id and pe.owner_type = 'case' and pe.state in (${sql.join(states.map((st) => sql.lit(st)))}))`;
}

/** The same filter without the registry entry's join (the filters read the entry by entryIn): the count. */
function filteredCaseIds(db: Db | Trx, projectId: string, f: CaseFilter): ReturnType<typeof withEntry> {
  const base = db.selectFrom('cases').select(sql<number>`1`.as('one')).where('cases.project_id', '=', projectId).where('cases.deleted_at', 'is', null);
  return applyFilter(base as unknown as ReturnType<typeof withEntry>, projectId, f);
}

function applyFilter(q: ReturnType<typeof withEntry>, projectId: string, f: CaseFilter) {
  let query = q;
  if (f.caseType !== undefined) {
    query = query.where('cases.case_type', '=', f.caseType);
  }
  if (f.ids !== undefined) {
    query = f.ids.length === 0 ? query.where(sql<boolean>`false`) : query.where('cases.id', 'in', [...f.ids]);
  }
  if (f.ownerId !== undefined) {
    query = query.where('cases.owner_id', '=', f.ownerId);
  }
  if (f.closed !== undefined) {
    query = query.where('cases.closed', '=', f.closed);
  }
  if (f.createdFrom !== undefined) {
    query = query.where('cases.created_at', '>=', f.createdFrom);
  }
  if (f.createdBefore !== undefined) {
    query = query.where('cases.created_at', '<', f.createdBefore);
  }
  if (f.phoneNumber !== undefined) {
    query = query.where('cases.phone_number', '=', f.phoneNumber);
  }
  if (f.phoneDigits !== undefined && f.phoneDigits !== '') {
    query = query.where('cases.phone_number', 'like', `%${f.phoneDigits.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
  }
  if (f.name !== undefined && f.name !== '') {
    query = query.where('cases.name', 'ilike', `%${f.name.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
  }
  if (f.consent !== undefined) {
    query = query.where(f.consent ? CONSENT_SQL : sql<boolean>`not (${CONSENT_SQL})`);
  }
  if (f.optedOut !== undefined) {
    // Yes: from the opted-out numbers (few) to the cases by number; no: every other case.
    query = query.where(f.optedOut ? sql<boolean>`cases.phone_number in (select o.number from opt_outs o where o.opted_out)` : sql<boolean>`not (cases.phone_number is not null and ${OPTED_OUT_SQL})`);
  }
  if (f.phoneStatus !== undefined) {
    const status = {
      'two-way': sql<boolean>`cases.phone_number is not null and ${entryIn(['two-way'])}`,
      'one-way': sql<boolean>`cases.phone_number is not null and ${entryIn(['one-way', 'pending'])}`,
      invalid: sql<boolean>`cases.phone_number is null and not cases.prop_phone_blank`,
      none: sql<boolean>`((cases.phone_number is null and cases.prop_phone_blank) or (cases.phone_number is not null and not ${entryIn(['one-way', 'pending', 'two-way'])}))`,
    }[f.phoneStatus];
    query = query.where(status);
  }
  if (f.problems !== undefined) {
    const p = f.problems;
    query = query.where(
      p.ids !== undefined
        ? sql<boolean>`cases.id = any(${[...p.ids]}::uuid[])`
        : // Many: each case's own columns (generated, migration 0019), read as the list walks its order.
          sql<boolean>`(
            ${sql.join(caseProblemConditions('cases.', p), sql` or `)}
            or exists (select 1 from phone_entries u where u.project_id = cases.project_id and u.owner_id = cases.id and u.owner_type = 'case' and ${UNANSWERED_TWO_WAY})
          )`,
    );
  }
  return query;
}

/**
 * The ids of the project's cases with a contact problem, as five small sets each read from its
 * index alone (migration 0019): an invalid number, an email that is not one, a bad time zone or
 * language (the values judged by the service), a number that wants replies but does not get them
 * (PHONE_NUMBER_IN_USE). An id may come twice (a case with two problems).
 */
function problemCaseIds(projectId: string, p: ProblemCheck) {
  const mine = sql`project_id = ${projectId} and deleted_at is null`;
  return sql.join(
    [
      ...caseProblemConditions('', p).map((problem) => sql`select id from cases where ${mine} and ${problem}`),
      sql`select owner_id as id from phone_entries where project_id = ${projectId} and owner_type = 'case' and ${UNANSWERED_TWO_WAY}`,
    ],
    sql` union all `,
  );
}

/** A phone entry whose number wants replies but does not get them (PHONE_NUMBER_IN_USE). */
const UNANSWERED_TWO_WAY = sql`wants_two_way and state <> 'two-way'`;

/**
 * The contact problems a case's own columns show (generated, migration 0019; `prefix`: '' or
 * 'cases.'): an invalid number, an email that is not one, a time zone or language the service
 * judged bad. Written once for the list's filter and for the id sets, whose partial indexes match
 * these conditions as written.
 */
function caseProblemConditions(prefix: '' | 'cases.', p: ProblemCheck): Array<RawBuilder<boolean>> {
  const col = (name: string) => sql.ref(`${prefix}${name}`);
  const conditions = [sql<boolean>`(${col('phone_number')} is null and not ${col('prop_phone_blank')})`, sql<boolean>`${col('prop_email_problem')}`];
  if (p.badTimeZones.length > 0) {
    conditions.push(sql<boolean>`(${col('prop_time_zone')} is not null and ${col('prop_time_zone')} in (${sql.join(p.badTimeZones)}))`);
  }
  if (p.badLanguages.length > 0) {
    conditions.push(sql<boolean>`(${col('prop_language')} is not null and ${col('prop_language')} in (${sql.join(p.badLanguages)}))`);
  }
  return conditions;
}

/** Whether the filter asks for nothing but "has problems" (its count needs no case row). */
function onlyProblems(f: CaseFilter): f is CaseFilter & { problems: ProblemCheck } {
  return f.problems !== undefined && Object.entries(f).every(([k, v]) => k === 'problems' || v === undefined);
}

/** Up to `limit` ids of the project's cases with a contact problem (each once). */
export async function problemCaseIdList(db: Db | Trx, projectId: string, p: ProblemCheck, limit: number): Promise<string[]> {
  const result = await sql<{ id: string }>`select distinct id from (${problemCaseIds(projectId, p)}) ids limit ${limit}`.execute(db);
  return result.rows.map((r) => r.id);
}

/**
 * The distinct time zones and languages the project's cases hold (lower-cased, trimmed), read by
 * skipping through their indexes (one probe per value, not a scan), for the service to judge.
 */
export async function contactValuesInUse(db: Db | Trx, projectId: string, limit = 10_000): Promise<{ timeZones: string[]; languages: string[] }> {
  const distinct = async (expr: ReturnType<typeof sql.raw>) => {
    const result = await sql<{ v: string | null }>`
      with recursive t(v) as (
        (select ${expr} from cases where project_id = ${projectId} and deleted_at is null and ${expr} is not null order by 1 limit 1)
        union all
        select (select ${expr} from cases where project_id = ${projectId} and deleted_at is null and ${expr} > t.v order by 1 limit 1) from t where t.v is not null
      )
      select v from t where v is not null limit ${limit}`.execute(db);
    return result.rows.map((r) => r.v as string);
  };
  return { timeZones: await distinct(sql.raw('prop_time_zone')), languages: await distinct(sql.raw('prop_language')) };
}

/** One page of the filtered cases in the order asked, starting after `after`. */
export async function listFilteredCases(db: Db | Trx, projectId: string, f: CaseFilter, sort: CaseSort, after: CaseKey | null, limit: number): Promise<CaseWithEntry[]> {
  let query = filteredCases(db, projectId, f);
  if (sort === 'name') {
    if (after) {
      query = query.where(sql<boolean>`(cases.name, cases.seq) > (${after.name ?? ''}, ${after.seq}::bigint)`);
    }
    query = query.orderBy('cases.name').orderBy('cases.seq');
  } else if (sort === 'oldest') {
    if (after) {
      query = query.where('cases.seq', '>', after.seq);
    }
    query = query.orderBy('cases.seq');
  } else {
    if (after) {
      query = query.where('cases.seq', '<', after.seq);
    }
    query = query.orderBy('cases.seq', 'desc');
  }
  const rows = await query.limit(limit).execute();
  return rows.map((row) => ({ ...caseRowToCase(row), entryState: row.entry_state }));
}

/** How many cases match, counting no further than `cap` (a count of a large set is a scan). */
export async function countFilteredCases(db: Db | Trx, projectId: string, f: CaseFilter, cap: number): Promise<number> {
  if (onlyProblems(f)) {
    if (f.problems.ids !== undefined) {
      return Math.min(f.problems.ids.length, cap);
    }
    if ((f.problems.atLeast ?? 0) >= cap) {
      return cap;
    }
    const only = await sql<{ n: string }>`select count(*) as n from (select distinct id from (${problemCaseIds(projectId, f.problems)}) ids limit ${cap}) capped`.execute(db);
    return Number(only.rows[0]?.n ?? 0);
  }
  const inner = filteredCaseIds(db, projectId, f).limit(cap);
  const row = await db.selectFrom(inner.as('capped')).select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Every property name used by the filtered cases (an export's columns), sorted. */
export async function propertyKeysOfCases(db: Db | Trx, projectId: string, f: CaseFilter): Promise<string[]> {
  const inner = filteredCases(db, projectId, f).clearSelect().select(sql<string>`jsonb_object_keys(cases.properties)`.as('k'));
  const rows = await db.selectFrom(inner.as('keys')).select('k').distinct().orderBy('k').execute();
  return rows.map((r) => r.k);
}

/** The project's case types (at most `limit`), read by skipping through the type index, not by a scan. */
export async function caseTypesOf(db: Db | Trx, projectId: string, limit = 100): Promise<string[]> {
  const result = await sql<{ case_type: string | null }>`
    with recursive t(case_type) as (
      (select case_type from cases where project_id = ${projectId} and deleted_at is null order by case_type limit 1)
      union all
      select (select c.case_type from cases c where c.project_id = ${projectId} and c.deleted_at is null and c.case_type > t.case_type order by c.case_type limit 1)
      from t where t.case_type is not null
    )
    select case_type from t where case_type is not null limit ${limit}`.execute(db);
  return result.rows.flatMap((r) => (r.case_type === null ? [] : [r.case_type]));
}
