/**
 * @module services/imports.service — bulk registration from a spreadsheet (issue 6): upload (parse
 * and keep the file), dry run, run as a background job (`import-run`) in chunks, progress and results.
 * Each chunk's rows, its problems and the import's cursor and counts commit together, so a crash
 * resumes at the first row not committed and never applies part of a chunk. The job parses the kept
 * file again when it starts, so nothing but the file needs to survive a restart.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

import { z } from 'zod';

import { CONTACT_PROPERTIES } from '../domain/case-contact.ts';
import { CASE_FIELDS, checkConsentColumn, type ConsentColumnReport, type ImportTarget, type MatchBy, PROPERTY_KEY, type RowProblem, WORKER_FIELDS } from '../domain/import-row.ts';
import type { Project } from '../domain/project.ts';
import { AppError, coerceError, errorCatalogue } from '../errors.ts';
import {
  advanceImport,
  claimStalledImports,
  countImportErrors,
  failImport,
  findImport,
  findImportDraft,
  type ImportRecord,
  type ImportStatus,
  insertImport,
  insertImportErrors,
  listImportErrors,
  listImports,
  lockImport,
  saveImportDraft,
  startImport,
} from '../store/import.store.ts';
import { findProjectById } from '../store/project.store.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { capSample, type FileWant, type ParsedFile, readImportFileOffThread } from './import-file.ts';
import { keepImportFile, readKeptImportFile } from './import-kept-file.ts';
import { suggestMapping } from './import-mapping.ts';
import { applyChunk, type ChunkResult, type Drafts, type DryRunReport, dryRunDrafts, type ImportRunOptions, rowNumberAt } from './import-rows.service.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';

export type { ImportRunOptions } from './import-rows.service.ts';

/** Errors listed in an import view (all of them are in the annotated file) (Default: 1000). */
export const VIEW_ERRORS = 1000;

export interface ImportView {
  id: string;
  fileName: string;
  fileType: string;
  sheet: string | null;
  hasHeaders: boolean;
  columns: string[];
  rowCount: number;
  /** The first rows of data, as text. */
  sample: string[][];
  status: ImportStatus;
  options: ImportRunOptions | null;
  progress: { done: number; total: number };
  result: { created: number; updated: number; skipped: number; failed: number; errors: RowProblem[]; errorCount: number };
  /** A failed import: what stopped it, in words, and its catalogue code. */
  error: string | null;
  errorCode: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface UploadView extends ImportView {
  sheets: string[];
  suggestedMapping: Record<string, string>;
  /** Column → why it is suggested so ("'Mobile' looks like a phone number column…"). */
  suggestionExplanations: Record<string, string>;
  suggestedMatchBy: MatchBy;
  suggestedMatchColumn: string | null;
  /** For `target: "mobile-workers"`. */
  suggestedWorkerMapping: Record<string, string>;
  suggestedWorkerExplanations: Record<string, string>;
}

export interface DryRunView extends Omit<ImportView, 'result'> {
  dryRun: true;
  result: DryRunReport['counts'] & { errors: RowProblem[]; errorCount: number };
  normalisations: DryRunReport['normalisations'];
  normalisationCount: number;
  duplicates: DryRunReport['duplicates'];
  twoWayElsewhere: DryRunReport['twoWayElsewhere'];
  invalidNumbers: DryRunReport['invalidNumbers'];
  invalidNumberCount: number;
  /** What would go wrong for every row, shown first (issue 24). */
  warnings: {
    /** No column gives a phone number or an email, and new records may be made: the message, else null. */
    noContact: string | null;
    /** The consent column's values other than 1/0/true/false (null: none, or no consent column). */
    consent: ConsentColumnReport | null;
  };
}

async function toView(deps: ServiceDeps, i: ImportRecord, withErrors = true): Promise<ImportView> {
  const errors = withErrors && i.status !== 'uploaded' ? ((await listImportErrors(deps.db, i.id, VIEW_ERRORS)) as RowProblem[]) : [];
  const errorCount = withErrors && errors.length === VIEW_ERRORS ? await countImportErrors(deps.db, i.id) : errors.length;
  return {
    id: i.id,
    fileName: i.fileName,
    fileType: i.fileType,
    sheet: i.sheet,
    hasHeaders: i.hasHeaders,
    columns: i.columns,
    rowCount: i.rowCount,
    // Capped again when shown: imports stored before the cap (issue 23) may hold whole cells.
    sample: capSample(i.sample),
    status: i.status,
    options: i.options as ImportRunOptions | null,
    progress: { done: i.cursor, total: i.rowCount },
    result: { ...i.counts, errors, errorCount },
    error: i.error,
    errorCode: i.errorCode,
    createdAt: i.createdAt.toISOString(),
    startedAt: i.startedAt?.toISOString() ?? null,
    finishedAt: i.finishedAt?.toISOString() ?? null,
  };
}

export interface UploadInput {
  fileName: string;
  bytes: Buffer;
  hasHeaders: boolean;
  sheet?: string | null | undefined;
}

/** Parses and keeps an uploaded file; refuses it with an IMPORT_* code (nothing is stored then). */
export async function uploadImport(deps: ServiceDeps, project: Project, createdBy: string | null, input: UploadInput): Promise<UploadView> {
  // Only the summary crosses from the parser's thread: the rows are read again by a run, drafted there.
  const { summary: parsed } = await readImportFileOffThread(input.fileName, input.bytes, { hasHeaders: input.hasHeaders, sheet: input.sheet, maxBytes: deps.imports.maxBytes }, { kind: 'summary' });
  const record = await keepImportFile(deps.db, project.id, input.bytes, deps.clock(), (importId) =>
    insertImport(deps.db, project.id, importId, {
      fileName: parsed.fileName,
      fileType: parsed.fileType,
      sheet: parsed.sheet,
      hasHeaders: input.hasHeaders,
      columns: parsed.columns,
      rowCount: parsed.rowCount,
      sample: parsed.sample,
      createdBy,
    }),
  );
  const suggestion = suggestMapping(parsed.columns, { target: 'cases', languages: project.languages });
  const workers = suggestMapping(parsed.columns, { target: 'mobile-workers', languages: project.languages });
  return {
    ...(await toView(deps, record)),
    sheets: parsed.sheets,
    suggestedMapping: suggestion.mapping,
    suggestionExplanations: suggestion.explanations,
    suggestedMatchBy: suggestion.matchBy,
    suggestedMatchColumn: suggestion.matchColumn,
    suggestedWorkerMapping: workers.mapping,
    suggestedWorkerExplanations: workers.explanations,
  };
}

async function requireImport(deps: ServiceDeps, project: Project, id: string): Promise<ImportRecord> {
  const i = isUuid(id) ? await findImport(deps.db, project.id, id) : null;
  if (!i) {
    throw new AppError('NOT_FOUND', 'No such import in this project.');
  }
  return i;
}

export async function getImport(deps: ServiceDeps, project: Project, id: string): Promise<ImportView> {
  return toView(deps, await requireImport(deps, project, id));
}

/** Import history, newest first (errors are left out of the list; GET one import for them). */
export async function listProjectImports(deps: ServiceDeps, project: Project, f: { limit: number; cursor?: string | undefined }): Promise<Page<ImportView>> {
  const rows = await listImports(deps.db, project.id, { beforeSeq: f.cursor === undefined ? undefined : decodeCursor(f.cursor), limit: f.limit + 1 });
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  return { items: await Promise.all(page.map((i) => toView(deps, i, false))), nextCursor: rows.length > f.limit && last ? encodeCursor(last.seq) : null };
}

export interface RunInput {
  target?: ImportTarget | undefined;
  caseType?: string | undefined;
  matchColumn?: string | null | undefined;
  matchBy?: MatchBy | undefined;
  createNew?: boolean | undefined;
  mapping: Record<string, string>;
  /** Read yes/oui/ndiyo in the consent column as 1 and no/non/hapana as 0 (Default: false). */
  consentWords?: boolean | undefined;
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_ERROR', message, { details: { field } });
}

/** Checks the run's options against the file's columns. */
export function checkRunOptions(columns: readonly string[], input: RunInput): ImportRunOptions {
  const target = input.target ?? 'cases';
  const caseType = input.caseType?.trim() ?? '';
  if (target === 'cases' && caseType === '') {
    throw invalid('caseType', 'caseType is required for a case import.');
  }
  const matchColumn = input.matchColumn ?? null;
  if (matchColumn !== null && !columns.includes(matchColumn)) {
    throw invalid('matchColumn', `The file has no column "${matchColumn}".`);
  }
  const seen = new Map<string, string>();
  // Keyed by the file's column names: no prototype, so a column named __proto__ or constructor is an ordinary key.
  const mapping: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [column, rawTarget] of Object.entries(input.mapping)) {
    if (!columns.includes(column)) {
      throw invalid('mapping', `The file has no column "${column}".`);
    }
    const t = rawTarget.trim();
    if (t === '') {
      continue;
    }
    const allowed = target === 'cases' ? (CASE_FIELDS as readonly string[]).includes(t) || PROPERTY_KEY.test(t) : (WORKER_FIELDS as readonly string[]).includes(t);
    if (!allowed) {
      throw invalid('mapping', target === 'cases' ? `"${t}" is not a property name (a letter, then letters, digits, _ or -).` : `"${t}" is not one of ${WORKER_FIELDS.join(', ')}.`);
    }
    const other = seen.get(t);
    if (other !== undefined) {
      throw invalid('mapping', `The columns "${other}" and "${column}" are both mapped to ${t}; map one of them to something else.`);
    }
    seen.set(t, column);
    mapping[column] = t;
  }
  if (target === 'mobile-workers' && !seen.has('username')) {
    throw invalid('mapping', 'Map a column to username for a mobile-worker import.');
  }
  return {
    target,
    caseType: target === 'cases' ? caseType : null,
    matchBy: input.matchBy ?? 'case_id',
    matchColumn,
    createNew: input.createNew ?? true,
    mapping,
    consentWords: target === 'cases' && input.consentWords === true,
  };
}

/** Reads the kept file again (off the main thread when large), with what `want` asks for. */
async function readKept<W extends FileWant>(deps: ServiceDeps, i: ImportRecord, want: W) {
  const bytes = await readKeptImportFile(deps.db, i.id);
  if (!bytes) {
    throw new AppError('NOT_FOUND', 'The import file is gone.');
  }
  // The file was accepted at upload; the byte limit may have been lowered since, which must not strand it.
  return readImportFileOffThread(i.fileName, bytes, { hasHeaders: i.hasHeaders, sheet: i.sheet, maxBytes: Number.POSITIVE_INFINITY }, want);
}

/** The kept file's rows, drafted for these options in the parser's thread (the rows never reach this one). */
async function draftsOf(deps: ServiceDeps, i: ImportRecord, o: ImportRunOptions, project: Project): Promise<Drafts> {
  if (o.target === 'mobile-workers') {
    const settings = { timeZone: project.timeZone, defaultCountry: project.defaultCountry, languages: project.languages, defaultLanguage: project.defaultLanguage, phoneValidation: project.phoneValidation };
    return { target: 'mobile-workers', rows: (await readKept(deps, i, { kind: 'workers', mapping: o.mapping, project: settings })).items };
  }
  const rows = (await readKept(deps, i, { kind: 'cases', mapping: o.mapping, matchColumn: o.matchColumn, matchBy: o.matchBy })).items;
  const consentColumn = Object.keys(o.mapping).find((c) => o.mapping[c] === CONTACT_PROPERTIES.consent);
  const consent = consentColumn === undefined ? null : checkConsentColumn(rows, CONTACT_PROPERTIES.consent, consentColumn, o.consentWords === true);
  return { target: 'cases', rows, consent: consent && consent.values.length > 0 ? consent : null };
}

/** The warning of a run whose mapping gives no way to reach the records it may create, else null. */
function noContactWarning(o: ImportRunOptions): string | null {
  const targets = new Set(Object.values(o.mapping));
  const reachable = o.target === 'cases' ? targets.has(CONTACT_PROPERTIES.phone) || targets.has(CONTACT_PROPERTIES.email) : targets.has('phone_numbers') || targets.has('email');
  if (reachable || !o.createNew) {
    return null;
  }
  const fields = o.target === 'cases' ? `${CONTACT_PROPERTIES.phone} or ${CONTACT_PROPERTIES.email}` : 'phone_numbers or email';
  return `No column gives a phone number or email: these contacts cannot be reached. Map the column that holds them to ${fields}.`;
}

async function parseKept(deps: ServiceDeps, i: ImportRecord): Promise<ParsedFile> {
  const { summary, items } = await readKept(deps, i, { kind: 'rows' });
  return { fileName: summary.fileName, fileType: summary.fileType, sheet: summary.sheet, sheets: summary.sheets, columns: summary.columns, rows: items };
}

/** What a run with these options would do, with every normalisation and problem; writes nothing. */
export async function dryRunImport(deps: ServiceDeps, project: Project, id: string, input: RunInput): Promise<DryRunView> {
  const i = await requireImport(deps, project, id);
  const o = checkRunOptions(i.columns, input);
  await saveImportDraft(deps.db, project.id, i.id, { ...draftOf(o) });
  const drafts = await draftsOf(deps, i, o, project);
  const report = await dryRunDrafts(deps, project, o, drafts);
  const view = await toView(deps, i, false);
  return {
    ...view,
    options: o,
    dryRun: true,
    result: { ...report.counts, errors: report.errors, errorCount: report.errorCount },
    normalisations: report.normalisations,
    normalisationCount: report.normalisationCount,
    duplicates: report.duplicates,
    twoWayElsewhere: report.twoWayElsewhere,
    invalidNumbers: report.invalidNumbers,
    invalidNumberCount: report.invalidNumberCount,
    warnings: { noContact: noContactWarning(o), consent: drafts.target === 'cases' ? drafts.consent : null },
  };
}

/** What the admin chose in the wizard before running (issue 24), kept on the import. */
export interface ImportDraft {
  target: ImportTarget;
  caseType: string;
  matchBy: MatchBy;
  matchColumn: string | null;
  createNew: boolean;
  consentWords: boolean;
  /** Column → target, as chosen or typed. */
  mapping: Record<string, string>;
}

const draftSchema = z.object({
  target: z.enum(['cases', 'mobile-workers']).catch('cases'),
  caseType: z.string().max(255).catch(''),
  matchBy: z.enum(['case_id', 'external_id']).catch('case_id'),
  matchColumn: z.string().max(255).nullable().catch(null),
  createNew: z.boolean().catch(true),
  consentWords: z.boolean().catch(false),
  mapping: z.record(z.string(), z.unknown()).catch({}),
});

function draftOf(o: ImportRunOptions): ImportDraft {
  return { target: o.target, caseType: o.caseType ?? '', matchBy: o.matchBy, matchColumn: o.matchColumn, createNew: o.createNew, consentWords: o.consentWords === true, mapping: o.mapping };
}

/** Keeps the draft columns of the file only, each target at most 100 characters. */
function cleanDraft(columns: readonly string[], raw: unknown): ImportDraft | null {
  const parsed = draftSchema.safeParse(raw);
  if (!parsed.success) {
    return null;
  }
  const mapping = Object.create(null) as Record<string, string>;
  for (const c of columns) {
    const v = Object.hasOwn(parsed.data.mapping, c) ? parsed.data.mapping[c] : undefined;
    mapping[c] = typeof v === 'string' ? v.slice(0, 100) : '';
  }
  const matchColumn = parsed.data.matchColumn !== null && columns.includes(parsed.data.matchColumn) ? parsed.data.matchColumn : null;
  return { ...parsed.data, matchColumn, mapping };
}

/** Keeps what the admin chose (also a form with problems) on an import not yet run. */
export async function saveDraft(deps: ServiceDeps, project: Project, id: string, draft: ImportDraft): Promise<void> {
  const i = await requireImport(deps, project, id);
  const clean = cleanDraft(i.columns, draft);
  if (clean) {
    await saveImportDraft(deps.db, project.id, i.id, { ...clean });
  }
}

/** The wizard's draft of an import (null: never dry-run). */
export async function getImportDraft(deps: ServiceDeps, project: Project, i: ImportView): Promise<ImportDraft | null> {
  return cleanDraft(i.columns, await findImportDraft(deps.db, project.id, i.id));
}

/** Starts the run: the import becomes `running` and its job is enqueued in the same transaction. */
export async function startImportRun(deps: ServiceDeps, project: Project, id: string, input: RunInput): Promise<ImportView> {
  const i = await requireImport(deps, project, id);
  const o = checkRunOptions(i.columns, input);
  const started = await deps.db.transaction().execute(async (trx) => {
    const s = await startImport(trx, i.id, o as unknown as Record<string, unknown>, deps.clock());
    if (s) {
      await deps.queue.enqueue(trx, 'import-run', { importId: i.id });
    }
    return s;
  });
  if (!started) {
    throw new AppError('CONFLICT', 'This import has already been run; upload the file again to import it once more.');
  }
  return toView(deps, started);
}

/**
 * Starts the run and applies it in this process, without the job queue (the CLI, which holds the
 * database itself). `onProgress` is called after each chunk.
 */
export async function runImportNow(deps: ServiceDeps, project: Project, id: string, input: RunInput, onProgress?: (done: number, total: number) => void): Promise<ImportView> {
  const i = await requireImport(deps, project, id);
  const o = checkRunOptions(i.columns, input);
  const started = await deps.db.transaction().execute((trx) => startImport(trx, i.id, o as unknown as Record<string, unknown>, deps.clock()));
  if (!started) {
    throw new AppError('CONFLICT', 'This import has already been run; upload the file again to import it once more.');
  }
  await processImport(deps, i.id, onProgress);
  return getImport(deps, project, i.id);
}

type ChunkStep = { stop: true } | { stop: false; done: number; total: number };

/** One chunk in one transaction: the rows, their problems, the cursor and the counts. */
function runChunk(deps: ServiceDeps, project: Project, importId: string, o: ImportRunOptions, drafts: Drafts, size: number): Promise<ChunkStep> {
  return deps.db.transaction().execute(async (trx): Promise<ChunkStep> => {
    const i = await lockImport(trx, importId);
    if (!i || i.status !== 'running') {
      return { stop: true };
    }
    const from = i.cursor;
    const to = Math.min(from + size, drafts.rows.length);
    const result = await applyChunk(trx, deps, project, importId, o, drafts, from, to);
    await commitChunk(trx, deps, importId, result, to, drafts.rows.length);
    return { stop: false, done: to, total: drafts.rows.length };
  });
}

async function commitChunk(trx: Parameters<typeof insertImportErrors>[0], deps: ServiceDeps, importId: string, result: ChunkResult, cursor: number, total: number): Promise<void> {
  await insertImportErrors(trx, importId, result.problems);
  await advanceImport(trx, importId, { cursor, ...result.counts, done: cursor >= total }, deps.clock());
}

/**
 * After a chunk failed on something unexpected (a database error), its rows are applied one per
 * transaction, so only the row that cannot be saved fails (IMPORT_ROW_FAILED) and the rest go in.
 */
async function runRowByRow(deps: ServiceDeps, project: Project, importId: string, o: ImportRunOptions, drafts: Drafts, size: number): Promise<ChunkStep> {
  let step: ChunkStep = { stop: true };
  for (let n = 0; n < size; n++) {
    try {
      step = await runChunk(deps, project, importId, o, drafts, 1);
    } catch (raw) {
      const err = coerceError(raw);
      step = await deps.db.transaction().execute(async (trx): Promise<ChunkStep> => {
        const i = await lockImport(trx, importId);
        if (!i || i.status !== 'running') {
          return { stop: true };
        }
        const problem: RowProblem = { row: rowNumberAt(drafts, i.cursor), column: null, code: 'IMPORT_ROW_FAILED', message: `This row could not be saved: ${err.message}` };
        await commitChunk(trx, deps, importId, { counts: { created: 0, updated: 0, skipped: 0, failed: 1 }, problems: [problem] }, i.cursor + 1, drafts.rows.length);
        return { stop: false, done: i.cursor + 1, total: drafts.rows.length };
      });
    }
    if (step.stop || step.done >= step.total) {
      break;
    }
  }
  return step;
}

/** The job: applies a running import chunk by chunk from its cursor. Safe to run again after a crash. */
export async function processImport(deps: ServiceDeps, importId: string, onProgress?: (done: number, total: number) => void): Promise<void> {
  const first = await findImport(deps.db, null, importId);
  if (!first || first.status !== 'running') {
    return;
  }
  try {
    const project = await findProjectById(deps.db, first.projectId);
    if (!project) {
      throw new AppError('NOT_FOUND', 'The project of this import is gone.');
    }
    const o = first.options as unknown as ImportRunOptions;
    const drafts = await draftsOf(deps, first, o, project);
    const size = deps.imports.chunkRows;
    for (;;) {
      let step: ChunkStep;
      try {
        step = await runChunk(deps, project, importId, o, drafts, size);
      } catch (err) {
        if (err instanceof AppError) {
          throw err;
        }
        step = await runRowByRow(deps, project, importId, o, drafts, size);
      }
      if (step.stop) {
        return;
      }
      onProgress?.(step.done, step.total);
      if (step.done >= step.total) {
        return;
      }
      // Let other work (HTTP on PGlite's single thread) run between chunks.
      await nextTurn();
    }
  } catch (raw) {
    const err = coerceError(raw);
    const code = err instanceof AppError ? err.code : 'INTERNAL_ERROR';
    const description = err instanceof AppError ? err.message : `${errorCatalogue.INTERNAL_ERROR} (${err.message})`;
    await failImport(deps.db, importId, code, description, deps.clock());
    throw raw;
  }
}

/**
 * Take-overs allowed at one cursor: an import whose runner dies this many times without committing
 * one more chunk (a file that exhausts the memory of every process that runs it, a row that crashes
 * the runtime) is failed with IMPORT_INTERRUPTED instead of crashing each new runner for ever.
 */
export const MAX_STALLED_RESUMES = 3;

/**
 * Takes over running imports whose runner died: a server or worker killed mid-import leaves its
 * pg-boss job `active` (until it expires, 15 minutes later) and the import `running`. An import
 * with no progress for `leaseMs` and no job waiting gets a new `import-run` job, which continues
 * from the cursor (the chunk lock makes a second runner of a live import harmless), unless it was
 * already taken over MAX_STALLED_RESUMES times at that cursor: then it fails. Called at start-up
 * (with `leaseMs` 0 on the embedded database, which only this process can hold) and then
 * periodically by every process that runs jobs. Returns how many were taken over.
 */
export async function resumeStalledImports(deps: ServiceDeps, leaseMs: number): Promise<number> {
  const now = deps.clock();
  const ids = await deps.db.transaction().execute(async (trx) => {
    const stalled = await claimStalledImports(trx, new Date(now.getTime() - leaseMs), now);
    const resumed: string[] = [];
    for (const i of stalled) {
      if (i.stalledResumes > MAX_STALLED_RESUMES) {
        const why =
          `${errorCatalogue.IMPORT_INTERRUPTED} It stopped ${MAX_STALLED_RESUMES + 1} times after ${i.cursor} of its ${i.rowCount} rows ` +
          `(the ${i.cursor} rows before are imported).`;
        await failImport(trx, i.id, 'IMPORT_INTERRUPTED', why, now);
        continue;
      }
      await deps.queue.enqueue(trx, 'import-run', { importId: i.id });
      resumed.push(i.id);
    }
    return resumed;
  });
  return ids.length;
}

/** Every problem of a finished import, for the annotated file. */
export async function importProblems(deps: ServiceDeps, project: Project, id: string): Promise<{ i: ImportRecord; problems: RowProblem[]; parsed: ParsedFile }> {
  const i = await requireImport(deps, project, id);
  const problems = (await listImportErrors(deps.db, i.id)) as RowProblem[];
  return { i, problems, parsed: await parseKept(deps, i) };
}
