/**
 * @module store/migrations/0015-contacts-list — indexes for the contacts list's filters and sorts
 * (issue 24): the owner, the created date, the name order, and the opted-out numbers (a small
 * partial index the "opted out" filter starts from). The newest-first order and the case type use
 * the indexes of 0001 (project_id, seq) and (project_id, case_type, seq), read backwards.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index cases_project_owner_seq_idx on cases (project_id, owner_id, seq) where deleted_at is null and owner_id is not null;
    create index cases_project_created_idx on cases (project_id, created_at, seq) where deleted_at is null;
    create index cases_project_name_idx on cases (project_id, name, seq) where deleted_at is null;
    create index opt_outs_opted_out_idx on opt_outs (number) where opted_out;
  `.execute(db);
}
