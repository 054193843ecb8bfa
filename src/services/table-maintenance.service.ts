/**
 * @module services/table-maintenance.service — the embedded database's stand-in for autovacuum
 * (store/table-maintenance.store.ts says why). PostgreSQL servers run their own autovacuum, so this
 * runs only on the embedded database, from the polling loop main.ts starts.
 */
import type { Db } from '../store/database.ts';
import { maintainTable, tablesDueForMaintenance } from '../store/table-maintenance.store.ts';

export interface MaintenanceStep {
  vacuumed: string[];
  analyzed: string[];
}

/** Vacuums and analyzes every table past its threshold, one statement per table. */
export async function maintainTables(db: Db): Promise<MaintenanceStep> {
  const step: MaintenanceStep = { vacuumed: [], analyzed: [] };
  for (const t of await tablesDueForMaintenance(db)) {
    await maintainTable(db, t);
    (t.vacuum ? step.vacuumed : step.analyzed).push(`${t.schema}.${t.table}`);
  }
  return step;
}
