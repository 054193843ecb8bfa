/**
 * @module store/migrations/0017-message-to-index — outbound messages by the number they went to
 * (issue 24): the SMS tester's thread and a number's conversation reload every 2 s while open, and
 * read the messages to a number (this index) and from it (messages_from_idx of 0003) newest first,
 * instead of scanning the table. The message log's text search stays a bounded scan of the newest
 * messages (store/message.store.ts SEARCH_WINDOW): PGlite has no pg_trgm for an ILIKE index.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index messages_to_idx on messages (to_address, seq) where direction = 'out'`.execute(db);
}
