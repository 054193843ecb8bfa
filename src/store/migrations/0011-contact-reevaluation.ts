/**
 * @module store/migrations/0011-contact-reevaluation — per project, the latest re-check of its
 * cases' numbers after a change of `phoneValidation` or `defaultCountry` (issue 22): which settings
 * it applies, how far it got (`cursor`: the seq of the last case re-checked, committed with each
 * chunk; `last_seq`: the newest case when it started) and when it started and finished. One row per
 * project: a newer change replaces the row (a new `id`), and the job of the older one, which looks
 * its row up by id, stops at its next chunk.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table contact_reevaluations (
      project_id uuid primary key references projects (id) on delete cascade,
      id uuid not null unique,
      status text not null check (status in ('running', 'done', 'failed')),
      settings jsonb not null,
      done integer not null default 0,
      total integer not null,
      cursor bigint,
      last_seq bigint,
      error text,
      error_code text,
      started_at timestamptz not null,
      finished_at timestamptz,
      updated_at timestamptz not null
    );
  `.execute(db);
}
