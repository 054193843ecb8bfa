/**
 * @module store/phone-entry.store — the phone registry rows (DESIGN.md §4) and the per-number lock.
 * Every change to who holds a number runs in a transaction holding lockNumber() for that number;
 * the partial unique index phone_entries_one_holder_key is the backstop if code ever forgets.
 */
import { type Selectable, sql } from 'kysely';

import type { EntryState } from '../domain/case-contact.ts';
import { everyColumnOf } from './columns.ts';
import type { Db, PhoneEntryTable, Trx } from './database.ts';
import { runPrepared } from './prepared-statements.ts';

/** Every column of phone_entries, for prepared statements (store/columns.ts: never `*`). */
const PHONE_ENTRY_COLUMNS = everyColumnOf<PhoneEntryTable>()([
  'id', 'number', 'project_id', 'owner_type', 'owner_id', 'state', 'wants_two_way', 'wanted_at', 'pending_expires_at', 'verified_at', 'created_at', 'updated_at',
]);

export type OwnerType = 'case' | 'mobile-worker';

export interface PhoneEntry {
  id: string;
  number: string;
  projectId: string;
  ownerType: OwnerType;
  ownerId: string;
  state: EntryState;
  wantsTwoWay: boolean;
  wantedAt: Date | null;
  pendingExpiresAt: Date | null;
  verifiedAt: Date | null;
  createdAt: Date;
}

function rowToEntry(row: Selectable<PhoneEntryTable>): PhoneEntry {
  return {
    id: String(row.id),
    number: row.number,
    projectId: row.project_id,
    ownerType: row.owner_type,
    ownerId: row.owner_id,
    state: row.state,
    wantsTwoWay: row.wants_two_way,
    wantedAt: row.wanted_at,
    pendingExpiresAt: row.pending_expires_at,
    verifiedAt: row.verified_at,
    createdAt: row.created_at,
  };
}

/** Serialises every ownership change for one number until the transaction ends. */
export async function lockNumbers(trx: Trx, numbers: readonly string[]): Promise<void> {
  // Sorted, so two transactions locking the same pair cannot deadlock; several in one statement,
  // taken in the array's order.
  const sorted = [...new Set(numbers)].sort();
  if (sorted.length === 1) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${sorted[0]}, 7218))`.execute(trx);
  } else if (sorted.length > 1) {
    await sql`select pg_advisory_xact_lock(hashtextextended(s.n, 7218)) from (select u.n from unnest(${sorted}::text[]) with ordinality as u(n, i) order by u.i) as s`.execute(trx);
  }
}

/** The entries of a project's owners (the project first: with phone_entries distributed by project, one shard). */
export async function findEntriesByOwner(db: Db | Trx, projectId: string, ownerType: OwnerType, ownerIds: readonly string[]): Promise<PhoneEntry[]> {
  if (ownerIds.length === 0) {
    return [];
  }
  const rows = await db
    .selectFrom('phone_entries')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('owner_type', '=', ownerType)
    .where('owner_id', 'in', ownerIds)
    .orderBy('id')
    .execute();
  return rows.map(rowToEntry);
}

export async function findEntriesByNumber(db: Db | Trx, number: string): Promise<PhoneEntry[]> {
  const rows = await runPrepared(db, db.selectFrom('phone_entries').select(PHONE_ENTRY_COLUMNS).where('number', '=', number).orderBy('id').compile());
  return rows.map(rowToEntry);
}

/** The entry holding the number as two-way or pending (unexpired at `now`), if any. */
export async function findHolder(db: Db | Trx, number: string, now: Date): Promise<PhoneEntry | null> {
  const row = await db
    .selectFrom('phone_entries')
    .selectAll()
    .where('number', '=', number)
    .where((eb) => eb.or([eb('state', '=', 'two-way'), eb.and([eb('state', '=', 'pending'), eb('pending_expires_at', '>', now)])]))
    .executeTakeFirst();
  return row ? rowToEntry(row) : null;
}

/** Numbers (of those given) held two-way or pending by an entry other than those listed. */
export async function findNumbersHeldElsewhere(db: Db | Trx, entryIds: readonly string[], numbers: readonly string[], now: Date): Promise<Set<string>> {
  if (numbers.length === 0) {
    return new Set();
  }
  let q = db
    .selectFrom('phone_entries')
    .select('number')
    .where('number', 'in', numbers)
    .where((eb) => eb.or([eb('state', '=', 'two-way'), eb.and([eb('state', '=', 'pending'), eb('pending_expires_at', '>', now)])]));
  if (entryIds.length > 0) {
    q = q.where('id', 'not in', entryIds);
  }
  const rows = await q.execute();
  return new Set(rows.map((r) => r.number));
}

/** Pending entries for the number whose time ran out: they stop reserving it. */
export async function expirePending(trx: Trx, number: string, now: Date): Promise<void> {
  await trx
    .updateTable('phone_entries')
    .set({ state: 'one-way', pending_expires_at: null, wants_two_way: false, wanted_at: null, updated_at: now })
    .where('number', '=', number)
    .where('state', '=', 'pending')
    .where('pending_expires_at', '<=', now)
    .execute();
}

/** The entry holding the number as two-way or pending, whether or not the pending time has run out. */
export async function findAnyHolder(db: Db | Trx, number: string): Promise<PhoneEntry | null> {
  const row = await db.selectFrom('phone_entries').selectAll().where('number', '=', number).where('state', 'in', ['two-way', 'pending']).executeTakeFirst();
  return row ? rowToEntry(row) : null;
}

export interface NewEntry {
  number: string;
  projectId: string;
  ownerType: OwnerType;
  ownerId: string;
  wantsTwoWay: boolean;
  now: Date;
  state?: 'one-way' | 'two-way';
}

export async function insertEntry(trx: Trx, e: NewEntry): Promise<PhoneEntry> {
  const [entry] = await insertEntries(trx, [e]);
  if (!entry) {
    throw new Error('insertEntry returned no row');
  }
  return entry;
}

/** Inserts entries with one statement; returned in the order given. */
export async function insertEntries(trx: Trx, entries: readonly NewEntry[]): Promise<PhoneEntry[]> {
  if (entries.length === 0) {
    return [];
  }
  const rows = await trx
    .insertInto('phone_entries')
    .values(
      entries.map((e) => ({
        number: e.number,
        project_id: e.projectId,
        owner_type: e.ownerType,
        owner_id: e.ownerId,
        state: e.state ?? 'one-way',
        wants_two_way: e.wantsTwoWay,
        wanted_at: e.wantsTwoWay ? e.now : null,
        pending_expires_at: null,
        verified_at: e.state === 'two-way' ? e.now : null,
        created_at: e.now,
        updated_at: e.now,
      })),
    )
    .returningAll()
    .execute();
  const byOwner = new Map(rows.map((r) => [`${r.owner_type}:${r.owner_id}:${r.number}`, rowToEntry(r)]));
  return entries.map((e) => byOwner.get(`${e.ownerType}:${e.ownerId}:${e.number}`) as PhoneEntry);
}

/** The entries holding the numbers as two-way or pending (expired or not), by number. */
export async function findAnyHolders(db: Db | Trx, numbers: readonly string[]): Promise<Map<string, PhoneEntry>> {
  if (numbers.length === 0) {
    return new Map();
  }
  const rows = await db.selectFrom('phone_entries').selectAll().where('number', 'in', [...new Set(numbers)]).where('state', 'in', ['two-way', 'pending']).execute();
  return new Map(rows.map((r) => [r.number, rowToEntry(r)]));
}

export async function setEntryState(
  trx: Trx,
  id: string,
  change: { state: EntryState; pendingExpiresAt?: Date | null; verifiedAt?: Date | null; now: Date },
): Promise<void> {
  await trx
    .updateTable('phone_entries')
    .set({
      state: change.state,
      pending_expires_at: change.state === 'pending' ? (change.pendingExpiresAt ?? null) : null,
      verified_at: change.verifiedAt === undefined ? undefined : change.verifiedAt,
      updated_at: change.now,
    })
    .where('id', '=', id)
    .execute();
}

export async function setEntryWish(trx: Trx, id: string, wantsTwoWay: boolean, now: Date): Promise<void> {
  await trx
    .updateTable('phone_entries')
    .set({ wants_two_way: wantsTwoWay, wanted_at: wantsTwoWay ? now : null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function deleteEntry(trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('phone_entries').where('id', '=', id).execute();
}

/** The earliest one-way entry that wants the number as two-way (by when it asked, then age). */
export async function findNextEligible(trx: Trx, number: string): Promise<PhoneEntry | null> {
  const row = await trx
    .selectFrom('phone_entries')
    .selectAll()
    .where('number', '=', number)
    .where('state', '=', 'one-way')
    .where('wants_two_way', '=', true)
    .orderBy('wanted_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row ? rowToEntry(row) : null;
}

/** The current holders (two-way, or pending not yet expired) of the numbers given, by number. */
export async function findHoldersByNumbers(db: Db | Trx, numbers: readonly string[], now: Date): Promise<Map<string, PhoneEntry>> {
  if (numbers.length === 0) {
    return new Map();
  }
  const rows = await db
    .selectFrom('phone_entries')
    .selectAll()
    .where('number', 'in', [...new Set(numbers)])
    .where((eb) => eb.or([eb('state', '=', 'two-way'), eb.and([eb('state', '=', 'pending'), eb('pending_expires_at', '>', now)])]))
    .execute();
  return new Map(rows.map((r) => [r.number, rowToEntry(r)]));
}

/** Whether a contact of a project other than `projectId` holds this number, in any state (the SMS tester's limit). */
export async function heldByAnotherProject(db: Db | Trx, projectId: string | null, number: string): Promise<boolean> {
  const row = await db
    .selectFrom('phone_entries')
    .select('id')
    .where('number', '=', number)
    .$if(projectId !== null, (q) => q.where('project_id', '<>', projectId as string))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
