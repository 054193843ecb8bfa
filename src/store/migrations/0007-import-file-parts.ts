/**
 * @module store/migrations/0007-import-file-parts — the kept upload of an import moves from one
 * bytea value on the import row into parts of 512 KiB (FILE_PART_BYTES), one row each. On the embedded database
 * a statement runs on the server's only thread: writing or reading a 14 MiB value in one statement
 * held that thread for about a second, while one part takes a few tens of milliseconds and the
 * server answers requests between parts.
 *
 * The parts are written one statement each before their import row (a transaction around them
 * would hold the one embedded connection for the whole upload), so import_id has no foreign key:
 * parts whose import row never came (a server stopped mid-upload) are deleted by the next upload
 * to the project (store/import.store.ts), and the project's deletion removes them all. Parts are
 * stored uncompressed: spreadsheets are zip files already, and compressing cost most of the second.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table import_file_parts (
      import_id uuid not null,
      part integer not null check (part >= 0),
      project_id uuid not null references projects (id) on delete cascade,
      bytes bytea not null,
      created_at timestamptz not null default now(),
      primary key (import_id, part)
    );
    alter table import_file_parts alter column bytes set storage external;
    create index import_file_parts_project_idx on import_file_parts (project_id, created_at);
    insert into import_file_parts (import_id, part, project_id, bytes) select id, 0, project_id, file_bytes from imports;
    alter table imports drop column file_bytes;
  `.execute(db);
}
