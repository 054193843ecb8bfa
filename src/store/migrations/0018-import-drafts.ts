/**
 * @module store/migrations/0018-import-drafts — what the admin chose in the import wizard before
 * running it (issue 24): the mapping, case type, match settings and whether yes/no words are read as
 * consent, kept on the import when it is dry-run so leaving the page and coming back loses nothing.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table imports add column draft jsonb`.execute(db);
}
