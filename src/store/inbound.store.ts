/**
 * @module store/inbound.store — inbound messages: stored once per gateway message id, then
 * processed in arrival order per sender number.
 */
import { type Selectable, sql } from 'kysely';

import type { Db, MessageTable, Trx } from './database.ts';
import { CREATED_US, createdAtOf, type MessageRecord, rowToMessage } from './message.store.ts';

/** An inbound message's key: its id and created_at in microseconds (ClaimedMessage.createdUs says why). */
export interface InboundKey {
  id: string;
  createdUs: string;
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

/** The messages row of an inbound message: what arrived, nothing handled yet. */
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
 * Inserts inbound rows; a repeated (gateway, message id) is skipped, however long after the first
 * (inbound_keys holds the keys: the partitioned messages table cannot, migration 0023). Returns how
 * many were new. Rows keep their order (it is the arrival order per sender).
 */
export async function insertInboundMany(trx: Trx, rows: readonly NewInbound[]): Promise<number> {
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
    await trx.insertInto('messages').values(fresh.map(inboundRow)).execute();
  }
  return fresh.length;
}

/** The oldest unprocessed inbound message of each sender, up to `limit` senders. */
export async function findNextInbound(db: Db, limit: number): Promise<Array<InboundKey & { from: string }>> {
  const rows = await sql<{ id: string; from_address: string; created_us: string }>`
    select distinct on (from_address) id, from_address, created_us from (
      select m.id, m.from_address, m.seq, ${CREATED_US} from messages m
      where m.direction = 'in' and m.processed_at is null
      order by m.seq limit ${limit * 4}
    ) pending
    order by from_address, seq
    limit ${limit}
  `.execute(db);
  return rows.rows.map((r) => ({ id: r.id, from: r.from_address, createdUs: r.created_us }));
}

/**
 * Takes the sender's lock for this transaction without waiting (another worker may be handling that
 * sender), then re-reads the message. Null when locked elsewhere, already processed, or not the
 * sender's oldest unprocessed message (order is kept per number).
 */
export async function lockInboundForProcessing(trx: Trx, id: string, from: string): Promise<MessageRecord | null> {
  const locked = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtextextended(${'in:' + from}, 7219)) as ok`.execute(trx);
  if (!locked.rows[0]?.ok) {
    return null;
  }
  const row = await trx
    .selectFrom('messages')
    .selectAll()
    .where('id', '=', id)
    .where('processed_at', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('messages as earlier').select('earlier.id').where('earlier.direction', '=', 'in').where('earlier.from_address', '=', from).where('earlier.processed_at', 'is', null).where(sql<boolean>`earlier.seq < messages.seq`))),
    )
    .executeTakeFirst();
  return row ? rowToMessage(row as Selectable<MessageTable>) : null;
}

export async function markInboundProcessed(
  trx: Trx,
  id: string,
  outcome: { handling: string; projectId: string | null; contactType: 'case' | 'mobile-worker' | null; contactId: string | null; now: Date },
): Promise<void> {
  await trx
    .updateTable('messages')
    .set({ processed_at: outcome.now, handling: outcome.handling, project_id: outcome.projectId, contact_type: outcome.contactType, contact_id: outcome.contactId, updated_at: outcome.now })
    .where('id', '=', id)
    .execute();
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

/** Counts a failed attempt at handling; after `maxAttempts` the message is closed as failed. Returns whether it was closed. */
export async function recordInboundFailure(db: Db, id: string, reason: string, maxAttempts: number, now: Date): Promise<boolean> {
  const row = await db
    .updateTable('messages')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      processed_at: sql<Date | null>`case when attempts + 1 >= ${maxAttempts} then ${now.toISOString()}::timestamptz else null end`,
      handling: sql<string | null>`case when attempts + 1 >= ${maxAttempts} then ${'failed: ' + reason.slice(0, 500)} else handling end`,
      updated_at: now,
    }))
    .where('id', '=', id)
    .where('processed_at', 'is', null)
    .returning('processed_at')
    .executeTakeFirst();
  return row?.processed_at != null;
}

/** Takes, without waiting, the per-sender locks it can get; returns the senders locked. */
export async function tryLockSenders(trx: Trx, senders: readonly string[]): Promise<Set<string>> {
  if (senders.length === 0) {
    return new Set();
  }
  const rows = await sql<{ sender: string; ok: boolean }>`
    select sender, pg_try_advisory_xact_lock(hashtextextended('in:' || sender, 7219)) as ok
    from unnest(${[...new Set(senders)]}::text[]) as s(sender)
  `.execute(trx);
  return new Set(rows.rows.filter((r) => r.ok).map((r) => r.sender));
}

/** Of the messages given, those still unprocessed and oldest for their sender. */
export async function findProcessable(trx: Trx, keys: readonly InboundKey[]): Promise<Array<MessageRecord & { createdUs: string }>> {
  if (keys.length === 0) {
    return [];
  }
  const rows = await sql<Selectable<MessageTable> & { created_us: string }>`
    select m.*, ${CREATED_US} from messages m
      join unnest(${keys.map((k) => k.id)}::uuid[], ${keys.map((k) => k.createdUs)}::bigint[]) as k(id, created_us)
        on m.id = k.id and m.created_at = ${createdAtOf(sql`k.created_us`)}
     where m.processed_at is null
       and not exists (
         select 1 from messages earlier
          where earlier.direction = 'in' and earlier.from_address = m.from_address and earlier.processed_at is null and earlier.seq < m.seq)
  `.execute(trx);
  return rows.rows.map((r) => ({ ...rowToMessage(r), createdUs: r.created_us }));
}

export interface InboundOutcomeRow extends InboundKey {
  handling: string;
  projectId: string | null;
  contactType: 'case' | 'mobile-worker' | null;
  contactId: string | null;
}

/** Marks many messages handled in one statement. */
export async function markInboundProcessedMany(trx: Trx, rows: readonly InboundOutcomeRow[], now: Date): Promise<void> {
  if (rows.length === 0) {
    return;
  }
  await sql`
    update messages m set processed_at = ${now.toISOString()}::timestamptz, handling = v.handling, project_id = v.project_id,
      contact_type = v.contact_type, contact_id = v.contact_id, updated_at = ${now.toISOString()}::timestamptz
    from unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.createdUs)}::bigint[], ${rows.map((r) => r.handling)}::text[], ${rows.map((r) => r.projectId)}::uuid[],
                ${rows.map((r) => r.contactType)}::text[], ${rows.map((r) => r.contactId)}::uuid[])
      as v(id, created_us, handling, project_id, contact_type, contact_id)
    where m.id = v.id and m.created_at = ${createdAtOf(sql`v.created_us`)} and m.processed_at is null
  `.execute(trx);
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
