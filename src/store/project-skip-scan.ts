/**
 * @module store/project-skip-scan — the projects that have rows waiting in a queue table, listed
 * with a skip scan of the table's project-led partial index (one probe per project, however many
 * rows each holds), then, when `dueBy` is given, one probe per project for its earliest row due by
 * then: `LATERAL (… ORDER BY q.due_at LIMIT 1)`, a descent of the (project_id, due_at) index.
 * Both halves of that are needed (bench/queue-listing.bench.ts, bench/notes.md "Inbound
 * arrivals"): as EXISTS the planner made the probe a semi-join over every due row (155 ms at
 * 1,000,000 queued); without the ORDER BY it chose a sequential scan, expecting a due row early,
 * which read the whole table for each small project behind a big one (74 ms warm, seconds cold,
 * at 1,000,000 queued and 21 projects; 0.7 ms with it).
 *
 * The queue claims (services/project-rotation.ts) list their projects with it: dispatch
 * (`messages`), reminder sends (`reminder_occurrences`) and reminder evaluation
 * (`reminder_dirty_cases`). Conditions refer to the table as `q`; they are code, never input.
 */
import { type RawBuilder, sql } from 'kysely';

export interface SkipScan {
  /** The queue table (its project-led index must match `waiting`). */
  table: 'messages' | 'reminder_occurrences' | 'reminder_dirty_cases';
  /** The rows that wait, as the partial index's predicate (`q.status = 'scheduled'`), or null for every row. */
  waiting: RawBuilder<unknown> | null;
  /** The project is listed only if one of its waiting rows has `due_at` at or before this. */
  dueBy?: RawBuilder<unknown>;
}

/** A query whose rows are `{ project_id }`, one per project, in project order. */
export function projectsWaiting(scan: SkipScan): RawBuilder<{ project_id: string }> {
  const table = sql.table(scan.table);
  const and = (extra: RawBuilder<unknown>) => (scan.waiting ? sql`${scan.waiting} and ${extra}` : extra);
  const first = scan.waiting ? sql`where ${scan.waiting}` : sql``;
  const dueProbe = scan.dueBy
    ? sql`cross join lateral (select q.due_at from ${table} q where ${and(sql`q.project_id = w.project_id and q.due_at <= ${scan.dueBy}`)} order by q.due_at limit 1) due`
    : sql``;
  return sql<{ project_id: string }>`
    with recursive waiting(project_id) as (
      (select q.project_id from ${table} q ${first} order by q.project_id limit 1)
      union all
      select (select q.project_id from ${table} q where ${and(sql`q.project_id > w.project_id`)} order by q.project_id limit 1)
        from waiting w where w.project_id is not null
    )
    select w.project_id from waiting w ${dueProbe} where w.project_id is not null`;
}
