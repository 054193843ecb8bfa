/**
 * @module store/migrations/0005-imports — spreadsheet imports: the uploaded file is kept (so a run
 * can be resumed after a crash by parsing it again), with the run's options, its cursor and counts
 * (committed with each chunk), and one row per problem found, by spreadsheet row and column.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table imports (
      id uuid primary key default gen_random_uuid(),
      seq bigint generated always as identity unique,
      project_id uuid not null references projects (id) on delete cascade,
      file_name text not null,
      file_type text not null check (file_type in ('xlsx', 'xls', 'csv')),
      file_bytes bytea not null,
      sheet text,
      has_headers boolean not null,
      columns jsonb not null,
      row_count integer not null,
      -- The first rows, for the mapping step (the file is parsed again only to run).
      sample jsonb not null default '[]',
      options jsonb,
      status text not null default 'uploaded' check (status in ('uploaded', 'running', 'done', 'failed')),
      cursor integer not null default 0,
      created integer not null default 0,
      updated integer not null default 0,
      skipped integer not null default 0,
      failed integer not null default 0,
      error text,
      created_by uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    create index imports_project_seq_idx on imports (project_id, seq);

    -- One row per problem: appended chunk by chunk in the chunk's transaction.
    create table import_errors (
      id bigint generated always as identity primary key,
      import_id uuid not null references imports (id) on delete cascade,
      row_number integer not null,
      column_name text,
      code text not null,
      message text not null
    );
    create index import_errors_import_idx on import_errors (import_id, row_number, id);
  `.execute(db);
}
