/**
 * @module services/mobile-workers.service — mobile workers and their phone numbers.
 * A worker's number is one-way (`unverified`) when added; verification makes it `pending`, then
 * `verified` (two-way). A number held by another contact shows `already-in-use`.
 */
import { matchLanguage } from '../domain/language.ts';
import { normaliseLookupNumber, parsePhoneNumber } from '../domain/phone-number.ts';
import type { Project } from '../domain/project.ts';
import type { Trx } from '../store/database.ts';
import { canonicalTimeZone } from '../domain/time-zone.ts';
import { isEmailAddress } from '../domain/email.ts';
import { AppError } from '../errors.ts';
import {
  findMobileWorker,
  findMobileWorkerByUsername,
  insertMobileWorker,
  listMobileWorkers,
  lockMobileWorker,
  markMobileWorkerDeleted,
  type MobileWorkerRecord,
} from '../store/mobile-worker.store.ts';
import { findEntriesByOwner, findNumbersHeldElsewhere, type PhoneEntry } from '../store/phone-entry.store.ts';
import { hashPassword } from '../lib/passwords.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { addWorkerNumber, releaseOwner, removeWorkerNumber, startWorkerVerification, type VerificationStart } from './phone-registry.service.ts';

export type WorkerNumberStatus = 'unverified' | 'pending' | 'verified' | 'already-in-use';

export interface WorkerNumberView {
  number: string;
  status: WorkerNumberStatus;
  pendingSince: string | null;
  pendingExpiresAt: string | null;
}

export interface MobileWorkerView {
  id: string;
  username: string;
  language: string | null;
  timeZone: string | null;
  email: string | null;
  phoneNumbers: WorkerNumberView[];
  createdAt: string;
  updatedAt: string;
}

export interface NewWorkerInput {
  username: string;
  password?: string | undefined;
  language?: string | undefined;
  timeZone?: string | undefined;
  email?: string | undefined;
}

export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

function numberStatus(e: PhoneEntry, heldElsewhere: Set<string>, now: Date): WorkerNumberStatus {
  if (e.state === 'two-way') {
    return 'verified';
  }
  if (e.state === 'pending' && e.pendingExpiresAt && e.pendingExpiresAt > now) {
    return 'pending';
  }
  return heldElsewhere.has(e.number) ? 'already-in-use' : 'unverified';
}

async function numberViews(deps: ServiceDeps, project: Project, workers: readonly MobileWorkerRecord[]): Promise<Map<string, WorkerNumberView[]>> {
  const now = deps.clock();
  const entries = await findEntriesByOwner(deps.db, project.id, 'mobile-worker', workers.map((w) => w.id));
  const held = await findNumbersHeldElsewhere(deps.db, entries.map((e) => e.id), [...new Set(entries.map((e) => e.number))], now);
  const out = new Map<string, WorkerNumberView[]>(workers.map((w) => [w.id, []]));
  for (const e of entries) {
    const status = numberStatus(e, held, now);
    out.get(e.ownerId)?.push({
      number: e.number,
      status,
      pendingSince: status === 'pending' ? e.wantedAt?.toISOString() ?? null : null,
      pendingExpiresAt: status === 'pending' ? e.pendingExpiresAt?.toISOString() ?? null : null,
    });
  }
  return out;
}

function toView(w: MobileWorkerRecord, phoneNumbers: WorkerNumberView[]): MobileWorkerView {
  return {
    id: w.id,
    username: w.username,
    language: w.language,
    timeZone: w.timeZone,
    email: w.email,
    phoneNumbers,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}

/** Checks a new worker's fields as the API does (used by imports for their dry run too). */
export function validateWorker(project: Project, input: NewWorkerInput): { language: string | null; timeZone: string | null; email: string | null } {
  if (!USERNAME.test(input.username)) {
    throw new AppError('VALIDATION_ERROR', 'username must be 1–80 letters, digits, dots, dashes or underscores, starting with a letter or digit.', { details: { field: 'username' } });
  }
  let language: string | null = null;
  if (input.language !== undefined) {
    language = matchLanguage(input.language, project.languages);
    if (!language) {
      throw new AppError('UNKNOWN_LANGUAGE', `"${input.language}" is not one of the project's SMS languages (${project.languages.join(', ')}).`, { details: { field: 'language' } });
    }
  }
  let timeZone: string | null = null;
  if (input.timeZone !== undefined) {
    timeZone = canonicalTimeZone(input.timeZone);
    if (!timeZone) {
      throw new AppError('INVALID_TIME_ZONE', `"${input.timeZone}" is not a known time zone.`, { details: { field: 'timeZone' } });
    }
  }
  if (input.email !== undefined && !isEmailAddress(input.email)) {
    throw new AppError('INVALID_EMAIL_ADDRESS', `"${input.email}" is not a valid email address.`, { details: { field: 'email' } });
  }
  return { language, timeZone, email: input.email?.trim() ?? null };
}

export async function createMobileWorker(deps: ServiceDeps, project: Project, input: NewWorkerInput): Promise<MobileWorkerView> {
  const fields = validateWorker(project, input);
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const worker = await deps.db.transaction().execute((trx) =>
    insertMobileWorker(trx, project.id, { username: input.username, passwordHash, ...fields }, deps.clock()),
  );
  if (!worker) {
    throw new AppError('CONFLICT', `A mobile worker named "${input.username}" already exists in this project.`, { details: { field: 'username' } });
  }
  return toView(worker, []);
}

async function requireWorker(deps: ServiceDeps, project: Project, workerId: string): Promise<MobileWorkerRecord> {
  const w = isUuid(workerId) ? await findMobileWorker(deps.db, project.id, workerId) : null;
  if (!w) {
    throw new AppError('NOT_FOUND', 'No such mobile worker in this project.');
  }
  return w;
}

export async function getMobileWorker(deps: ServiceDeps, project: Project, workerId: string): Promise<MobileWorkerView> {
  const w = await requireWorker(deps, project, workerId);
  const numbers = await numberViews(deps, project, [w]);
  return toView(w, numbers.get(w.id) ?? []);
}

export async function listProjectMobileWorkers(deps: ServiceDeps, project: Project, f: { limit: number; cursor?: string | undefined; search?: string | undefined }): Promise<Page<MobileWorkerView>> {
  const rows = await listMobileWorkers(deps.db, project.id, { afterSeq: f.cursor === undefined ? undefined : decodeCursor(f.cursor), limit: f.limit + 1, search: f.search });
  const page = rows.slice(0, f.limit);
  const numbers = await numberViews(deps, project, page);
  const last = page.at(-1);
  return {
    items: page.map((w) => toView(w, numbers.get(w.id) ?? [])),
    nextCursor: rows.length > f.limit && last ? encodeCursor(last.seq) : null,
  };
}

/** Reads a number as the project would (international first, then national); 422 when invalid. */
export function parseWorkerNumber(project: Project, raw: string): string {
  const parsed = parsePhoneNumber(raw, { defaultCountry: project.defaultCountry, validation: project.phoneValidation });
  if (parsed.kind === 'valid') {
    return parsed.e164;
  }
  const message = parsed.kind === 'invalid' ? parsed.message : 'A phone number is required.';
  throw new AppError('INVALID_PHONE_NUMBER', message, { details: { field: 'number' } });
}

export async function addMobileWorkerNumber(deps: ServiceDeps, project: Project, workerId: string, raw: string): Promise<WorkerNumberView> {
  const number = parseWorkerNumber(project, raw);
  if (!isUuid(workerId)) {
    throw new AppError('NOT_FOUND', 'No such mobile worker in this project.');
  }
  const opts = { pendingTtlMs: deps.pendingTtlMs, now: deps.clock() };
  await deps.db.transaction().execute(async (trx) => {
    const w = await lockMobileWorker(trx, project.id, workerId);
    if (!w) {
      throw new AppError('NOT_FOUND', 'No such mobile worker in this project.');
    }
    const entry = await addWorkerNumber(trx, { projectId: project.id, workerId, number }, opts);
    if (!entry) {
      throw new AppError('CONFLICT', `This mobile worker already has the number ${number}.`, { details: { field: 'number' } });
    }
  });
  const view = await getMobileWorker(deps, project, workerId);
  const added = view.phoneNumbers.find((n) => n.number === number);
  if (!added) {
    throw new AppError('INTERNAL_ERROR', 'The number was added but could not be read back.');
  }
  return added;
}

/**
 * Reads a number from a URL path (already percent-decoded by the router): E.164 (sent as %2B…),
 * digits, or national with the project's country.
 */
export function parsePathNumber(project: Project, raw: string): string | null {
  return normaliseLookupNumber(raw, project.defaultCountry);
}

export async function removeMobileWorkerNumber(deps: ServiceDeps, project: Project, workerId: string, rawNumber: string): Promise<void> {
  const number = parsePathNumber(project, rawNumber);
  if (!number || !isUuid(workerId)) {
    throw new AppError('NOT_FOUND', 'This mobile worker has no such number.');
  }
  const opts = { pendingTtlMs: deps.pendingTtlMs, now: deps.clock() };
  await deps.db.transaction().execute(async (trx) => {
    const w = await lockMobileWorker(trx, project.id, workerId);
    if (!w || !(await removeWorkerNumber(trx, { projectId: project.id, workerId, number }, opts))) {
      throw new AppError('NOT_FOUND', 'This mobile worker has no such number.');
    }
  });
}

/** Puts the number in pending state (the SMS itself is sent by the verification feature). */
export async function startNumberVerification(deps: ServiceDeps, project: Project, workerId: string, rawNumber: string): Promise<VerificationStart> {
  const number = parsePathNumber(project, rawNumber);
  if (!number || !isUuid(workerId)) {
    throw new AppError('NOT_FOUND', 'This mobile worker has no such number.');
  }
  const opts = { pendingTtlMs: deps.pendingTtlMs, now: deps.clock() };
  return deps.db.transaction().execute(async (trx) => {
    const w = await lockMobileWorker(trx, project.id, workerId);
    const result = w ? await startWorkerVerification(trx, { projectId: project.id, workerId, number }, opts) : null;
    if (!result) {
      throw new AppError('NOT_FOUND', 'This mobile worker has no such number.');
    }
    return result;
  });
}

export async function deleteMobileWorker(deps: ServiceDeps, project: Project, workerId: string): Promise<void> {
  if (!isUuid(workerId)) {
    throw new AppError('NOT_FOUND', 'No such mobile worker in this project.');
  }
  const opts = { pendingTtlMs: deps.pendingTtlMs, now: deps.clock() };
  await deps.db.transaction().execute(async (trx) => {
    const w = await lockMobileWorker(trx, project.id, workerId);
    if (!w) {
      throw new AppError('NOT_FOUND', 'No such mobile worker in this project.');
    }
    await releaseOwner(trx, project.id, 'mobile-worker', workerId, opts);
    await markMobileWorkerDeleted(trx, workerId, opts.now);
  });
}

/** A worker row of a spreadsheet: created when new (checked as the API checks it), its numbers added. */
export interface ImportedWorker {
  username: string;
  language?: string | undefined;
  timeZone?: string | undefined;
  email?: string | undefined;
  /** Numbers already normalised to E.164. */
  numbers: readonly string[];
}

/**
 * Creates the worker (or finds it by username, when `createNew` allows both) and adds the numbers it
 * does not have yet, one-way (unverified), inside the caller's transaction. An existing worker's other
 * fields are left as they are. Returns null when the worker is unknown and `createNew` is false.
 */
export async function importMobileWorkerInTransaction(
  trx: Trx,
  deps: ServiceDeps,
  project: Project,
  input: ImportedWorker,
  createNew: boolean,
): Promise<{ created: boolean; worker: MobileWorkerRecord } | null> {
  const now = deps.clock();
  let worker = await findMobileWorkerByUsername(trx, project.id, input.username);
  const created = worker === null;
  if (!worker) {
    if (!createNew) {
      return null;
    }
    const fields = validateWorker(project, input);
    worker = await insertMobileWorker(trx, project.id, { username: input.username, passwordHash: null, ...fields }, now);
    if (!worker) {
      throw new AppError('CONFLICT', `A mobile worker named "${input.username}" already exists in this project.`, { details: { field: 'username' } });
    }
  }
  const opts = { pendingTtlMs: deps.pendingTtlMs, now };
  for (const number of new Set(input.numbers)) {
    await addWorkerNumber(trx, { projectId: project.id, workerId: worker.id, number }, opts);
  }
  return { created, worker };
}
