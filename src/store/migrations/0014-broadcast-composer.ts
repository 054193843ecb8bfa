/**
 * @module store/migrations/0014-broadcast-composer — the admin UI's broadcast composer (issue 24):
 * a scheduled broadcast can be cancelled (status `cancelled`, when and by whom), and a list of case
 * ids read from an uploaded file is kept by the server between the preview and the send (up to
 * 100,000 ids: too many for a form field), and cases keep the readings of their contact
 * properties the recipient count groups by (addContactReadings; this rewrites the cases table once).
 */
import { type Kysely, sql } from 'kysely';

import { JS_TRIM } from '../js-trim.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table broadcasts drop constraint if exists broadcasts_status_check`.execute(db);
  await sql`alter table broadcasts add constraint broadcasts_status_check check (status in ('pending', 'expanding', 'done', 'failed', 'cancelled'))`.execute(db);
  await sql`alter table broadcasts add column cancelled_at timestamptz`.execute(db);
  await sql`alter table broadcasts add column cancelled_by uuid`.execute(db);
  await sql`
    create table broadcast_recipient_lists (
      id uuid primary key default gen_random_uuid(),
      project_id uuid not null references projects (id) on delete cascade,
      file_name text not null,
      case_ids jsonb not null,
      created_by uuid,
      created_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index broadcast_recipient_lists_project_idx on broadcast_recipient_lists (project_id, created_at)`.execute(db);
  await addContactReadings(db);
}


/**
 * What the send checks read from a case's properties, kept beside them by PostgreSQL (generated
 * columns: every write computes them, nothing in the code writes them): the broadcast composer
 * counts a million cases by these narrow columns in one parallel GROUP BY instead of reading each
 * case's JSON (store/broadcast-preview.store.ts). The same readings as domain/case-contact.ts:
 * language_code trimmed and lower-cased, contact_backend_id trimmed and upper-cased (null when
 * blank), consent when contact_phone_number_is_verified is 1 or true, and a phone property that is
 * missing, blank or "0" (no number, as opposed to an invalid one); and the number's first five
 * characters (+1 and the area code), which tell whether it may need consent, in few values.
 */
export async function addContactReadings(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `alter table cases
        add column prop_language text generated always as (nullif(lower(btrim(properties ->> 'language_code', ${JS_TRIM})), '')) stored,
        add column prop_gateway text generated always as (nullif(upper(btrim(properties ->> 'contact_backend_id', ${JS_TRIM})), '')) stored,
        add column prop_consent boolean generated always as (coalesce(lower(btrim(properties ->> 'contact_phone_number_is_verified', ${JS_TRIM})), '') in ('1', 'true')) stored,
        add column prop_phone_blank boolean generated always as (coalesce(btrim(properties ->> 'contact_phone_number', ${JS_TRIM}), '') in ('', '0')) stored,
        add column phone_prefix text generated always as (left(phone_number, 5)) stored`,
    )
    .execute(db);
}
