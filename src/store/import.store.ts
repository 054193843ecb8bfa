/**
 * @module store/import.store — spreadsheet imports (the kept file, the run's options, cursor and
 * counts) and their problems by spreadsheet row and column.
 */
import { type Selectable, sql } from 'kysely';

import type { Db, ImportTable, Trx } from './database.ts';

export type ImportStatus = 'uploaded' | 'running' | 'done' | 'failed';
export type ImportFileType = 'xlsx' | 'xls' | 'csv';

export interface ImportRecord {
  id: string;
  seq: string;
  projectId: string;
  fileName: string;
  fileType: ImportFileType;
  sheet: string | null;
  hasHeaders: boolean;
  columns: string[];
  rowCount: number;
  sample: string[][];
  options: Record<string, unknown> | null;
  status: ImportStatus;
  cursor: number;
  counts: { created: number; updated: number; skipped: number; failed: number };
  error: string | null;
  errorCode: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ImportProblem {
  row: number;
  column: string | null;
  code: string;
  message: string;
}

type Row = Pick<Selectable<ImportTable>, (typeof COLUMNS)[number]>;

function rowToImport(row: Row): ImportRecord {
  return {
    id: row.id,
    seq: String(row.seq),
    projectId: row.project_id,
    fileName: row.file_name,
    fileType: row.file_type,
    sheet: row.sheet,
    hasHeaders: row.has_headers,
    columns: row.columns,
    rowCount: row.row_count,
    sample: row.sample,
    options: row.options,
    status: row.status,
    cursor: row.cursor,
    counts: { created: row.created, updated: row.updated, skipped: row.skipped, failed: row.failed },
    error: row.error,
    errorCode: row.error_code,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

const COLUMNS = [
  'id',
  'seq',
  'project_id',
  'file_name',
  'file_type',
  'sheet',
  'has_headers',
  'columns',
  'row_count',
  'sample',
  'options',
  'status',
  'cursor',
  'created',
  'updated',
  'skipped',
  'failed',
  'error',
  'error_code',
  'created_by',
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
] as const;

export interface NewImport {
  fileName: string;
  fileType: ImportFileType;
  sheet: string | null;
  hasHeaders: boolean;
  columns: string[];
  rowCount: number;
  sample: string[][];
  createdBy: string | null;
}

/** The import row, once its file is in (insertImportFilePart with the same id). */
export async function insertImport(db: Db | Trx, projectId: string, id: string, i: NewImport): Promise<ImportRecord> {
  const row = await db
    .insertInto('imports')
    .values({
      id,
      project_id: projectId,
      file_name: i.fileName,
      file_type: i.fileType,
      sheet: i.sheet,
      has_headers: i.hasHeaders,
      columns: JSON.stringify(i.columns),
      row_count: i.rowCount,
      sample: JSON.stringify(i.sample),
      options: JSON.stringify(null),
      status: 'uploaded',
      error: null,
      created_by: i.createdBy,
      started_at: null,
      finished_at: null,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return rowToImport(row);
}

/** An import of the project (any project when projectId is null). */
export async function findImport(db: Db | Trx, projectId: string | null, id: string): Promise<ImportRecord | null> {
  let q = db.selectFrom('imports').select(COLUMNS).where('id', '=', id);
  if (projectId !== null) {
    q = q.where('project_id', '=', projectId);
  }
  const row = await q.executeTakeFirst();
  return row ? rowToImport(row) : null;
}

/** One part of an import's kept file (parts are numbered from 0, in file order). */
export async function insertImportFilePart(db: Db | Trx, projectId: string, importId: string, part: number, bytes: Buffer): Promise<void> {
  await db.insertInto('import_file_parts').values({ import_id: importId, part, project_id: projectId, bytes }).execute();
}

/** Deletes the parts of one file (an upload that failed after some of its parts were written). */
export async function deleteImportFileParts(db: Db | Trx, importId: string): Promise<void> {
  await db.deleteFrom('import_file_parts').where('import_id', '=', importId).execute();
}

/** Deletes the project's parts older than `before` that belong to no import (uploads cut short). */
export async function deleteOrphanFileParts(db: Db | Trx, projectId: string, before: Date): Promise<number> {
  const r = await db
    .deleteFrom('import_file_parts')
    .where('project_id', '=', projectId)
    .where('created_at', '<', before)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('imports').select('imports.id').whereRef('imports.id', '=', 'import_file_parts.import_id'))))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** One part of an import's kept file; null after the last one (or when the file is gone). */
export async function findImportFilePart(db: Db | Trx, importId: string, part: number): Promise<Buffer | null> {
  const row = await db.selectFrom('import_file_parts').select('bytes').where('import_id', '=', importId).where('part', '=', part).executeTakeFirst();
  return row ? Buffer.from(row.bytes) : null;
}

/** Newest first. */
export async function listImports(db: Db, projectId: string, q: { beforeSeq?: string | undefined; limit: number }): Promise<ImportRecord[]> {
  let query = db.selectFrom('imports').select(COLUMNS).where('project_id', '=', projectId);
  if (q.beforeSeq !== undefined) {
    query = query.where('seq', '<', q.beforeSeq);
  }
  const rows = await query.orderBy('seq', 'desc').limit(q.limit).execute();
  return rows.map(rowToImport);
}

/** Moves an uploaded import to running with its options; null when it is not `uploaded` any more. */
export async function startImport(trx: Trx, id: string, options: Record<string, unknown>, now: Date): Promise<ImportRecord | null> {
  const row = await trx
    .updateTable('imports')
    .set({ status: 'running', options: JSON.stringify(options), cursor: 0, started_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'uploaded')
    .returning(COLUMNS)
    .executeTakeFirst();
  return row ? rowToImport(row) : null;
}

/** Locks the import for one chunk: a second runner of the same job waits, then sees the new cursor. */
export async function lockImport(trx: Trx, id: string): Promise<ImportRecord | null> {
  const row = await trx.selectFrom('imports').select(COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? rowToImport(row) : null;
}

export interface ChunkOutcome {
  cursor: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  done: boolean;
}

export async function advanceImport(trx: Trx, id: string, c: ChunkOutcome, now: Date): Promise<void> {
  await trx
    .updateTable('imports')
    .set({
      cursor: c.cursor,
      created: sql`created + ${c.created}`,
      updated: sql`updated + ${c.updated}`,
      skipped: sql`skipped + ${c.skipped}`,
      failed: sql`failed + ${c.failed}`,
      status: c.done ? 'done' : 'running',
      updated_at: now,
      ...(c.done ? { finished_at: now } : {}),
    })
    .where('id', '=', id)
    .execute();
}

export async function failImport(db: Db | Trx, id: string, code: string, error: string, now: Date): Promise<void> {
  await db.updateTable('imports').set({ status: 'failed', error, error_code: code, updated_at: now, finished_at: now }).where('id', '=', id).where('status', '=', 'running').execute();
}

export async function insertImportErrors(trx: Trx, importId: string, problems: readonly ImportProblem[]): Promise<void> {
  // In slices, to stay well under the bind-parameter limit of one statement.
  for (let i = 0; i < problems.length; i += 1000) {
    await trx
      .insertInto('import_errors')
      .values(problems.slice(i, i + 1000).map((p) => ({ import_id: importId, row_number: p.row, column_name: p.column, code: p.code, message: p.message })))
      .execute();
  }
}

/** Problems by row (then as found); `limit` caps the list (Default: all). */
export async function listImportErrors(db: Db | Trx, importId: string, limit?: number): Promise<ImportProblem[]> {
  let q = db.selectFrom('import_errors').select(['row_number', 'column_name', 'code', 'message']).where('import_id', '=', importId).orderBy('row_number').orderBy('id');
  if (limit !== undefined) {
    q = q.limit(limit);
  }
  const rows = await q.execute();
  return rows.map((r) => ({ row: r.row_number, column: r.column_name, code: r.code, message: r.message }));
}

export async function countImportErrors(db: Db | Trx, importId: string): Promise<number> {
  const row = await db.selectFrom('import_errors').select((eb) => eb.fn.countAll<string>().as('n')).where('import_id', '=', importId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A running import taken over by claimStalledImports. */
export interface ClaimedImport {
  id: string;
  /** The first row not yet committed: where the new runner starts. */
  cursor: number;
  rowCount: number;
  /** Take-overs in a row at this cursor, this one included (1 when the last runner got further). */
  stalledResumes: number;
}

/**
 * Running imports whose runner made no progress since `staleBefore` and that have no job waiting in
 * the queue: their runner died (kill -9, power loss) and left its pg-boss job `active` until it
 * expires. Each one returned is touched (`updated_at = now`), so of several processes sweeping at
 * once only one takes it over, and not again before another lease has passed. The claim also
 * counts take-overs at the same cursor (`stalled_resumes`; back to 1 once a runner got further).
 */
export async function claimStalledImports(trx: Trx, staleBefore: Date, now: Date): Promise<ClaimedImport[]> {
  const rows = await sql<{ id: string; cursor: number; row_count: number; stalled_resumes: number }>`
    update imports set
      updated_at = ${now},
      stalled_resumes = case when resumed_at_cursor = cursor then stalled_resumes + 1 else 1 end,
      resumed_at_cursor = cursor
    where id in (
      select i.id from imports i
      where i.status = 'running' and i.updated_at <= ${staleBefore}
        and not exists (
          select 1 from pgboss.job j
          where j.name = 'import-run' and j.state in ('created', 'retry') and j.data->>'importId' = i.id::text
        )
      order by i.updated_at
      limit 100
      for update skip locked
    )
    returning id, cursor, row_count, stalled_resumes`.execute(trx);
  return rows.rows.map((r) => ({ id: r.id, cursor: r.cursor, rowCount: r.row_count, stalledResumes: r.stalled_resumes }));
}

/**
 * Keeps what the admin chose in the wizard (migration 0018) on an import not yet run; the caller
 * gives it checked and small. Written with SQL of its own: the column is not in the typed table.
 */
export async function saveImportDraft(db: Db | Trx, projectId: string, id: string, draft: Record<string, unknown>): Promise<void> {
  await sql`update imports set draft = ${JSON.stringify(draft)}::jsonb where id = ${id} and project_id = ${projectId} and status = 'uploaded'`.execute(db);
}

/** The wizard's draft of an import of the project, as stored (null: none yet). */
export async function findImportDraft(db: Db | Trx, projectId: string, id: string): Promise<unknown> {
  const r = await sql<{ draft: unknown }>`select draft from imports where id = ${id} and project_id = ${projectId}`.execute(db);
  const raw = r.rows[0]?.draft ?? null;
  if (typeof raw === 'string') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return null;
    }
  }
  return raw;
}
