/**
 * @module store/migrations/0008-import-error-code — a failed import keeps the catalogue code of
 * what stopped it beside the description (`imports.error`), as every other failure does. Imports
 * that failed before this migration get INTERNAL_ERROR: what stopped them is in their description.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table imports add column error_code text;
    update imports set error_code = 'INTERNAL_ERROR' where status = 'failed';
  `.execute(db);
}
