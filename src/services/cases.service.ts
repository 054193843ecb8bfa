/**
 * @module services/cases.service — create, read, list, update, close and delete cases, keeping
 * each case's contact (DESIGN.md §3) and its phone registry entry (§4) in step with its properties.
 */
import { randomUUID } from 'node:crypto';

import { type CaseContact, type CaseContactReading, type ContactProblem, type PhoneStatus, readCaseContact, toCaseContact, wantsTwoWay } from '../domain/case-contact.ts';
import { matchLanguage } from '../domain/language.ts';
import { checkName } from '../domain/name.ts';
import type { Project } from '../domain/project.ts';
import { canonicalTimeZone } from '../domain/time-zone.ts';
import { AppError } from '../errors.ts';
import {
  type CaseFilter,
  type CaseKey,
  type CaseRecord,
  type CaseSort,
  type CaseWithEntry,
  type CaseWrite,
  contactValuesInUse,
  problemCaseIdList,
  countFilteredCases,
  findCase,
  insertCases,
  listCases,
  listFilteredCases,
  lockCase,
  type ProblemCheck,
  updateCaseRow,
} from '../store/case.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import type { NewConsentEvent } from '../store/consent.store.ts';
import { recordConsent, recordConsentGrants } from './consent.service.ts';
import type { ConsentMethod, Db, Trx } from '../store/database.ts';
import { insertNewCase } from '../store/new-case.store.ts';
import { findAnyHolder, findAnyHolders } from '../store/phone-entry.store.ts';
import { isProjectMember } from '../store/user.store.ts';
import { findMobileWorker } from '../store/mobile-worker.store.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { normaliseLookupNumber } from '../domain/phone-number.ts';
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
  contact: CaseContactView;
  createdAt: string;
  updatedAt: string;
}

/**
 * Who holds a number for replies, as a problem or a number shows it: named and linked only when
 * the holder is in the viewer's project; otherwise only that it is "a contact in another project".
 */
export type NumberHolder = { type: 'case' | 'mobile-worker'; id: string; name: string } | { type: 'another-project' };

export interface CaseProblemView extends ContactProblem {
  /** PHONE_NUMBER_IN_USE: the contact that receives the number's replies (on reads of one case). */
  holder?: NumberHolder;
}

/** The contact of a case view: the domain's contact, and whether its number opted out (STOP). */
export interface CaseContactView extends Omit<CaseContact, 'problems'> {
  /** The number sent STOP (or was opted out): nothing but the opt-out's confirmation goes to it. */
  optedOut: boolean;
  problems: CaseProblemView[];
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
    contact: { ...toCaseContact(r, entryState, !c.closed && !c.deleted), optedOut: false },
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
  const [view] = await withNumberFacts(deps, project, [toCaseView(created.record, state, project, reading)], false);
  return view as CaseView;
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
  const [view] = await withNumberFacts(deps, project, [toCaseView(c, c.entryState, project)], true);
  return view as CaseView;
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
    items: await withNumberFacts(deps, project, page.map((c) => toCaseView(c, c.entryState, project)), false),
    nextCursor: rows.length > f.limit && last ? encodeCursor(last.seq) : null,
  };
}

type CaseChange = { kind: 'update'; input: CaseUpdateInput } | { kind: 'close' } | { kind: 'delete' };

async function changeCase(deps: ServiceDeps, project: Project, caseId: string, change: CaseChange, ctx: ChangeContext = API_CHANGE): Promise<CaseView> {
  if (!isUuid(caseId)) {
    throw new AppError('NOT_FOUND', 'No such case in this project.');
  }
  const view = await deps.db.transaction().execute((trx) => changeCaseInTransaction(trx, deps, project, caseId, change, ctx));
  const [withFacts] = await withNumberFacts(deps, project, [view], false);
  return withFacts as CaseView;
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
    await releaseOwner(trx, project.id, 'case', caseId, registryOptions(deps));
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

/** What the registry and the opt-out list say about numbers, as this project may see it. */
export interface NumberFacts {
  optedOut: Set<string>;
  /** The holder of each number held two-way (or pending) by someone. */
  holders: Map<string, NumberHolder & { ownId?: string }>;
}

/** Opt-outs and reply holders of the numbers given; a holder outside the project is not named. */
export async function numberFacts(deps: ServiceDeps, project: Project, numbers: readonly string[], withHolders: boolean): Promise<NumberFacts> {
  const distinct = [...new Set(numbers)];
  const [optedOut, entries] = await Promise.all([findOptedOut(deps.db, distinct), withHolders ? findAnyHolders(deps.db, distinct) : Promise.resolve(new Map())]);
  const holders = new Map<string, NumberHolder & { ownId?: string }>();
  const caseIds: string[] = [];
  const workerIds: string[] = [];
  for (const e of entries.values()) {
    if (e.projectId === project.id) {
      (e.ownerType === 'case' ? caseIds : workerIds).push(e.ownerId);
    }
  }
  const [caseNames, workerNames] = await Promise.all([
    caseIds.length ? deps.db.selectFrom('cases').select(['id', 'name']).where('project_id', '=', project.id).where('deleted_at', 'is', null).where('id', 'in', caseIds).execute() : Promise.resolve([]),
    workerIds.length
      ? deps.db.selectFrom('mobile_workers').select(['id', 'username as name']).where('project_id', '=', project.id).where('deleted_at', 'is', null).where('id', 'in', workerIds).execute()
      : Promise.resolve([]),
  ]);
  const names = new Map([...caseNames, ...workerNames].map((r) => [r.id, r.name]));
  for (const [number, e] of entries) {
    const name = e.projectId === project.id ? names.get(e.ownerId) : undefined;
    holders.set(number, name === undefined ? { type: 'another-project' } : { type: e.ownerType, id: e.ownerId, name });
  }
  return { optedOut, holders };
}

/** Sets `contact.optedOut` (and, with `withHolders`, who holds a number in use) on the views. */
export async function withNumberFacts(deps: ServiceDeps, project: Project, views: CaseView[], withHolders: boolean): Promise<CaseView[]> {
  const numbers = views.flatMap((v) => (v.contact.phoneNumber ? [v.contact.phoneNumber] : []));
  if (numbers.length === 0) {
    return views;
  }
  const inUse = withHolders ? views.filter((v) => v.contact.problems.some((p) => p.code === 'PHONE_NUMBER_IN_USE')).flatMap((v) => (v.contact.phoneNumber ? [v.contact.phoneNumber] : [])) : [];
  const facts = await numberFacts(deps, project, numbers, inUse.length > 0);
  return views.map((v) => {
    const n = v.contact.phoneNumber;
    if (!n) {
      return v;
    }
    const holder = facts.holders.get(n);
    const problems = v.contact.problems.map((p) => (p.code === 'PHONE_NUMBER_IN_USE' && holder && !(holder.type === 'case' && holder.id === v.id) ? { ...p, holder: stripOwn(holder) } : p));
    return { ...v, contact: { ...v.contact, optedOut: facts.optedOut.has(n), problems } };
  });
}

function stripOwn(h: NumberHolder & { ownId?: string }): NumberHolder {
  return h.type === 'another-project' ? { type: 'another-project' } : { type: h.type, id: h.id, name: h.name };
}

/** The contacts list's filters as the UI and the API take them (UI.md: contacts list). */
export interface ContactFilter {
  caseType?: string | undefined;
  phoneStatus?: PhoneStatus | undefined;
  consent?: boolean | undefined;
  optedOut?: boolean | undefined;
  /** true: only cases with a problem. */
  problems?: boolean | undefined;
  ownerId?: string | undefined;
  /** Dates (YYYY-MM-DD) in the project's time zone, both included. */
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
  /** Part of the name, or a number (found by its normalised form or its digits). */
  search?: string | undefined;
  phoneNumber?: string | undefined;
  closed?: boolean | undefined;
  ids?: readonly string[] | undefined;
}

export const CONTACT_SORTS = ['newest', 'oldest', 'name'] as const;

/** Up to this many matching cases are counted exactly; past it the list says "10,000+". */
export const COUNT_CAP = 10_000;

/**
 * The time zones and languages in use in the project that the case view refuses, judged by the
 * same functions (canonicalTimeZone, matchLanguage): what the "has problems" filter reads by index.
 */
async function judgeContactValues(deps: ServiceDeps, project: Project): Promise<ProblemCheck> {
  const inUse = await contactValuesInUse(deps.db, project.id);
  const check: ProblemCheck = {
    badTimeZones: inUse.timeZones.filter((z) => z !== '' && canonicalTimeZone(z) === null),
    badLanguages: inUse.languages.filter((l) => matchLanguage(l, project.languages) === null),
  };
  // Few cases with problems: named to the list by id. Many: found by a hashed lookup as it walks.
  const ids = await problemCaseIdList(deps.db, project.id, check, COUNT_CAP + 1);
  return ids.length <= COUNT_CAP ? { ...check, ids } : { ...check, atLeast: ids.length };
}

/** The store's filter for a contacts filter (the problem values are judged first when asked). */
export async function storeFilter(deps: ServiceDeps, project: Project, f: ContactFilter): Promise<CaseFilter> {
  return toCaseFilter(project, f, f.problems ? await judgeContactValues(deps, project) : undefined);
}

/** Midnight at the start of a YYYY-MM-DD day in the zone, as an instant. */
export function startOfDay(date: string, zone: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) {
    throw new AppError('VALIDATION_ERROR', `"${date}" is not a date; use YYYY-MM-DD.`, { details: { field: 'created' } });
  }
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(utc)) {
    throw new AppError('VALIDATION_ERROR', `"${date}" is not a date; use YYYY-MM-DD.`, { details: { field: 'created' } });
  }
  // The zone's offset at that moment (twice, for a day that starts right after a change).
  let at = utc;
  for (let i = 0; i < 2; i++) {
    at = utc - zoneOffsetMs(new Date(at), zone);
  }
  return new Date(at);
}

function zoneOffsetMs(at: Date, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at.getTime() / 1000) * 1000;
}

/** The store's filter for a contact filter: dates in the project's zone, a search split into name or number. */
function toCaseFilter(project: Project, f: ContactFilter, problems: ProblemCheck | undefined): CaseFilter {
  const out: CaseFilter = {
    caseType: f.caseType,
    phoneStatus: f.phoneStatus,
    consent: f.consent,
    optedOut: f.optedOut,
    problems,
    ownerId: f.ownerId,
    closed: f.closed,
    ids: f.ids,
    phoneNumber: f.phoneNumber,
  };
  // Ids that are not uuids match nothing (and never reach a uuid column).
  if ((f.ownerId !== undefined && !isUuid(f.ownerId)) || (f.ids !== undefined && !f.ids.every(isUuid))) {
    out.ownerId = undefined;
    out.ids = f.ids?.filter(isUuid) ?? [];
    if (f.ownerId !== undefined && !isUuid(f.ownerId)) {
      out.ids = [];
    }
  }
  if (f.createdFrom) {
    out.createdFrom = startOfDay(f.createdFrom, project.timeZone);
  }
  if (f.createdTo) {
    const next = new Date(startOfDay(f.createdTo, project.timeZone).getTime() + 36 * 3600_000);
    out.createdBefore = startOfDay(next.toISOString().slice(0, 10), project.timeZone);
  }
  const search = f.search?.trim();
  if (search) {
    // A search made of digits (and + ( ) - . spaces) is a number: the whole normalised number when it
    // is one, else part of the digits. Anything else is part of the name.
    if (/^[+\d][\d\s().-]*$/.test(search) && /\d{3}/.test(search.replace(/\D/g, ''))) {
      const full = normaliseLookupNumber(search, project.defaultCountry);
      if (full) {
        out.phoneNumber = full;
      } else {
        out.phoneDigits = search.replace(/\D/g, '');
      }
    } else {
      out.name = search;
    }
  }
  return out;
}

function encodeKey(sort: (typeof CONTACT_SORTS)[number], c: { seq: string; name: string }): string {
  return sort === 'name' ? Buffer.from(`n:${c.seq}:${c.name}`, 'utf8').toString('base64url') : encodeCursor(c.seq);
}

function decodeKey(sort: (typeof CONTACT_SORTS)[number], cursor: string): CaseKey {
  if (sort !== 'name') {
    return { seq: decodeCursor(cursor) };
  }
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^n:(\d{1,19}):([\s\S]*)$/.exec(text);
  if (!m?.[1]) {
    throw new AppError('VALIDATION_ERROR', 'The cursor is not valid; use the nextCursor of a previous page.', { details: { field: 'cursor' } });
  }
  return { seq: m[1], name: m[2] ?? '' };
}

type ListPage = { sort?: (typeof CONTACT_SORTS)[number] | undefined; limit: number; cursor?: string | undefined };

/** A page of the contacts list: filtered, in the order asked (newest first by default). */
export async function searchProjectCases(deps: ServiceDeps, project: Project, f: ContactFilter, page: ListPage): Promise<Page<CaseView>> {
  return pageOfCases(deps, project, await storeFilter(deps, project, f), page);
}

/** How many cases match: exact up to COUNT_CAP, else `atLeast` (a count of a million rows is a scan). */
export async function countProjectCases(deps: ServiceDeps, project: Project, f: ContactFilter, cap = COUNT_CAP): Promise<{ count: number; atLeast: boolean }> {
  return countOfCases(deps, project, await storeFilter(deps, project, f), cap);
}

/** A page and the count of one filter (what the contacts list shows), the filter judged once. */
export async function searchAndCountProjectCases(deps: ServiceDeps, project: Project, f: ContactFilter, page: ListPage): Promise<{ page: Page<CaseView>; total: { count: number; atLeast: boolean } }> {
  const filter = await storeFilter(deps, project, f);
  const [items, total] = await Promise.all([pageOfCases(deps, project, filter, page), countOfCases(deps, project, filter, COUNT_CAP)]);
  return { page: items, total };
}

async function pageOfCases(deps: ServiceDeps, project: Project, filter: CaseFilter, page: ListPage): Promise<Page<CaseView>> {
  const sort = page.sort ?? 'newest';
  const after = page.cursor ? decodeKey(sort, page.cursor) : null;
  const rows = await listFilteredCases(deps.db, project.id, filter, sort as CaseSort, after, page.limit + 1);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: await withNumberFacts(deps, project, items.map((c) => toCaseView(c, c.entryState, project)), false),
    nextCursor: rows.length > page.limit && last ? encodeKey(sort, last) : null,
  };
}

async function countOfCases(deps: ServiceDeps, project: Project, filter: CaseFilter, cap: number): Promise<{ count: number; atLeast: boolean }> {
  const n = await countFilteredCases(deps.db, project.id, filter, cap + 1);
  return n > cap ? { count: cap, atLeast: true } : { count: n, atLeast: false };
}

/** Closes each case given; says per case what happened (closed, already closed, not found). */
export async function closeCases(deps: ServiceDeps, project: Project, ids: readonly string[]): Promise<{ closed: number; alreadyClosed: number; notFound: number }> {
  const out = { closed: 0, alreadyClosed: 0, notFound: 0 };
  for (const id of new Set(ids)) {
    const current = isUuid(id) ? await findCase(deps.db, project.id, id) : null;
    if (!current) {
      out.notFound++;
    } else if (current.closed) {
      out.alreadyClosed++;
    } else {
      await closeCase(deps, project, id);
      out.closed++;
    }
  }
  return out;
}
