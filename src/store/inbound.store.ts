/**
 * @module store/inbound.store — inbound messages: stored once per gateway message id as arrivals
 * (`inbound_arrivals`), handled in arrival order per sender number, and moved into `messages` once
 * handled, under the project that handled them (migration 0025).
 */
import { type Selectable, sql } from 'kysely';

import type { Db, InboundArrivalTable, MessageTable, Trx } from './database.ts';
import { type MessageRecord, rowToMessage } from './message.store.ts';

/** A waiting message's key: its sender and its place in the arrival order. */
export interface ArrivalRef {
  from: string;
  seq: string;
}

export interface NewInbound {
  projectId: string | null;
  channel: 'sms' | 'email';
  from: string;
  to: string | null;
  text: string;
  gatewayId: string;
  gatewayName: string;
  gatewayMessageId: string | null;
  /** Typed into the SMS tester by a project admin, not sent by a phone (Default: false). */
  viaTester?: boolean;
}

/** The messages row of an inbound message, its handling left empty (insertForwardedNotes sets it). */
function inboundRow(r: Omit<NewInbound, 'text'> & { text: string | null }) {
  return {
    project_id: r.projectId,
    direction: 'in' as const,
    channel: r.channel,
    status: 'received' as const,
    to_address: r.to,
    from_address: r.from,
    text: r.text,
    subject: null,
    language: null,
    gateway_id: r.gatewayId,
    gateway_name: r.gatewayName,
    provider_message_id: r.gatewayMessageId,
    gateway_message_id: r.gatewayMessageId,
    error_code: null,
    error_detail: null,
    contact_type: null,
    contact_id: null,
    broadcast_id: null,
    due_at: null,
    scheduled_local: null,
    scheduled_zone: null,
    lease_until: null,
    created_by: null,
    sent_at: null,
    processed_at: null,
    handling: null,
    in_reply_to: null,
    via_tester: r.viaTester ?? false,
  };
}

/**
 * Stores arrivals; a repeated (gateway, message id) is skipped, however long after the first
 * (inbound_keys holds the keys, migration 0023). Returns how many were new. Rows keep their order
 * (it is the arrival order per sender).
 */
export async function insertArrivals(trx: Trx, rows: readonly NewInbound[]): Promise<number> {
  if (rows.length === 0) {
    return 0;
  }
  const keyed = rows.filter((r) => r.gatewayMessageId !== null);
  const won = new Set<string>();
  if (keyed.length) {
    const inserted = await sql<{ gateway_id: string; gateway_message_id: string }>`
      insert into inbound_keys (gateway_id, gateway_message_id)
      select * from unnest(${keyed.map((r) => r.gatewayId)}::uuid[], ${keyed.map((r) => r.gatewayMessageId)}::text[])
      on conflict do nothing
      returning gateway_id, gateway_message_id
    `.execute(trx);
    for (const k of inserted.rows) {
      won.add(`${k.gateway_id} ${k.gateway_message_id}`);
    }
  }
  // A key is new once: the first row with it is stored, a repeat in the same batch is not.
  const fresh = rows.filter((r) => r.gatewayMessageId === null || won.delete(`${r.gatewayId} ${r.gatewayMessageId}`));
  if (fresh.length) {
    await trx
      .insertInto('inbound_arrivals')
      .values(
        fresh.map((r) => ({
          project_id: r.projectId,
          channel: r.channel,
          from_address: r.from,
          to_address: r.to,
          text: r.text,
          gateway_id: r.gatewayId,
          gateway_name: r.gatewayName,
          gateway_message_id: r.gatewayMessageId,
          via_tester: r.viaTester ?? false,
        })),
      )
      .execute();
  }
  return fresh.length;
}

/** An arrival: what came in, waiting to be handled. */
export interface Arrival extends ArrivalRef {
  id: string;
  projectId: string | null;
  channel: 'sms' | 'email';
  to: string | null;
  text: string;
  gatewayId: string | null;
  gatewayName: string | null;
  gatewayMessageId: string | null;
  viaTester: boolean;
  attempts: number;
  createdAt: Date;
}

function rowToArrival(r: Selectable<InboundArrivalTable>): Arrival {
  return {
    seq: String(r.seq),
    id: r.id,
    projectId: r.project_id,
    channel: r.channel,
    from: r.from_address,
    to: r.to_address,
    text: r.text,
    gatewayId: r.gateway_id,
    gatewayName: r.gateway_name,
    gatewayMessageId: r.gateway_message_id,
    viaTester: r.via_tester,
    attempts: r.attempts,
    createdAt: r.created_at,
  };
}

/** The arrival as the message it becomes (for the handling steps, which read a message). */
export function arrivalMessage(a: Arrival): MessageRecord {
  return {
    id: a.id,
    seq: a.seq,
    projectId: a.projectId,
    direction: 'in',
    channel: a.channel,
    status: 'received',
    to: a.to,
    from: a.from,
    text: a.text,
    subject: null,
    language: null,
    gatewayId: a.gatewayId,
    gatewayName: a.gatewayName,
    providerMessageId: a.gatewayMessageId,
    errorCode: null,
    errorDetail: null,
    contactType: null,
    contactId: null,
    broadcastId: null,
    dueAt: null,
    scheduledLocal: null,
    scheduledZone: null,
    attempts: a.attempts,
    createdBy: null,
    createdAt: a.createdAt,
    updatedAt: a.createdAt,
    sentAt: null,
    gatewayMessageId: a.gatewayMessageId,
    processedAt: null,
    handling: null,
    bypassOptOut: false,
    inReplyTo: null,
    consentExempt: false,
    viaTester: a.viaTester,
    reminderRuleId: null,
  };
}

/**
 * A number's arrivals not yet handled, oldest first, that came through `projectId`'s gateways or a
 * global one (null: any): a conversation shows them as "Not handled yet" until they are.
 */
export async function listWaitingArrivals(db: Db, projectId: string | null, from: string, limit: number): Promise<Arrival[]> {
  let q = db.selectFrom('inbound_arrivals').selectAll().where('from_address', '=', from);
  if (projectId !== null) {
    q = q.where((eb) => eb.or([eb('project_id', '=', projectId), eb('project_id', 'is', null)]));
  }
  return (await q.orderBy('seq').limit(limit).execute()).map(rowToArrival);
}

/** How many arrivals through the project's own gateways wait to be handled, and when the oldest came (the message log says so). */
export async function countWaitingArrivals(db: Db, projectId: string): Promise<{ count: number; oldest: Date | null }> {
  const row = await db
    .selectFrom('inbound_arrivals')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('created_at').as('oldest')])
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return { count: Number(row?.n ?? 0), oldest: row?.oldest ? new Date(row.oldest as unknown as string) : null };
}

/** The oldest arrival of each sender, up to `limit` senders, oldest first. */
export async function findNextArrivals(db: Db, limit: number): Promise<ArrivalRef[]> {
  const rows = await sql<{ seq: string; from_address: string }>`
    select from_address, seq from (
      select distinct on (from_address) from_address, seq from (
        select from_address, seq from inbound_arrivals order by seq limit ${limit * 4}
      ) waiting
      order by from_address, seq
    ) firsts
    order by seq
    limit ${limit}
  `.execute(db);
  return rows.rows.map((r) => ({ from: r.from_address, seq: String(r.seq) }));
}

const senderLock = (from: ReturnType<typeof sql>) => sql`hashtextextended('in:' || ${from}, 7219)`;

/**
 * Takes the sender's lock for this transaction without waiting (another worker may be handling that
 * sender), then re-reads the arrival. Null when locked elsewhere, already handled, or not the
 * sender's oldest (order is kept per number).
 */
export async function lockArrival(trx: Trx, ref: ArrivalRef): Promise<Arrival | null> {
  const locked = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${senderLock(sql`${ref.from}::text`)}) as ok`.execute(trx);
  if (!locked.rows[0]?.ok) {
    return null;
  }
  const row = await trx
    .selectFrom('inbound_arrivals')
    .selectAll()
    .where('from_address', '=', ref.from)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  return row && String(row.seq) === ref.seq ? rowToArrival(row) : null;
}

/** Takes, without waiting, the per-sender locks it can get; returns the senders locked. */
export async function tryLockSenders(trx: Trx, senders: readonly string[]): Promise<Set<string>> {
  if (senders.length === 0) {
    return new Set();
  }
  const rows = await sql<{ sender: string; ok: boolean }>`
    select sender, pg_try_advisory_xact_lock(${senderLock(sql`sender`)}) as ok
    from unnest(${[...new Set(senders)]}::text[]) as s(sender)
  `.execute(trx);
  return new Set(rows.rows.filter((r) => r.ok).map((r) => r.sender));
}

/** Of the arrivals given, those still waiting and oldest for their sender. */
export async function findProcessableArrivals(trx: Trx, refs: readonly ArrivalRef[]): Promise<Arrival[]> {
  if (refs.length === 0) {
    return [];
  }
  const rows = await sql<Selectable<InboundArrivalTable>>`
    select a.* from inbound_arrivals a
      join unnest(${refs.map((r) => r.from)}::text[], ${refs.map((r) => r.seq)}::bigint[]) as k(from_address, seq)
        on a.from_address = k.from_address and a.seq = k.seq
     where not exists (select 1 from inbound_arrivals earlier where earlier.from_address = a.from_address and earlier.seq < a.seq)
     order by a.seq
  `.execute(trx);
  return rows.rows.map(rowToArrival);
}

/**
 * A place in the message order for an arrival about to be handled, taken before its replies are
 * queued so that a conversation lists the message before the replies to it.
 */
export async function reserveMessageSeq(trx: Trx): Promise<string> {
  const { rows } = await sql<{ seq: string }>`select nextval(pg_get_serial_sequence('messages', 'seq'))::text as seq`.execute(trx);
  const seq = rows[0]?.seq;
  if (!seq) {
    throw new Error('no message sequence value');
  }
  return seq;
}

export interface HandledArrival {
  arrival: Arrival;
  /** From reserveMessageSeq, or null for the next one. */
  seq: string | null;
  handling: string;
  projectId: string | null;
  contactType: 'case' | 'mobile-worker' | null;
  contactId: string | null;
}

/**
 * Moves handled arrivals into messages (same id, arrival time, handled now, under the project that
 * handled them) and deletes them from the arrivals, in one statement each.
 */
export async function storeHandled(trx: Trx, handled: readonly HandledArrival[], now: Date): Promise<void> {
  if (handled.length === 0) {
    return;
  }
  const a = handled.map((h) => h.arrival);
  const at = now.toISOString();
  await sql`
    insert into messages (id, seq, project_id, direction, channel, status, to_address, from_address, text, gateway_id, gateway_name,
                          provider_message_id, gateway_message_id, contact_type, contact_id, attempts, via_tester, handling,
                          processed_at, created_at, updated_at)
    overriding system value
    select v.id, coalesce(v.seq, nextval(pg_get_serial_sequence('messages', 'seq'))), v.project_id, 'in', v.channel, 'received', v.to_address, v.from_address,
           v.text, v.gateway_id, v.gateway_name, v.gateway_message_id, v.gateway_message_id, v.contact_type, v.contact_id, v.attempts, v.via_tester,
           v.handling, ${at}::timestamptz, v.created_at, ${at}::timestamptz
      from unnest(${a.map((x) => x.id)}::uuid[], ${handled.map((h) => h.seq)}::bigint[], ${handled.map((h) => h.projectId)}::uuid[],
                  ${a.map((x) => x.channel)}::text[], ${a.map((x) => x.to)}::text[], ${a.map((x) => x.from)}::text[], ${a.map((x) => x.text)}::text[],
                  ${a.map((x) => x.gatewayId)}::uuid[], ${a.map((x) => x.gatewayName)}::text[], ${a.map((x) => x.gatewayMessageId)}::text[],
                  ${handled.map((h) => h.contactType)}::text[], ${handled.map((h) => h.contactId)}::uuid[], ${a.map((x) => x.attempts)}::integer[],
                  ${a.map((x) => x.viaTester)}::boolean[], ${handled.map((h) => h.handling)}::text[], ${a.map((x) => x.createdAt.toISOString())}::timestamptz[])
        with ordinality as v(id, seq, project_id, channel, to_address, from_address, text, gateway_id, gateway_name, gateway_message_id,
                             contact_type, contact_id, attempts, via_tester, handling, created_at, ord)
     order by v.ord
  `.execute(trx);
  await sql`
    delete from inbound_arrivals a
     using unnest(${a.map((x) => x.from)}::text[], ${a.map((x) => x.seq)}::bigint[]) as k(from_address, seq)
     where a.from_address = k.from_address and a.seq = k.seq
  `.execute(trx);
}

/**
 * Counts a failed attempt at handling an arrival, under its sender's lock; after `maxAttempts` the
 * message is closed as failed (moved into messages, handling `failed: …`). Returns the message's id
 * when it was closed.
 */
export async function recordArrivalFailure(db: Db, ref: ArrivalRef, reason: string, maxAttempts: number, now: Date): Promise<string | null> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${senderLock(sql`${ref.from}::text`)})`.execute(trx);
    const row = await trx
      .updateTable('inbound_arrivals')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('from_address', '=', ref.from)
      .where('seq', '=', ref.seq)
      .returningAll()
      .executeTakeFirst();
    if (!row || row.attempts < maxAttempts) {
      return null;
    }
    const arrival = rowToArrival(row);
    await storeHandled(trx, [{ arrival, seq: null, handling: 'failed: ' + reason.slice(0, 500), projectId: arrival.projectId, contactType: null, contactId: null }], now);
    return arrival.id;
  });
}

/** Automatic replies sent to a number since `since` (the loop guard). */
export async function countAutoReplies(trx: Trx, number: string, since: Date): Promise<number> {
  const row = await trx
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('to_address', '=', number)
    .where('direction', '=', 'out')
    .where('in_reply_to', 'is not', null)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findInboundById(trx: Trx, id: string): Promise<MessageRecord | null> {
  const row = await trx.selectFrom('messages').selectAll().where('id', '=', id).where('direction', '=', 'in').executeTakeFirst();
  return row ? rowToMessage(row as Selectable<MessageTable>) : null;
}

/** A failed message whose opt-out or opt-in word was applied on its own (inbound.service). */
export async function markKeywordKept(trx: Trx, id: string, meaning: 'opt-out' | 'opt-in', now: Date): Promise<void> {
  await trx
    .updateTable('messages')
    .set({ handling: sql<string>`${meaning + ' (kept after '} || coalesce(handling, 'failed') || ')'`, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** A gateway's project's trace of a message that belongs to another project (its number's owner's). */
export interface ForwardedNote {
  originalId: string;
  projectId: string | null;
  gatewayId: string;
  gatewayName: string;
  from: string;
  to: string | null;
}

/**
 * Records, in each gateway's own project, that a message it carried was handled in the project of
 * the number's owner: who wrote and when, never the text (it is the other project's).
 */
export async function insertForwardedNotes(trx: Trx, notes: readonly ForwardedNote[], now: Date): Promise<void> {
  if (notes.length === 0) {
    return;
  }
  await trx
    .insertInto('messages')
    .values(
      notes.map((n) => ({
        ...inboundRow({ projectId: n.projectId, channel: 'sms', from: n.from, to: n.to, text: null, gatewayId: n.gatewayId, gatewayName: n.gatewayName, gatewayMessageId: null }),
        created_at: now,
        updated_at: now,
        processed_at: now,
        handling: 'forwarded',
        in_reply_to: n.originalId,
      })),
    )
    .execute();
}
