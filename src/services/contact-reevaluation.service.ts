/**
 * @module services/contact-reevaluation.service — after a project's `phoneValidation` or
 * `defaultCountry` changes, every live case that may have a number is re-checked as a case save
 * would re-check it: the number is read again with the new settings, the stored `phone_number`
 * follows and the phone registry entry is brought in line (`syncCaseEntry`: release, claim,
 * promotion of the next in line). The background job `contacts-reevaluate` walks the cases by seq in
 * chunks; each chunk's cases, the cursor and the count commit together, so a crash resumes at the
 * first case not committed. A newer change replaces the project's re-evaluation, and the older job
 * stops at its next chunk. No consent event is written: the person's consent (the case property)
 * did not change, only how the number reads. Mobile workers are not re-checked: their numbers are
 * stored in E.164 when added (the default country no longer matters) and stay accepted.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { readCaseContact, wantsTwoWay } from '../domain/case-contact.ts';
import type { Project, ProjectContactSettings } from '../domain/project.ts';
import { AppError, coerceError, errorCatalogue } from '../errors.ts';
import {
  advanceReevaluation,
  type CaseToReevaluate,
  claimStalledReevaluations,
  countCasesWithNumbers,
  failReevaluation,
  findProjectReevaluation,
  lockCaseChunk,
  lockReevaluation,
  type ReevaluationRecord,
  type ReevaluationSettings,
  type ReevaluationStatus,
  replaceReevaluation,
  setCasePhoneNumbers,
} from '../store/contact-reevaluation.store.ts';
import type { Trx } from '../store/database.ts';
import { findEntriesByOwner, type PhoneEntry } from '../store/phone-entry.store.ts';
import { findProjectById, lockProject } from '../store/project.store.ts';
import type { ServiceDeps } from './deps.ts';
import { type CaseNumberWish, syncCaseEntry } from './phone-registry.service.ts';

export interface ContactReevaluationView {
  status: ReevaluationStatus;
  /** Cases re-checked so far. */
  done: number;
  /** Cases to re-check, counted at the start; once done, the number re-checked. */
  total: number;
  startedAt: string;
  finishedAt: string | null;
  /** The settings it applies. */
  settings: ReevaluationSettings;
  /** A failed re-evaluation: what stopped it, and its catalogue code. */
  error: string | null;
  errorCode: string | null;
}

/**
 * A running re-evaluation with no committed chunk for this long has lost its runner (killed) and is
 * handed to a new one (Default: 2 minutes; a chunk takes seconds).
 */
export const REEVALUATION_LEASE_MS = 120_000;

/** Deadlocks with a concurrent save or import are retried this many times before the chunk fails. */
const DEADLOCK_RETRIES = 3;

function toView(r: ReevaluationRecord): ContactReevaluationView {
  return {
    status: r.status,
    done: r.done,
    total: r.total,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
    settings: r.settings,
    error: r.error,
    errorCode: r.errorCode,
  };
}

/** Whether a settings change alters how the project's numbers read. */
export function changesNumberReading(before: ProjectContactSettings, after: ProjectContactSettings): boolean {
  return before.phoneValidation !== after.phoneValidation || before.defaultCountry !== after.defaultCountry;
}

/**
 * Starts re-checking the project's cases with its settings as written in this transaction (the
 * caller changed them, or holds the project's row lock), replacing any earlier re-evaluation. The
 * job is enqueued in the same transaction; a project without a case that may have a number is done
 * at once, without a job.
 */
export async function startContactReevaluation(trx: Trx, deps: ServiceDeps, project: Pick<Project, 'id' | 'defaultCountry' | 'phoneValidation'>): Promise<ContactReevaluationView> {
  const { total, lastSeq } = await countCasesWithNumbers(trx, project.id);
  const settings = { defaultCountry: project.defaultCountry, phoneValidation: project.phoneValidation };
  const r = await replaceReevaluation(trx, { id: randomUUID(), projectId: project.id, settings, total, lastSeq, now: deps.clock() });
  if (r.status === 'running') {
    await deps.queue.enqueue(trx, 'contacts-reevaluate', { reevaluationId: r.id });
  }
  return toView(r);
}

/** The project's latest re-evaluation, or null when its number settings never changed. */
export async function getContactReevaluation(deps: ServiceDeps, project: Pick<Project, 'id'>): Promise<ContactReevaluationView | null> {
  const r = await findProjectReevaluation(deps.db, project.id);
  return r ? toView(r) : null;
}

/**
 * Re-checks every case again with the project's current settings (after a failed re-evaluation,
 * or after an upgrade whose phone-number metadata reads some numbers differently).
 */
export async function restartContactReevaluation(deps: ServiceDeps, project: Pick<Project, 'id'>): Promise<ContactReevaluationView> {
  return deps.db.transaction().execute(async (trx) => {
    // The row lock orders this after a settings change in progress, so the settings read are the latest.
    const current = await lockProject(trx, project.id);
    if (!current) {
      throw new AppError('NOT_FOUND', 'No such project, or you are not a member of it.');
    }
    return startContactReevaluation(trx, deps, current);
  });
}

/** Whether the case's entries are already what syncCaseEntry would leave (so calling it would write nothing). */
function registryInStep(entries: readonly PhoneEntry[], wish: CaseNumberWish | null): boolean {
  if (!wish) {
    return entries.length === 0;
  }
  const [entry, ...more] = entries;
  // A case that wants the number two-way but holds it one-way tries to claim it again, as a save does.
  return !!entry && more.length === 0 && entry.number === wish.number && entry.wantsTwoWay === wish.wantsTwoWay && !(wish.wantsTwoWay && entry.state === 'one-way');
}

/** Each case exactly as a save re-evaluates it: the reading, the stored number, the registry entry. */
async function reevaluateCases(trx: Trx, deps: ServiceDeps, projectId: string, settings: ProjectContactSettings, cases: readonly CaseToReevaluate[]): Promise<void> {
  const entries = await findEntriesByOwner(trx, projectId, 'case', cases.map((c) => c.id));
  const opts = { pendingTtlMs: deps.pendingTtlMs, now: deps.clock() };
  const numberChanges: { caseId: string; phoneNumber: string | null }[] = [];
  for (const c of cases) {
    const reading = readCaseContact(c.properties, settings);
    const e164 = reading.phone.kind === 'valid' ? reading.phone.e164 : null;
    if (e164 !== c.phoneNumber) {
      numberChanges.push({ caseId: c.id, phoneNumber: e164 });
    }
    // As cases.service's entryWish: a closed case holds no number.
    const wish = !c.closed && e164 !== null ? { number: e164, wantsTwoWay: wantsTwoWay(reading) } : null;
    if (!registryInStep(entries.filter((e) => e.ownerId === c.id), wish)) {
      await syncCaseEntry(trx, { projectId, caseId: c.id, wish }, opts);
    }
  }
  await setCasePhoneNumbers(trx, numberChanges);
}

export type ChunkStep = 'stopped' | 'more' | 'finished';

/**
 * One chunk in one transaction: the next cases after the cursor, re-checked, with the cursor and
 * the count. 'stopped' when the re-evaluation was replaced by a newer one, finished or failed.
 * Cases per chunk: `deps.imports.chunkRows` (small on the embedded database, where a chunk holds
 * the one connection HTTP requests also need).
 */
export async function reevaluateChunk(deps: ServiceDeps, reevaluationId: string): Promise<ChunkStep> {
  return deps.db.transaction().execute(async (trx): Promise<ChunkStep> => {
    const r = await lockReevaluation(trx, reevaluationId);
    if (!r || r.status !== 'running' || r.lastSeq === null) {
      return 'stopped';
    }
    const project = await findProjectById(trx, r.projectId);
    if (!project) {
      return 'stopped';
    }
    const size = deps.imports.chunkRows;
    const cases = await lockCaseChunk(trx, r.projectId, { afterSeq: r.cursor, lastSeq: r.lastSeq, limit: size });
    await reevaluateCases(trx, deps, r.projectId, { ...project, ...r.settings }, cases);
    const cursor = cases.at(-1)?.seq ?? r.cursor;
    const finished = cases.length < size || cursor === r.lastSeq;
    await advanceReevaluation(trx, reevaluationId, { cursor, checked: cases.length, finished, now: deps.clock() });
    return finished ? 'finished' : 'more';
  });
}

function isDeadlock(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '40P01';
}

async function chunkWithRetries(deps: ServiceDeps, reevaluationId: string): Promise<ChunkStep> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await reevaluateChunk(deps, reevaluationId);
    } catch (err) {
      if (!isDeadlock(err) || attempt > DEADLOCK_RETRIES) {
        throw err;
      }
    }
  }
}

/**
 * The job: re-checks chunk by chunk from the cursor until done or replaced. Safe to run again after
 * a crash, and beside a second runner (the chunk lock orders them). Anything unexpected fails it,
 * with its description, so it does not stay `running` for ever.
 */
export async function reevaluateContacts(deps: ServiceDeps, reevaluationId: string): Promise<void> {
  try {
    for (;;) {
      if ((await chunkWithRetries(deps, reevaluationId)) !== 'more') {
        return;
      }
      // Let other work (HTTP on PGlite's single thread) run between chunks.
      await nextTurn();
    }
  } catch (raw) {
    const err = coerceError(raw);
    const failure = err instanceof AppError ? { code: err.code, message: err.message } : { code: 'INTERNAL_ERROR', message: `${errorCatalogue.INTERNAL_ERROR} (${err.message})` };
    await failReevaluation(deps.db, reevaluationId, failure, deps.clock());
    throw raw;
  }
}

/**
 * Takes over running re-evaluations whose runner died (its pg-boss job stays `active` until pg-boss
 * expires it, 15 minutes later): one with no committed chunk for `leaseMs` and no job waiting gets a
 * new job, which continues from the cursor. Called at start-up (with `leaseMs` 0 on the embedded
 * database, which only this process can hold) and then periodically. Returns how many were taken over.
 */
export async function resumeStalledReevaluations(deps: ServiceDeps, leaseMs: number): Promise<number> {
  const now = deps.clock();
  return deps.db.transaction().execute(async (trx) => {
    const ids = await claimStalledReevaluations(trx, new Date(now.getTime() - leaseMs), now);
    for (const id of ids) {
      await deps.queue.enqueue(trx, 'contacts-reevaluate', { reevaluationId: id });
    }
    return ids.length;
  });
}
