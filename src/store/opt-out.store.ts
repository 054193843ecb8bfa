/**
 * @module store/opt-out.store — the server-wide opt-out state by address (an E.164 number or a
 * lower-cased email address), the per-address lock that serialises every consent and opt-out change,
 * the cancellation of what was queued for an address, and possible opt-outs held for review. Only
 * services/consent.service writes here; readers (dispatch, inbound, planning) use the finders.
 */
import { sql } from 'kysely';

import type { Db, Trx } from './database.ts';
import { runPrepared } from './prepared-statements.ts';

/**
 * Serialises every change to one address's consent and opt-out state (a STOP, a START, a consent
 * grant or withdrawal, a vendor's report): the transaction that takes this lock second sees what the
 * first committed, so the last change wins and none is lost.
 */
export async function lockAddress(trx: Trx, address: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'consent:' + address}, 7221))`.execute(trx);
}

/** lockAddress for several addresses, in sorted order (two transactions locking the same pair cannot deadlock). */
export async function lockAddresses(trx: Trx, addresses: readonly string[]): Promise<void> {
  const sorted = [...new Set(addresses)].sort();
  if (sorted.length > 0) {
    await sql`select pg_advisory_xact_lock(hashtextextended('consent:' || s.a, 7221)) from (select u.a from unnest(${sorted}::text[]) with ordinality as u(a, i) order by u.i) as s`.execute(trx);
  }
}

/** Sets the opt-out state; returns the previous state (false when never seen). Call under lockAddress. */
export async function setOptOut(trx: Trx, address: string, optedOut: boolean, now: Date): Promise<boolean> {
  const before = await trx.selectFrom('opt_outs').select('opted_out').where('number', '=', address).forUpdate().executeTakeFirst();
  await trx
    .insertInto('opt_outs')
    .values({ number: address, opted_out: optedOut, updated_at: now })
    .onConflict((oc) => oc.column('number').doUpdateSet({ opted_out: optedOut, updated_at: now }))
    .execute();
  return before?.opted_out ?? false;
}

export async function isOptedOut(db: Db | Trx, address: string): Promise<boolean> {
  const row = await db.selectFrom('opt_outs').select('opted_out').where('number', '=', address).executeTakeFirst();
  return row?.opted_out ?? false;
}

/** Addresses (of those given) that are opted out. */
export async function findOptedOut(db: Db | Trx, addresses: readonly string[]): Promise<Set<string>> {
  if (addresses.length === 0) {
    return new Set();
  }
  const distinct = [...new Set(addresses)];
  const query = db.selectFrom('opt_outs').select('number').where('number', 'in', distinct).where('opted_out', '=', true);
  // One address (a single send) is one fixed text, prepared; longer lists vary in length.
  const rows = distinct.length === 1 ? await runPrepared(db, query.compile()) : await query.execute();
  return new Set(rows.map((r) => r.number));
}

/**
 * Fails what is queued or scheduled for an address on a channel (an opt-out takes effect before
 * the next send). The confirmation of an opt-out (bypass_opt_out) is left alone.
 */
export async function cancelQueuedTo(trx: Trx, address: string, channel: 'sms' | 'email', code: string, now: Date): Promise<number> {
  const result = await trx
    .updateTable('messages')
    .set({ status: 'failed', error_code: code, error_detail: null, updated_at: now })
    // Email addresses are opted out lower-cased; messages keep the address as the contact wrote it.
    .where(channel === 'email' ? sql<string>`lower(to_address)` : sql<string>`to_address`, '=', address)
    .where('direction', '=', 'out')
    .where('channel', '=', channel)
    .where('status', 'in', ['queued', 'scheduled'])
    .where('bypass_opt_out', '=', false)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Fails a contact's queued SMS that need consent (consent withdrawn); consent-exempt ones stay. */
export async function cancelQueuedNeedingConsent(trx: Trx, contactId: string, number: string, now: Date): Promise<number> {
  const result = await trx
    .updateTable('messages')
    .set({ status: 'failed', error_code: 'NO_SMS_CONSENT', error_detail: null, updated_at: now })
    .where('contact_id', '=', contactId)
    .where('to_address', '=', number)
    .where('direction', '=', 'out')
    .where('channel', '=', 'sms')
    .where('status', 'in', ['queued', 'scheduled'])
    .where('consent_exempt', '=', false)
    .where('in_reply_to', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Numbers opted out now that concern a project: held by one of its contacts, or opted out through
 * one of its gateways. Newest first.
 */
export async function listProjectOptOuts(db: Db, projectId: string, limit: number): Promise<Array<{ number: string; since: Date }>> {
  const rows = await db
    .selectFrom('opt_outs')
    .select(['opt_outs.number', 'opt_outs.updated_at'])
    .where('opt_outs.opted_out', '=', true)
    .where((eb) =>
      eb.or([
        eb.exists(eb.selectFrom('phone_entries').select('phone_entries.id').whereRef('phone_entries.number', '=', 'opt_outs.number').where('phone_entries.project_id', '=', projectId)),
        eb.exists(eb.selectFrom('consent_events').select('consent_events.id').whereRef('consent_events.number', '=', 'opt_outs.number').where('consent_events.project_id', '=', projectId)),
      ]),
    )
    .orderBy('opt_outs.updated_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ number: r.number, since: r.updated_at }));
}
