/**
 * @module store/migrations/0019-contact-problem-indexes — the contacts list's "has problems" filter
 * and name search without reading every case (issue 24: 1.4 s and 1.6 s at 1,000,000 cases).
 *
 * "Has problems" is read as five small sets, each by an index-only scan, instead of the JSON of
 * every case (store/case.store.ts problemCaseIds):
 * - an invalid number: no normalised number although the phone property is not blank;
 * - an email property that is not an address (a generated column, as domain/email.ts checks);
 * - a time zone or a language the runtime or the project does not know: the distinct values in
 *   use are read by skipping through these indexes, judged in JavaScript as the case view judges
 *   them, and only the cases holding a bad one are read (the time zone as a generated column,
 *   like migration 0014's language: an expression index cannot serve an index-only scan);
 * - a number that wants replies but does not get them (PHONE_NUMBER_IN_USE): its registry entry.
 *
 * "Opted out" counts its cases from the opted-out numbers by an index-only probe per number
 * (cases_live_phone_idx; 0001's phone index holds deleted cases too, so each probe read the table).
 *
 * The two generated columns rewrite the cases table once, as 0014 did (about 30 s at 1,000,000
 * cases on this machine; the table is locked meanwhile: run the upgrade in a quiet hour).
 *
 * Name search ("part of a name", ILIKE '%…%') uses a trigram index where PostgreSQL has pg_trgm
 * (a trusted extension since PostgreSQL 13); PGlite has none loaded, and 100,000 cases are read
 * within the target there without it.
 */
import { type Kysely, sql } from 'kysely';

import { EMAIL_PATTERN } from '../../domain/email.ts';
import { JS_TRIM } from '../js-trim.ts';

const EMAIL = `btrim(properties ->> 'commcare_email_address', ${JS_TRIM})`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const pattern = `'${EMAIL_PATTERN.replaceAll("'", "''")}'`;
  await sql
    .raw(
      `alter table cases
         add column prop_time_zone text generated always as (nullif(lower(btrim(properties ->> 'time_zone', ${JS_TRIM})), '')) stored,
         add column prop_email_problem boolean generated always as (coalesce(${EMAIL} <> '' and (length(${EMAIL}) > 254 or ${EMAIL} !~ ${pattern} or position('..' in ${EMAIL}) > 0), false)) stored;
       create index cases_invalid_phone_idx on cases (project_id, id) where deleted_at is null and phone_number is null and not prop_phone_blank;
       create index cases_email_problem_idx on cases (project_id, id) where deleted_at is null and prop_email_problem;
       create index cases_time_zone_idx on cases (project_id, prop_time_zone, id) where deleted_at is null and prop_time_zone is not null;
       create index cases_language_idx on cases (project_id, prop_language, id) where deleted_at is null and prop_language is not null;
       create index cases_live_phone_idx on cases (project_id, phone_number) where deleted_at is null and phone_number is not null;
       create index phone_entries_unanswered_idx on phone_entries (project_id, owner_id) where owner_type = 'case' and wants_two_way and state <> 'two-way';`,
    )
    .execute(db);
  await sql`
    do $$
    begin
      begin
        create extension if not exists pg_trgm;
      exception when others then
        null;
      end;
      if exists (select 1 from pg_extension where extname = 'pg_trgm') then
        execute 'create index cases_name_trgm_idx on cases using gin (name gin_trgm_ops) where deleted_at is null';
      end if;
    end
    $$`.execute(db);
}
