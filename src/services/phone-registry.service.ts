/**
 * @module services/phone-registry.service — who holds which number (DESIGN.md §4).
 * One two-way-or-pending holder per number across the whole server, first come first served;
 * one-way sharing allowed; when the holder lets go, the earliest remaining contact that wants the
 * number two-way is promoted at once (a case to two-way, a mobile worker to pending verification).
 * Every function takes a transaction and locks the numbers it touches.
 */
import type { EntryState } from '../domain/case-contact.ts';
import type { Trx } from '../store/database.ts';
import {
  deleteEntry,
  expirePending,
  findAnyHolder,
  findAnyHolders,
  findEntriesByOwner,
  findHolder,
  findNextEligible,
  insertEntries,
  insertEntry,
  lockNumbers,
  type OwnerType,
  type PhoneEntry,
  setEntryState,
  setEntryWish,
} from '../store/phone-entry.store.ts';

export interface RegistryOptions {
  /** How long a pending verification reserves its number, in ms. */
  pendingTtlMs: number;
  now: Date;
}

/** Whether the entry is a pending hold whose time ran out at `now` (it no longer reserves the number). */
export function isLapsedPending(entry: Pick<PhoneEntry, 'state' | 'pendingExpiresAt'>, now: Date): boolean {
  return entry.state === 'pending' && entry.pendingExpiresAt !== null && entry.pendingExpiresAt <= now;
}

/** Gives the number to the next eligible contact if nobody holds it. Caller holds the number's lock. */
export async function promoteNext(trx: Trx, number: string, opts: RegistryOptions): Promise<PhoneEntry | null> {
  await expirePending(trx, number, opts.now);
  if (await findHolder(trx, number, opts.now)) {
    return null;
  }
  const next = await findNextEligible(trx, number);
  if (!next) {
    return null;
  }
  if (next.ownerType === 'case') {
    await setEntryState(trx, next.id, { state: 'two-way', verifiedAt: opts.now, now: opts.now });
    return { ...next, state: 'two-way' };
  }
  const expires = new Date(opts.now.getTime() + opts.pendingTtlMs);
  await setEntryState(trx, next.id, { state: 'pending', pendingExpiresAt: expires, now: opts.now });
  return { ...next, state: 'pending', pendingExpiresAt: expires };
}

/** Whether another entry holds the number now; a pending hold whose time ran out is ended here. */
async function heldByAnother(trx: Trx, number: string, entryId: string | null, opts: RegistryOptions): Promise<boolean> {
  const holder = await findAnyHolder(trx, number);
  if (!holder || holder.id === entryId) {
    return false;
  }
  if (isLapsedPending(holder, opts.now)) {
    await expirePending(trx, number, opts.now);
    return false;
  }
  return true;
}

/** Tries to make the entry the number's holder in `target` state. Caller holds the lock. */
async function claim(trx: Trx, entry: PhoneEntry, target: 'two-way' | 'pending', opts: RegistryOptions): Promise<EntryState> {
  if (await heldByAnother(trx, entry.number, entry.id, opts)) {
    return entry.state;
  }
  if (target === 'pending') {
    await setEntryState(trx, entry.id, { state: 'pending', pendingExpiresAt: new Date(opts.now.getTime() + opts.pendingTtlMs), now: opts.now });
  } else {
    await setEntryState(trx, entry.id, { state: 'two-way', verifiedAt: opts.now, now: opts.now });
  }
  return target;
}

/** Removes an entry; if it held the number, the next eligible contact is promoted. Caller holds the lock. */
async function release(trx: Trx, entry: PhoneEntry, opts: RegistryOptions): Promise<void> {
  await deleteEntry(trx, entry.id);
  if (entry.state !== 'one-way') {
    await promoteNext(trx, entry.number, opts);
  }
}

export interface CaseNumberWish {
  number: string;
  wantsTwoWay: boolean;
}

/**
 * Brings a case's registry entry in line with its properties: no entry when the case has no valid
 * number or is closed/deleted; otherwise one entry, two-way when it has consent and the number is free.
 * Returns the entry's state (null: no entry).
 */
export async function syncCaseEntry(
  trx: Trx,
  c: { projectId: string; caseId: string; wish: CaseNumberWish | null },
  opts: RegistryOptions,
): Promise<EntryState | null> {
  const before = await findEntriesByOwner(trx, c.projectId, 'case', [c.caseId]);
  await lockNumbers(trx, [...before.map((e) => e.number), ...(c.wish ? [c.wish.number] : [])]);
  // Re-read under the locks: a promotion elsewhere may have changed our entry's state.
  const existing = await findEntriesByOwner(trx, c.projectId, 'case', [c.caseId]);
  for (const e of existing) {
    if (!c.wish || e.number !== c.wish.number) {
      await release(trx, e, opts);
    }
  }
  if (!c.wish) {
    return null;
  }
  let entry =
    existing.find((e) => e.number === c.wish?.number) ??
    (await insertEntry(trx, { number: c.wish.number, projectId: c.projectId, ownerType: 'case', ownerId: c.caseId, wantsTwoWay: c.wish.wantsTwoWay, now: opts.now }));
  if (entry.wantsTwoWay !== c.wish.wantsTwoWay) {
    await setEntryWish(trx, entry.id, c.wish.wantsTwoWay, opts.now);
    entry = { ...entry, wantsTwoWay: c.wish.wantsTwoWay };
    if (!c.wish.wantsTwoWay && entry.state !== 'one-way') {
      await setEntryState(trx, entry.id, { state: 'one-way', now: opts.now });
      await promoteNext(trx, entry.number, opts);
      return 'one-way';
    }
  }
  if (c.wish.wantsTwoWay && entry.state === 'one-way') {
    return claim(trx, entry, 'two-way', opts);
  }
  return entry.state;
}

/**
 * Entries for cases just created (one, or an import's chunk), decided in the order given: the numbers are
 * locked together, their holders read at once, and a number claimed two-way by an earlier case of
 * the list is one-way for the later ones. Returns each case's entry state (null: no entry).
 */
export async function insertNewCaseEntries(trx: Trx, cases: readonly { projectId: string; caseId: string; wish: CaseNumberWish | null }[], opts: RegistryOptions): Promise<(EntryState | null)[]> {
  const numbers = cases.flatMap((c) => (c.wish ? [c.wish.number] : []));
  if (numbers.length === 0) {
    return cases.map(() => null);
  }
  await lockNumbers(trx, numbers);
  const wanted = [...new Set(cases.flatMap((c) => (c.wish?.wantsTwoWay ? [c.wish.number] : [])))];
  const holders = await findAnyHolders(trx, wanted);
  const taken = new Set<string>();
  for (const number of wanted) {
    const holder = holders.get(number);
    if (!holder) {
      continue;
    }
    // A pending hold whose time ran out is ended here, as heldByAnother does for one number.
    if (isLapsedPending(holder, opts.now)) {
      await expirePending(trx, number, opts.now);
    } else {
      taken.add(number);
    }
  }
  const rows = cases.flatMap((c) => {
    if (!c.wish) {
      return [];
    }
    const twoWay = c.wish.wantsTwoWay && !taken.has(c.wish.number);
    if (twoWay) {
      taken.add(c.wish.number);
    }
    return [{ number: c.wish.number, projectId: c.projectId, ownerType: 'case' as const, ownerId: c.caseId, wantsTwoWay: c.wish.wantsTwoWay, now: opts.now, state: twoWay ? ('two-way' as const) : ('one-way' as const) }];
  });
  const inserted = await insertEntries(trx, rows);
  const stateOf = new Map(inserted.map((e) => [e.ownerId, e.state]));
  return cases.map((c) => stateOf.get(c.caseId) ?? null);
}

/** Releases every number an owner holds (case closed or deleted, worker deleted). */
export async function releaseOwner(trx: Trx, projectId: string, ownerType: OwnerType, ownerId: string, opts: RegistryOptions): Promise<void> {
  const before = await findEntriesByOwner(trx, projectId, ownerType, [ownerId]);
  if (before.length === 0) {
    return;
  }
  await lockNumbers(trx, before.map((e) => e.number));
  for (const e of await findEntriesByOwner(trx, projectId, ownerType, [ownerId])) {
    await release(trx, e, opts);
  }
}

/** Adds a one-way number to a mobile worker. Returns null when the worker already has it. */
export async function addWorkerNumber(trx: Trx, w: { projectId: string; workerId: string; number: string }, opts: RegistryOptions): Promise<PhoneEntry | null> {
  await lockNumbers(trx, [w.number]);
  const existing = await findEntriesByOwner(trx, w.projectId, 'mobile-worker', [w.workerId]);
  if (existing.some((e) => e.number === w.number)) {
    return null;
  }
  return insertEntry(trx, { number: w.number, projectId: w.projectId, ownerType: 'mobile-worker', ownerId: w.workerId, wantsTwoWay: false, now: opts.now });
}

/** Removes one number from a mobile worker. Returns false when the worker does not have it. */
export async function removeWorkerNumber(trx: Trx, w: { projectId: string; workerId: string; number: string }, opts: RegistryOptions): Promise<boolean> {
  await lockNumbers(trx, [w.number]);
  const entry = (await findEntriesByOwner(trx, w.projectId, 'mobile-worker', [w.workerId])).find((e) => e.number === w.number);
  if (!entry) {
    return false;
  }
  await release(trx, entry, opts);
  return true;
}

export type VerificationStart = 'started' | 'resent' | 'already_verified' | 'already_in_use';

/**
 * Puts a worker's number into pending verification (DESIGN.md §7). Sending the SMS is the caller's job.
 * A worker that finds the number in use keeps wanting it, so it is promoted when the holder lets go.
 */
export async function startWorkerVerification(trx: Trx, w: { projectId: string; workerId: string; number: string }, opts: RegistryOptions): Promise<VerificationStart | null> {
  await lockNumbers(trx, [w.number]);
  const entry = (await findEntriesByOwner(trx, w.projectId, 'mobile-worker', [w.workerId])).find((e) => e.number === w.number);
  if (!entry) {
    return null;
  }
  if (entry.state === 'two-way') {
    return 'already_verified';
  }
  if (entry.state === 'pending' && entry.pendingExpiresAt && entry.pendingExpiresAt > opts.now) {
    return 'resent';
  }
  if (!entry.wantsTwoWay) {
    await setEntryWish(trx, entry.id, true, opts.now);
  }
  const state = await claim(trx, { ...entry, wantsTwoWay: true }, 'pending', opts);
  return state === 'pending' ? 'started' : 'already_in_use';
}

/**
 * Makes a worker's number two-way: from pending (the `123` reply) or directly when the number is
 * free (SMS self-registration, where the person texted from the phone). Returns false when another
 * contact holds it.
 */
export async function verifyWorkerNumber(trx: Trx, w: { projectId: string; workerId: string; number: string }, opts: RegistryOptions): Promise<boolean> {
  await lockNumbers(trx, [w.number]);
  const entry = (await findEntriesByOwner(trx, w.projectId, 'mobile-worker', [w.workerId])).find((e) => e.number === w.number);
  if (!entry) {
    return false;
  }
  if (entry.state === 'two-way') {
    return true;
  }
  await expirePending(trx, w.number, opts.now);
  const holder = await findHolder(trx, w.number, opts.now);
  if (holder && holder.id !== entry.id) {
    return false;
  }
  await setEntryState(trx, entry.id, { state: 'two-way', verifiedAt: opts.now, now: opts.now });
  return true;
}
