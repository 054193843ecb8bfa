/**
 * @module services/import-rows.service — applying a chunk of spreadsheet rows inside one transaction,
 * and the dry run that reports the same decisions without writing. Each case row goes through
 * createCaseInTransaction / updateCaseInTransaction, so phone ownership, consent events (method
 * `import`, source {importId, row}) and problems are exactly those of a case saved through the API;
 * worker rows go through mobile-workers.service the same way.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

import { readCaseContact, wantsTwoWay } from '../domain/case-contact.ts';
import {
  type CaseDraft,
  columnOfTarget,
  type ConsentColumnReport,
  decideCaseRow,
  decideWorkerRow,
  type ImportTarget,
  type MatchBy,
  type RowAction,
  type RowProblem,
  type WorkerDraft,
} from '../domain/import-row.ts';
import type { Project } from '../domain/project.ts';
import { parsePhoneNumber } from '../domain/phone-number.ts';
import { AppError } from '../errors.ts';
import { type CaseWithEntry, findCasesByExternalIds, findCasesByIds } from '../store/case.store.ts';
import type { Db, Trx } from '../store/database.ts';
import { findMobileWorkersByUsernames } from '../store/mobile-worker.store.ts';
import { findHoldersByNumbers } from '../store/phone-entry.store.ts';
import { type CaseView, createCaseInTransaction, createCasesInTransaction, mergeProperties, updateCaseInTransaction } from './cases.service.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { importMobileWorkerInTransaction, validateWorker } from './mobile-workers.service.ts';

/** The options of a run (POST …/imports/{id}/run), checked against the file's columns. */
export interface ImportRunOptions {
  target: ImportTarget;
  caseType: string | null;
  matchBy: MatchBy;
  matchColumn: string | null;
  createNew: boolean;
  /** Column → target ('' or absent: ignored). */
  mapping: Record<string, string>;
  /** Read yes/oui/ndiyo in the consent column as 1 and no/non/hapana as 0 before saving (issue 24; absent in runs stored before it: false). */
  consentWords?: boolean;
}

export interface RowCounts {
  created: number;
  updated: number;
  skipped: number;
  failed: number;
}

export function zeroCounts(): RowCounts {
  return { created: 0, updated: 0, skipped: 0, failed: 0 };
}

const COUNT_OF: Record<RowAction, keyof RowCounts> = { create: 'created', update: 'updated', skip: 'skipped', fail: 'failed' };

export interface ChunkResult {
  counts: RowCounts;
  problems: RowProblem[];
}

function caseKey(matchBy: MatchBy, key: string): string {
  return matchBy === 'case_id' ? key.toLowerCase() : key;
}

/** The existing cases the chunk's keys point at (same case type), by key. */
async function lookupCases(db: Db | Trx, project: Project, o: ImportRunOptions, drafts: readonly CaseDraft[]): Promise<Map<string, CaseWithEntry>> {
  const keys = [...new Set(drafts.flatMap((d) => (d.key !== null && d.duplicateOf === null ? [d.key] : [])))];
  const caseType = o.caseType ?? '';
  const found =
    o.matchBy === 'case_id'
      ? (await findCasesByIds(db, project.id, keys.filter(isUuid))).filter((c) => c.caseType === caseType)
      : await findCasesByExternalIds(db, project.id, caseType, keys);
  const out = new Map<string, CaseWithEntry>();
  for (const c of found) {
    const key = o.matchBy === 'case_id' ? c.id : c.externalId;
    if (key !== null && !out.has(caseKey(o.matchBy, key))) {
      out.set(caseKey(o.matchBy, key), c);
    }
  }
  return out;
}

function decisionOptions(o: ImportRunOptions, columnOf: Map<string, string>) {
  return { matchBy: o.matchBy, createNew: o.createNew, matchColumn: o.matchColumn, nameColumn: columnOf.get('name') ?? null };
}

/** Contact problems of the saved case that concern a mapped column, placed on that column. */
function contactProblems(row: number, view: CaseView, columnOf: Map<string, string>): RowProblem[] {
  return view.contact.problems.flatMap((p) => {
    const column = columnOf.get(p.field);
    return column ? [{ row, column, code: p.code, message: p.message }] : [];
  });
}

/** The column a refused field belongs to (details.field of an AppError), for worker and owner checks. */
function columnOfError(err: AppError, columnOf: Map<string, string>): string | null {
  const field = (err.details as { field?: unknown } | undefined)?.field;
  const target = field === 'timeZone' ? 'time_zone' : field === 'ownerId' ? 'owner_id' : typeof field === 'string' ? field : null;
  return target ? (columnOf.get(target) ?? null) : null;
}

/**
 * Applies case rows inside the caller's transaction, in file order. Consecutive new cases are
 * created together (createCasesInTransaction: one statement per table); an update is applied alone
 * after the new cases before it. A row the rules refuse is counted failed with its reason; the
 * AppErrors caught here are all raised before anything of their rows is written.
 */
async function applyCaseChunk(trx: Trx, deps: ServiceDeps, project: Project, importId: string, o: ImportRunOptions, drafts: readonly CaseDraft[]): Promise<ChunkResult> {
  const columnOf = columnOfTarget(o.mapping);
  const found = await lookupCases(trx, project, o, drafts);
  const counts = zeroCounts();
  const problems: RowProblem[] = [];
  const decide = decisionOptions(o, columnOf);
  const ctxOf = (d: CaseDraft) => ({ method: 'import' as const, source: { importId, row: d.row } });
  const refused = (d: CaseDraft, err: unknown) => {
    if (!(err instanceof AppError)) {
      throw err;
    }
    counts.failed++;
    problems.push({ row: d.row, column: columnOfError(err, columnOf), code: err.code, message: err.message });
  };
  const applied = (d: CaseDraft, action: 'created' | 'updated', view: CaseView) => {
    counts[action]++;
    problems.push(...d.problems, ...contactProblems(d.row, view, columnOf));
  };
  let pending: CaseDraft[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    const items = batch.map((d) => ({ input: newCaseInput(o, d), ctx: ctxOf(d) }));
    try {
      const views = await createCasesInTransaction(trx, deps, project, items);
      batch.forEach((d, i) => applied(d, 'created', views[i] as CaseView));
    } catch (err) {
      if (!(err instanceof AppError)) {
        throw err;
      }
      // An owner check refused one of them before anything was written: go one by one to find it.
      for (const [i, d] of batch.entries()) {
        try {
          applied(d, 'created', await createCaseInTransaction(trx, deps, project, (items[i] as (typeof items)[number]).input, ctxOf(d)));
        } catch (one) {
          refused(d, one);
        }
      }
    }
  };
  for (const d of drafts) {
    const existing = d.key === null ? undefined : found.get(caseKey(o.matchBy, d.key));
    const decision = decideCaseRow(d, existing !== undefined, decide);
    if (decision.action === 'create') {
      pending.push(d);
      continue;
    }
    if (decision.action === 'skip' || decision.action === 'fail') {
      counts[COUNT_OF[decision.action]]++;
      if (decision.problem) {
        problems.push(decision.problem);
      }
      if (decision.action === 'fail') {
        problems.push(...invalidNumberOfFailedRow(d, project, columnOf));
      }
      continue;
    }
    await flush();
    try {
      applied(d, 'updated', await updateCaseInTransaction(trx, deps, project, (existing as CaseWithEntry).id, { name: d.name ?? undefined, properties: d.properties }, ctxOf(d)));
    } catch (err) {
      refused(d, err);
    }
  }
  await flush();
  return { counts, problems };
}

/**
 * The invalid number of a row that fails for another reason: listed too (the dry run lists it the
 * same way), so fixing the reason given does not reveal a second one only on the next try.
 */
function invalidNumberOfFailedRow(d: CaseDraft, project: Project, columnOf: Map<string, string>): RowProblem[] {
  const typed = d.refused ? undefined : d.properties.contact_phone_number;
  const column = columnOf.get('contact_phone_number');
  if (typeof typed !== 'string' || column === undefined) {
    return [];
  }
  const phone = parsePhoneNumber(typed, { defaultCountry: project.defaultCountry, validation: project.phoneValidation });
  return phone.kind === 'invalid' ? [{ row: d.row, column, code: 'INVALID_PHONE_NUMBER', message: phone.message }] : [];
}

function newCaseInput(o: ImportRunOptions, d: CaseDraft) {
  const properties = Object.fromEntries(Object.entries(d.properties).filter((e): e is [string, string] => e[1] !== null));
  return { caseType: o.caseType ?? '', name: d.name ?? '', ownerId: d.ownerId, externalId: d.externalId, properties };
}

async function applyWorkerChunk(trx: Trx, deps: ServiceDeps, project: Project, o: ImportRunOptions, drafts: readonly WorkerDraft[]): Promise<ChunkResult> {
  const columnOf = columnOfTarget(o.mapping);
  const usernameColumn = columnOf.get('username') ?? null;
  const known = new Set((await findMobileWorkersByUsernames(trx, project.id, drafts.flatMap((d) => (d.username ? [d.username] : [])))).map((w) => w.username.toLowerCase()));
  const counts = zeroCounts();
  const problems: RowProblem[] = [];
  for (const d of drafts) {
    const decision = decideWorkerRow(d, d.username !== null && known.has(d.username.toLowerCase()), { createNew: o.createNew, usernameColumn });
    if (decision.action === 'skip' || decision.action === 'fail' || d.username === null) {
      counts[COUNT_OF[decision.action]]++;
      if (decision.problem) {
        problems.push(decision.problem);
      }
      if (decision.action === 'fail') {
        problems.push(...d.problems.filter((p) => p.code === 'INVALID_PHONE_NUMBER'));
      }
      continue;
    }
    try {
      await importMobileWorkerInTransaction(trx, deps, project, { username: d.username, language: d.language, timeZone: d.timeZone, email: d.email, numbers: d.numbers }, o.createNew);
      counts[COUNT_OF[decision.action]]++;
      problems.push(...d.problems);
    } catch (err) {
      if (!(err instanceof AppError)) {
        throw err;
      }
      counts.failed++;
      problems.push({ row: d.row, column: columnOfError(err, columnOf), code: err.code, message: err.message });
    }
  }
  return { counts, problems };
}

/** Drafted rows; a case import's consent column checked (null: no column is mapped to consent). */
export type Drafts = { target: 'cases'; rows: CaseDraft[]; consent: ConsentColumnReport | null } | { target: 'mobile-workers'; rows: WorkerDraft[] };

/** Applies rows [from, to) of the drafts inside the caller's transaction. */
export function applyChunk(trx: Trx, deps: ServiceDeps, project: Project, importId: string, o: ImportRunOptions, drafts: Drafts, from: number, to: number): Promise<ChunkResult> {
  return drafts.target === 'cases'
    ? applyCaseChunk(trx, deps, project, importId, o, drafts.rows.slice(from, to))
    : applyWorkerChunk(trx, deps, project, o, drafts.rows.slice(from, to));
}

/** Spreadsheet row number of draft `index`. */
export function rowNumberAt(drafts: Drafts, index: number): number {
  return drafts.rows[index]?.row ?? 0;
}

/** What a dry run reports. Lists are capped (REPORT_CAP each); the totals say how many there were. */
export interface DryRunReport {
  counts: RowCounts;
  errors: RowProblem[];
  errorCount: number;
  normalisations: { row: number; column: string; from: string; to: string }[];
  normalisationCount: number;
  /** Numbers that appear on more than one row of the file. */
  duplicates: { number: string; rows: number[] }[];
  /** Rows whose number another contact already holds two-way (so the row will get it one-way). */
  twoWayElsewhere: { row: number; number: string }[];
  /** Phone numbers of the file that are not valid, every row (also one that fails otherwise), as typed, with the reason. */
  invalidNumbers: { row: number; column: string; value: string; reason: string }[];
  invalidNumberCount: number;
}

/** Entries kept in each list of a dry-run report (Default: 1000). */
export const REPORT_CAP = 1000;

class Report {
  readonly r: DryRunReport = {
    counts: zeroCounts(),
    errors: [],
    errorCount: 0,
    normalisations: [],
    normalisationCount: 0,
    duplicates: [],
    twoWayElsewhere: [],
    invalidNumbers: [],
    invalidNumberCount: 0,
  };
  readonly rowsOfNumber = new Map<string, number[]>();
  /** The first row of the file that claims each number two-way. */
  readonly claimed = new Map<string, number>();

  error(...problems: RowProblem[]): void {
    for (const p of problems) {
      this.r.errorCount++;
      if (this.r.errors.length < REPORT_CAP) {
        this.r.errors.push(p);
      }
    }
  }

  invalidNumber(n: DryRunReport['invalidNumbers'][number]): void {
    this.r.invalidNumberCount++;
    if (this.r.invalidNumbers.length < REPORT_CAP) {
      this.r.invalidNumbers.push(n);
    }
  }

  finish(): DryRunReport {
    for (const [number, rows] of this.rowsOfNumber) {
      if (rows.length > 1 && this.r.duplicates.length < REPORT_CAP) {
        this.r.duplicates.push({ number, rows });
      }
    }
    return this.r;
  }
}

async function dryRunCaseChunk(deps: ServiceDeps, project: Project, o: ImportRunOptions, drafts: readonly CaseDraft[], report: Report): Promise<void> {
  const columnOf = columnOfTarget(o.mapping);
  const phoneColumn = columnOf.get('contact_phone_number') ?? null;
  const found = await lookupCases(deps.db, project, o, drafts);
  const decide = decisionOptions(o, columnOf);
  const planned = drafts.map((d) => {
    const existing = d.key === null ? undefined : found.get(caseKey(o.matchBy, d.key));
    const decision = decideCaseRow(d, existing !== undefined, decide);
    const applied = decision.action === 'create' || decision.action === 'update';
    const reading = applied ? readCaseContact(mergeProperties(existing?.properties ?? {}, d.properties), project) : null;
    return { d, existing, decision, reading };
  });
  const wanted = planned.flatMap((p) => (p.reading && p.reading.phone.kind === 'valid' && wantsTwoWay(p.reading) ? [p.reading.phone.e164] : []));
  const holders = await findHoldersByNumbers(deps.db, wanted, deps.clock());
  for (const { d, existing, decision, reading } of planned) {
    report.r.counts[COUNT_OF[decision.action]]++;
    if (decision.problem) {
      report.error(decision.problem);
    }
    // Every invalid number of the file is listed, also on a row that fails for another reason (as the run does).
    const typed = d.refused ? undefined : d.properties.contact_phone_number;
    if (phoneColumn && typeof typed === 'string') {
      const phone = reading ? reading.phone : parsePhoneNumber(typed, { defaultCountry: project.defaultCountry, validation: project.phoneValidation });
      if (phone.kind === 'invalid') {
        report.invalidNumber({ row: d.row, column: phoneColumn, value: typed, reason: phone.message });
        if (!reading && decision.action === 'fail') {
          report.error({ row: d.row, column: phoneColumn, code: 'INVALID_PHONE_NUMBER', message: phone.message });
        }
      }
    }
    if (!reading) {
      continue;
    }
    report.error(...d.problems, ...reading.problems.flatMap((p) => (columnOf.has(p.field) ? [{ row: d.row, column: columnOf.get(p.field) ?? null, code: p.code, message: p.message }] : [])));
    if (reading.phone.kind !== 'valid') {
      continue;
    }
    const number = reading.phone.e164;
    const raw = d.properties.contact_phone_number;
    if (phoneColumn && raw && raw !== number) {
      report.r.normalisationCount++;
      if (report.r.normalisations.length < REPORT_CAP) {
        report.r.normalisations.push({ row: d.row, column: phoneColumn, from: raw, to: number });
      }
    }
    const rows = report.rowsOfNumber.get(number) ?? [];
    rows.push(d.row);
    report.rowsOfNumber.set(number, rows);
    if (!wantsTwoWay(reading)) {
      continue;
    }
    const holder = holders.get(number);
    const ownEntry = existing !== undefined && holder?.ownerType === 'case' && holder.ownerId === existing.id;
    const firstClaim = report.claimed.get(number);
    if (holder && !ownEntry) {
      if (report.r.twoWayElsewhere.length < REPORT_CAP) {
        report.r.twoWayElsewhere.push({ row: d.row, number });
      }
      report.error({ row: d.row, column: phoneColumn, code: 'PHONE_NUMBER_IN_USE', message: `${number} is already two-way for another contact (in this or another project); this row will get it one-way.` });
    } else if (firstClaim !== undefined) {
      report.error({ row: d.row, column: phoneColumn, code: 'PHONE_NUMBER_IN_USE', message: `Row ${firstClaim} of this file also has ${number} with consent and comes first; this row will get it one-way.` });
    } else {
      report.claimed.set(number, d.row);
    }
  }
}

async function dryRunWorkerChunk(deps: ServiceDeps, project: Project, o: ImportRunOptions, drafts: readonly WorkerDraft[], report: Report): Promise<void> {
  const columnOf = columnOfTarget(o.mapping);
  const usernameColumn = columnOf.get('username') ?? null;
  const known = new Set((await findMobileWorkersByUsernames(deps.db, project.id, drafts.flatMap((d) => (d.username ? [d.username] : [])))).map((w) => w.username.toLowerCase()));
  for (const d of drafts) {
    let decision = decideWorkerRow(d, d.username !== null && known.has(d.username.toLowerCase()), { createNew: o.createNew, usernameColumn });
    if (decision.action === 'create' && d.username !== null) {
      try {
        validateWorker(project, { username: d.username, language: d.language, timeZone: d.timeZone, email: d.email });
      } catch (err) {
        if (!(err instanceof AppError)) {
          throw err;
        }
        decision = { action: 'fail', problem: { row: d.row, column: columnOfError(err, columnOf), code: err.code, message: err.message } };
      }
    }
    report.r.counts[COUNT_OF[decision.action]]++;
    if (decision.problem) {
      report.error(decision.problem);
    }
    if (decision.action === 'create' || decision.action === 'update') {
      report.error(...d.problems);
    } else {
      report.error(...d.problems.filter((p) => p.code === 'INVALID_PHONE_NUMBER'));
    }
    for (const n of d.invalidNumbers ?? []) {
      report.invalidNumber({ row: d.row, ...n });
    }
  }
}

/** Reports what a run would do, chunk by chunk (yielding between chunks), writing nothing. */
export async function dryRunDrafts(deps: ServiceDeps, project: Project, o: ImportRunOptions, drafts: Drafts): Promise<DryRunReport> {
  const report = new Report();
  // Small steps, yielding between them, so requests are answered while a large file is checked.
  const size = 250;
  for (let from = 0; from < drafts.rows.length; from += size) {
    if (drafts.target === 'cases') {
      await dryRunCaseChunk(deps, project, o, drafts.rows.slice(from, from + size), report);
    } else {
      await dryRunWorkerChunk(deps, project, o, drafts.rows.slice(from, from + size), report);
    }
    await nextTurn();
  }
  return report.finish();
}
