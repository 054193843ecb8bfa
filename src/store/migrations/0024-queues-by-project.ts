/**
 * @module store/migrations/0024-queues-by-project — every queue claim names its project
 * (services/project-rotation.ts; docs/scaling.md, "What crosses shards"), so the queues' indexes
 * lead with the project: a claim walks one project's due rows in due order, and the listing of
 * projects with work waiting is a skip scan of the same index (one probe per project).
 *
 * - messages: (project_id, due_at) of queued and scheduled rows replaces (due_at).
 * - reminder_occurrences: (project_id, due_at) of scheduled rows replaces (due_at).
 * - reminder_dirty_cases: (project_id, marked_at).
 *
 * On a large install the message index is built on every month's partition under a lock that
 * holds dispatch for its duration (docs/operations.md, upgrade notes).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index messages_project_due_idx on messages (project_id, due_at) where status in ('queued', 'scheduled');
    drop index messages_due_idx;
    create index reminder_occurrences_project_due_idx on reminder_occurrences (project_id, due_at) where status = 'scheduled';
    drop index reminder_occurrences_due_idx;
    create index reminder_dirty_cases_project_idx on reminder_dirty_cases (project_id, marked_at);
  `.execute(db);
}
