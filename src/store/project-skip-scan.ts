/**
 * @module store/project-skip-scan — the projects that have rows waiting in a queue table, listed
 * with a skip scan of the table's project-led partial index (one probe per project, however many
 * rows each holds), then, when `due` is given, one `LATERAL … LIMIT 1` probe per project for a row
 * that is due. As EXISTS the planner made that probe a semi-join over every due row: 155 ms at
 * 1,000,000 queued messages, against 1.2–1.7 ms this way (bench/notes.md, "Queues by project").
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
  /** Of a project's waiting rows, one that is due (`q.due_at <= …`): the project is listed only if it has one. */
  due?: RawBuilder<unknown>;
}

/** A query whose rows are `{ project_id }`, one per project, in project order. */
export function projectsWaiting(scan: SkipScan): RawBuilder<{ project_id: string }> {
  const table = sql.table(scan.table);
  const and = (extra: RawBuilder<unknown>) => (scan.waiting ? sql`${scan.waiting} and ${extra}` : extra);
  const first = scan.waiting ? sql`where ${scan.waiting}` : sql``;
  const dueProbe = scan.due
    ? sql`cross join lateral (select 1 from ${table} q where ${and(sql`q.project_id = w.project_id and ${scan.due}`)} limit 1) due`
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
