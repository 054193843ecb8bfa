/**
 * @module store/migrations/0012-tester-messages — marks inbound messages typed into the SMS tester
 * (issue 23): they are tests, never a phone's own words, and the log says so.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table messages add column via_tester boolean not null default false`.execute(db);
}
