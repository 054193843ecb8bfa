/**
 * @module store/table-maintenance.store — which tables need VACUUM or ANALYZE, and running them.
 *
 * PGlite runs PostgreSQL as one embedded backend without the autovacuum daemon: without this, its
 * tables are never analyzed (the planner keeps guessing their contents) and dead rows left by
 * updates and deletes (messages changing status, jobs finishing) are never reclaimed. The
 * thresholds are autovacuum's defaults: ANALYZE once more than 50 + 10% of a table's rows changed
 * since the last one, VACUUM once more than 50 + 20% of them are dead. The counters come from
 * pg_stat_user_tables, which PGlite keeps like PostgreSQL does.
 */
import { sql } from 'kysely';

import type { Db } from './database.ts';

export interface TableDue {
  schema: string;
  table: string;
  vacuum: boolean;
  analyze: boolean;
}

/** Tables past autovacuum's thresholds, the most changed first. */
export async function tablesDueForMaintenance(db: Db): Promise<TableDue[]> {
  const { rows } = await sql<{ schema: string; table: string; vacuum: boolean; analyze: boolean }>`
    select schemaname as schema, relname as table,
           n_dead_tup > 50 + 0.2 * n_live_tup as vacuum,
           n_mod_since_analyze > 50 + 0.1 * n_live_tup as analyze
      from pg_stat_user_tables
     where n_dead_tup > 50 + 0.2 * n_live_tup or n_mod_since_analyze > 50 + 0.1 * n_live_tup
     order by n_dead_tup + n_mod_since_analyze desc`.execute(db);
  return rows;
}

/**
 * The statistics target of maintenance's ANALYZE: 10 instead of PostgreSQL's 100 samples 3,000
 * rows instead of 30,000. On the embedded database ANALYZE runs on the thread that answers
 * requests: at 20,000 cases it took 75–85 ms at 100 (a pause every request waits through) and
 * 14–16 ms at 10 (measured from 5,000 to 25,000 cases). Ten most-common values and a ten-bucket histogram per column are
 * enough for Rollcall's plans (equality on ids, project, status and type).
 */
export const MAINTENANCE_STATISTICS_TARGET = 10;

/** VACUUM (ANALYZE) or ANALYZE one table (names come from the catalogue, quoted as identifiers). */
export async function maintainTable(db: Db, t: TableDue): Promise<void> {
  const name = sql.id(t.schema, t.table);
  // One connection for the setting and the statement (VACUUM cannot run inside a transaction).
  await db.connection().execute(async (conn) => {
    await sql`set default_statistics_target = ${sql.lit(MAINTENANCE_STATISTICS_TARGET)}`.execute(conn);
    try {
      if (t.vacuum) {
        await sql`vacuum (analyze) ${name}`.execute(conn);
      } else {
        await sql`analyze ${name}`.execute(conn);
      }
    } finally {
      await sql`reset default_statistics_target`.execute(conn);
    }
  });
}
