/**
 * @module store/new-case.store — one new case written with one statement: the case row, its
 * registry entry and its consent event (the create path of the API and the UI).
 *
 * A transaction of separate statements took seven round trips (begin, case, number lock, holder
 * read, entry, consent, commit); on a busy server each is a wake-up of the database and of the
 * server, and reads waited behind them. One statement is atomic by itself, and the rules of
 * services/phone-registry.service.ts hold inside it:
 * - the number's advisory lock is taken before the entry is written (the CTE `l`), so the lock
 *   based paths (imports, updates, releases) see this entry, or this statement waits for them;
 * - the entry is inserted two-way with ON CONFLICT DO NOTHING on the one-holder index: the check
 *   sees the latest committed holder (not the statement's snapshot) and waits for one being
 *   written, so two creations can never both win;
 * - when it did not win (or does not want two-way) the entry is inserted one-way.
 * A pending hold whose time ran out still counts here as a holder; the caller resolves that case
 * (`contended`) with the registry's own rules afterwards.
 */
import { sql } from 'kysely';

import type { EntryState } from '../domain/case-contact.ts';
import { CASE_COLUMNS, type CaseRecord, type CaseRow, type CaseWrite, caseRowToCase } from './case.store.ts';
import { columnList } from './columns.ts';
import type { NewConsentEvent } from './consent.store.ts';
import type { Db } from './database.ts';
import { runPrepared } from './prepared-statements.ts';

export interface NewCase {
  id: string;
  projectId: string;
  write: CaseWrite;
  /** The number the case asks the registry for (null: no entry). */
  entry: { number: string; wantsTwoWay: boolean } | null;
  consent: NewConsentEvent | null;
  now: Date;
}

export interface NewCaseResult {
  record: CaseRecord;
  entryState: EntryState | null;
  /** It wanted the number two-way and another entry held it. */
  contended: boolean;
}

export async function insertNewCase(db: Db, c: NewCase): Promise<NewCaseResult> {
  const w = c.write;
  const now = c.now;
  const caseCte = sql`insert into cases (id, project_id, case_type, name, owner_id, external_id, properties, phone_number, created_at, updated_at)
    values (${c.id}::uuid, ${c.projectId}::uuid, ${w.caseType}::text, ${w.name}::text, ${w.ownerId}::text, ${w.externalId}::text,
            ${JSON.stringify(w.properties)}::jsonb, ${w.phoneNumber}::text, ${now}::timestamptz, ${now}::timestamptz)
    returning ${columnList(CASE_COLUMNS)}`;
  const e = c.consent;
  const consentCte = e
    ? sql`, ev as (insert into consent_events (number, email, project_id, contact_type, contact_id, action, method, source, gateway_id, gateway_name)
        select ${e.number}::text, ${e.email}::text, c.project_id, ${e.contactType}::text, c.id, ${e.action}::text, ${e.method}::text,
               ${JSON.stringify(e.source)}::jsonb, ${e.gatewayId}::uuid, ${e.gatewayName}::text from c)`
    : sql``;
  if (!c.entry) {
    const rows = await runPrepared(db, sql<CaseRow & { entry_state: null }>`with c as (${caseCte}) ${consentCte} select ${columnList(CASE_COLUMNS, 'c')}, null as entry_state from c`.compile(db));
    return { record: caseRowToCase(one(rows)), entryState: null, contended: false };
  }
  const { number, wantsTwoWay } = c.entry;
  const columns = sql`(number, project_id, owner_type, owner_id, state, wants_two_way, wanted_at, verified_at, created_at, updated_at)`;
  const query = sql<CaseRow & { entry_state: EntryState }>`with c as (${caseCte}),
    l as (select pg_advisory_xact_lock(hashtextextended(${number}::text, 7218)) as locked from c),
    two as (
      insert into phone_entries ${columns}
      select ${number}::text, c.project_id, 'case', c.id, 'two-way', true, ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
      from c, l where ${wantsTwoWay}::boolean
      on conflict (number) where state in ('two-way', 'pending') do nothing
      returning state
    ),
    one_way as (
      insert into phone_entries ${columns}
      select ${number}::text, c.project_id, 'case', c.id, 'one-way', ${wantsTwoWay}::boolean,
             case when ${wantsTwoWay}::boolean then ${now}::timestamptz end, null, ${now}::timestamptz, ${now}::timestamptz
      from c, l where not exists (select 1 from two)
      returning state
    ) ${consentCte}
    select ${columnList(CASE_COLUMNS, 'c')}, coalesce((select state from two), (select state from one_way)) as entry_state from c`;
  const rows = await runPrepared(db, query.compile(db));
  const row = one(rows);
  return { record: caseRowToCase(row), entryState: row.entry_state, contended: wantsTwoWay && row.entry_state !== 'two-way' };
}

function one<T>(rows: readonly T[]): T {
  const row = rows[0];
  if (!row) {
    throw new Error('insertNewCase returned no row');
  }
  return row;
}
