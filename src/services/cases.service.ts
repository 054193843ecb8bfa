/**
 * @module services/cases.service — create, read, list, update, close and delete cases, keeping
 * each case's contact (DESIGN.md §3) and its phone registry entry (§4) in step with its properties.
 */
import { randomUUID } from 'node:crypto';

import { type CaseContact, type CaseContactReading, readCaseContact, toCaseContact, wantsTwoWay } from '../domain/case-contact.ts';
import { checkName } from '../domain/name.ts';
import type { Project } from '../domain/project.ts';
import { AppError } from '../errors.ts';
import { type CaseRecord, type CaseWithEntry, type CaseWrite, findCase, insertCases, listCases, lockCase, updateCaseRow } from '../store/case.store.ts';
import type { NewConsentEvent } from '../store/consent.store.ts';
import { recordConsent, recordConsentGrants } from './consent.service.ts';
import type { ConsentMethod, Db, Trx } from '../store/database.ts';
import { insertNewCase } from '../store/new-case.store.ts';
import { findAnyHolder } from '../store/phone-entry.store.ts';
import { isProjectMember } from '../store/user.store.ts';
import { findMobileWorker } from '../store/mobile-worker.store.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { type CaseNumberWish, insertNewCaseEntries, isLapsedPending, type RegistryOptions, releaseOwner, syncCaseEntry } from './phone-registry.service.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';

export type PropertyValue = string | number | boolean | null;

export interface CaseView {
  id: string;
  caseType: string;
  name: string;
  ownerId: string | null;
  externalId: string | null;
  closed: boolean;
  closedAt: string | null;
  properties: Record<string, string>;
  contact: CaseContact;
  createdAt: string;
  updatedAt: string;
}

export interface NewCaseInput {
  caseType: string;
  name: string;
  ownerId?: string | null | undefined;
  externalId?: string | null | undefined;
  properties?: Record<string, PropertyValue> | undefined;
}

export interface CaseUpdateInput {
  name?: string | undefined;
  properties?: Record<string, PropertyValue> | undefined;
}

/** Property values are stored as text: 1 → "1", true → "true". */
export function propertyText(value: PropertyValue): string | null {
  if (value === null) {
    return null;
  }
  return typeof value === 'string' ? value : String(value);
}

/** Merges changes into properties; null or "" clears a property. */
export function mergeProperties(base: Readonly<Record<string, string>>, changes: Record<string, PropertyValue>): Record<string, string> {
  const out: Record<string, string> = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    const text = propertyText(value);
    if (text === null || text === '') {
      delete out[key];
    } else {
      out[key] = text;
    }
  }
  return out;
}

export function toCaseView(c: CaseRecord, entryState: CaseWithEntry['entryState'], project: Project, reading?: CaseContactReading): CaseView {
  const r = reading ?? readCaseContact(c.properties, project);
  return {
    id: c.id,
    caseType: c.caseType,
    name: c.name,
    ownerId: c.ownerId,
    externalId: c.externalId,
    closed: c.closed,
    closedAt: c.closedAt ? c.closedAt.toISOString() : null,
    properties: c.properties,
    contact: toCaseContact(r, entryState, !c.closed && !c.deleted),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

function registryOptions(deps: ServiceDeps): RegistryOptions {
  return { pendingTtlMs: deps.pendingTtlMs, now: deps.clock() };
}

/** Refuses an owner (or submitter) that is not a mobile worker or web user of this project. */
export async function checkOwner(db: Db | Trx, project: Project, ownerId: string, field = 'ownerId'): Promise<void> {
  const exists = isUuid(ownerId) && ((await findMobileWorker(db, project.id, ownerId)) !== null || (await isProjectMember(db, project.id, ownerId)));
  if (!exists) {
    throw new AppError('VALIDATION_ERROR', `${field} must be the id of a mobile worker or web user of this project.`, { details: { field } });
  }
}

/** The number the case asks the registry for: none when closed, deleted or without a valid number. */
function entryWish(c: Pick<CaseRecord, 'closed' | 'deleted'>, reading: CaseContactReading): CaseNumberWish | null {
  const active = !c.closed && !c.deleted;
  return active && reading.phone.kind === 'valid' ? { number: reading.phone.e164, wantsTwoWay: wantsTwoWay(reading) } : null;
}

/** Saves the case's contact state to the registry inside the transaction. */
async function syncEntry(trx: Trx, deps: ServiceDeps, c: CaseRecord, reading: CaseContactReading) {
  return syncCaseEntry(trx, { projectId: c.projectId, caseId: c.id, wish: entryWish(c, reading) }, registryOptions(deps));
}

/** Who changed a case, for the consent ledger (Default: the API, no source). */
export interface ChangeContext {
  method: ConsentMethod;
  source: Record<string, unknown>;
}

const API_CHANGE: ChangeContext = { method: 'api', source: {} };

/** The consent event for a change of the consent property's meaning, or null when it did not change. */
function consentChange(c: Pick<CaseRecord, 'id' | 'projectId'>, before: boolean, after: CaseContactReading, ctx: ChangeContext): NewConsentEvent | null {
  if (before === after.smsConsent || after.phone.kind !== 'valid') {
    return null;
  }
  return {
    number: after.phone.e164,
    email: null,
    projectId: c.projectId,
    contactType: 'case',
    contactId: c.id,
    action: after.smsConsent ? 'consent-granted' : 'consent-withdrawn',
    method: ctx.method,
    source: ctx.source,
    gatewayId: null,
    gatewayName: null,
  };
}

/** Records consent granted or withdrawn when the consent property's meaning changed (consent.service: ledger, queued messages, open survey). */
async function recordConsentChange(trx: Trx, deps: ServiceDeps, c: CaseRecord, before: boolean, after: CaseContactReading, ctx: ChangeContext): Promise<void> {
  const event = consentChange(c, before, after, ctx);
  if (event?.number) {
    const origin = { method: ctx.method, source: ctx.source, projectId: c.projectId, contact: { type: 'case' as const, id: c.id }, gateway: null };
    await recordConsent(trx, deps, event.number, event.action === 'consent-granted', origin, deps.clock());
  }
}

/**
 * Creates one case with one statement (store/new-case.store.ts). When it wanted its number two-way
 * and another entry held it, the registry's rules settle whether that hold still counts (a pending
 * verification whose time ran out does not): only then a transaction follows.
 */
export async function createCase(deps: ServiceDeps, project: Project, input: NewCaseInput, ctx: ChangeContext = API_CHANGE): Promise<CaseView> {
  if (input.ownerId) {
    await checkOwner(deps.db, project, input.ownerId);
  }
  const { reading, write } = prepareCase(input, project);
  const id = randomUUID();
  const wish = entryWish({ closed: false, deleted: false }, reading);
  const consent = consentChange({ id, projectId: project.id }, false, reading, ctx);
  const created = await insertNewCase(deps.db, { id, projectId: project.id, write, entry: wish, consent, now: deps.clock() });
  let state = created.entryState;
  if (created.contended && wish && (await holdHasLapsed(deps, wish.number))) {
    state = await deps.db.transaction().execute((trx) => syncCaseEntry(trx, { projectId: project.id, caseId: id, wish }, registryOptions(deps)));
  }
  return toCaseView(created.record, state, project, reading);
}

/** Whether the number has no holder now, or only a pending hold whose time ran out. */
async function holdHasLapsed(deps: ServiceDeps, number: string): Promise<boolean> {
  const holder = await findAnyHolder(deps.db, number);
  return !holder || isLapsedPending(holder, deps.clock());
}

/** A new case's properties, contact reading and row. */
function prepareCase(input: NewCaseInput, project: Project): { reading: CaseContactReading; write: CaseWrite } {
  checkName('name', input.name);
  checkName('caseType', input.caseType);
  const properties = mergeProperties({}, input.properties ?? {});
  const reading = readCaseContact(properties, project);
  return {
    reading,
    write: {
      caseType: input.caseType,
      name: input.name,
      ownerId: input.ownerId ?? null,
      externalId: input.externalId ?? null,
      properties,
      phoneNumber: reading.phone.kind === 'valid' ? reading.phone.e164 : null,
    },
  };
}

/** createCase inside the caller's transaction (self-registration runs inside inbound processing). */
export async function createCaseInTransaction(trx: Trx, deps: ServiceDeps, project: Project, input: NewCaseInput, ctx: ChangeContext = API_CHANGE): Promise<CaseView> {
  const [view] = await createCasesInTransaction(trx, deps, project, [{ input, ctx }]);
  if (!view) {
    throw new Error('createCasesInTransaction returned no case');
  }
  return view;
}

/**
 * Creates several cases in the caller's transaction with one statement per table (an import's
 * chunk), with exactly the rules of one case: each owner is checked first (an AppError is thrown
 * before anything is written), then the cases, their registry entries in the order given (an
 * earlier case wins a number both want two-way) and their consent events.
 */
export async function createCasesInTransaction(trx: Trx, deps: ServiceDeps, project: Project, items: readonly { input: NewCaseInput; ctx: ChangeContext }[]): Promise<CaseView[]> {
  for (const { input } of items) {
    if (input.ownerId) {
      await checkOwner(trx, project, input.ownerId);
    }
  }
  const now = deps.clock();
  const prepared = items.map(({ input }) => prepareCase(input, project));
  const cases = await insertCases(trx, project.id, prepared.map((p) => p.write), now);
  const states = await insertNewCaseEntries(
    trx,
    cases.map((c, i) => ({ projectId: c.projectId, caseId: c.id, wish: entryWish(c, (prepared[i] as (typeof prepared)[number]).reading) })),
    registryOptions(deps),
  );
  // New cases can only be granted consent (nothing was queued for them, no survey is open).
  const grants = cases.flatMap((c, i) => {
    const ctx = (items[i] as (typeof items)[number]).ctx;
    const event = consentChange(c, false, (prepared[i] as (typeof prepared)[number]).reading, ctx);
    return event?.number ? [{ number: event.number, origin: { method: ctx.method, source: ctx.source, projectId: c.projectId, contact: { type: 'case' as const, id: c.id }, gateway: null } }] : [];
  });
  await recordConsentGrants(trx, grants);
  return cases.map((c, i) => toCaseView(c, states[i] ?? null, project, (prepared[i] as (typeof prepared)[number]).reading));
}

export async function getCase(deps: ServiceDeps, project: Project, caseId: string): Promise<CaseView> {
  const c = isUuid(caseId) ? await findCase(deps.db, project.id, caseId) : null;
  if (!c) {
    throw new AppError('NOT_FOUND', 'No such case in this project.');
  }
  return toCaseView(c, c.entryState, project);
}

export interface CaseListFilter {
  caseType?: string | undefined;
  search?: string | undefined;
  phoneNumber?: string | undefined;
  closed?: boolean | undefined;
  limit: number;
  cursor?: string | undefined;
}

export async function listProjectCases(deps: ServiceDeps, project: Project, f: CaseListFilter): Promise<Page<CaseView>> {
  const rows = await listCases(deps.db, project.id, {
    caseType: f.caseType,
    search: f.search,
    phoneNumber: f.phoneNumber,
    closed: f.closed,
    afterSeq: f.cursor === undefined ? undefined : decodeCursor(f.cursor),
    limit: f.limit + 1,
  });
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  return {
    items: page.map((c) => toCaseView(c, c.entryState, project)),
    nextCursor: rows.length > f.limit && last ? encodeCursor(last.seq) : null,
  };
}

type CaseChange = { kind: 'update'; input: CaseUpdateInput } | { kind: 'close' } | { kind: 'delete' };

async function changeCase(deps: ServiceDeps, project: Project, caseId: string, change: CaseChange, ctx: ChangeContext = API_CHANGE): Promise<CaseView> {
  if (!isUuid(caseId)) {
    throw new AppError('NOT_FOUND', 'No such case in this project.');
  }
  return deps.db.transaction().execute((trx) => changeCaseInTransaction(trx, deps, project, caseId, change, ctx));
}

async function changeCaseInTransaction(trx: Trx, deps: ServiceDeps, project: Project, caseId: string, change: CaseChange, ctx: ChangeContext): Promise<CaseView> {
  if (change.kind === 'update' && change.input.name !== undefined) {
    checkName('name', change.input.name);
  }
  const now = deps.clock();
  const current = await lockCase(trx, project.id, caseId);
  if (!current) {
    throw new AppError('NOT_FOUND', 'No such case in this project.');
  }
  const properties = change.kind === 'update' && change.input.properties ? mergeProperties(current.properties, change.input.properties) : current.properties;
  const reading = readCaseContact(properties, project);
  const updated = await updateCaseRow(
    trx,
    caseId,
    {
      name: change.kind === 'update' && change.input.name !== undefined ? change.input.name : current.name,
      properties,
      phoneNumber: reading.phone.kind === 'valid' ? reading.phone.e164 : null,
      closed: change.kind === 'close',
      deleted: change.kind === 'delete',
    },
    now,
  );
  let state: CaseWithEntry['entryState'];
  if (updated.closed || updated.deleted) {
    await releaseOwner(trx, 'case', caseId, registryOptions(deps));
    state = null;
  } else {
    state = await syncEntry(trx, deps, updated, reading);
  }
  // After the registry, as imports do: the number's registry lock, then its consent lock, in every
  // transaction, so two of them never wait for each other in opposite orders.
  await recordConsentChange(trx, deps, updated, readCaseContact(current.properties, project).smsConsent, reading, ctx);
  return toCaseView(updated, state, project, reading);
}

/** updateCase inside the caller's transaction (imports apply a chunk of rows in one; survey answers are saved inside inbound processing). `caseId` must be a uuid. */
export function updateCaseInTransaction(trx: Trx, deps: ServiceDeps, project: Project, caseId: string, input: CaseUpdateInput, ctx: ChangeContext): Promise<CaseView> {
  return changeCaseInTransaction(trx, deps, project, caseId, { kind: 'update', input }, ctx);
}

/** Merges properties (null or "" clears one) and re-evaluates the contact, even with no change. */
export function updateCase(deps: ServiceDeps, project: Project, caseId: string, input: CaseUpdateInput, ctx: ChangeContext = API_CHANGE): Promise<CaseView> {
  return changeCase(deps, project, caseId, { kind: 'update', input }, ctx);
}

/** Closes the case; its number is released and the next eligible contact promoted. */
export function closeCase(deps: ServiceDeps, project: Project, caseId: string): Promise<CaseView> {
  return changeCase(deps, project, caseId, { kind: 'close' });
}

/** Deletes the case (kept for the record, invisible to the API); its number is released. */
export async function deleteCase(deps: ServiceDeps, project: Project, caseId: string): Promise<void> {
  await changeCase(deps, project, caseId, { kind: 'delete' });
}
