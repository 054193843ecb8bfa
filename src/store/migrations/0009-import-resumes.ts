/**
 * @module store/migrations/0009-import-resumes — how many times in a row an import was taken over
 * at the same cursor (`stalled_resumes`, with the cursor of the last take-over in
 * `resumed_at_cursor`). An import whose runner dies at the same row again and again (a file that
 * exhausts the memory of every process that runs it) is failed after a few take-overs instead of
 * crashing each new runner for ever.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table imports add column stalled_resumes integer not null default 0;
    alter table imports add column resumed_at_cursor integer;
  `.execute(db);
}
