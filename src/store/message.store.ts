/**
 * @module store/message.store — the messages table: the log of every message, and for outbound
 * rows also the queue (status queued/scheduled + due_at; claimed with FOR UPDATE SKIP LOCKED).
 */
import { type Selectable, sql } from 'kysely';

import { columnList, everyColumnOf } from './columns.ts';
import type { Db, MessageStatus, MessageTable, Trx } from './database.ts';
import { runPrepared } from './prepared-statements.ts';
import { projectsWaiting } from './project-skip-scan.ts';

/** Every column of messages, for prepared statements (store/columns.ts: never `*`). */
const MESSAGE_COLUMNS = everyColumnOf<MessageTable>()([
  'id', 'seq', 'project_id', 'direction', 'channel', 'status', 'to_address', 'from_address', 'text', 'subject', 'language',
  'gateway_id', 'gateway_name', 'provider_message_id', 'error_code', 'error_detail', 'contact_type', 'contact_id', 'broadcast_id',
  'due_at', 'scheduled_local', 'scheduled_zone', 'attempts', 'lease_until', 'created_by', 'created_at', 'updated_at', 'sent_at',
  'gateway_message_id', 'processed_at', 'handling', 'bypass_opt_out', 'in_reply_to', 'consent_exempt', 'via_tester', 'reminder_rule_id',
]);

export interface MessageRecord {
  id: string;
  seq: string;
  projectId: string | null;
  direction: 'out' | 'in';
  channel: 'sms' | 'email';
  status: MessageStatus;
  to: string | null;
  from: string | null;
  text: string | null;
  subject: string | null;
  language: string | null;
  gatewayId: string | null;
  gatewayName: string | null;
  providerMessageId: string | null;
  errorCode: string | null;
  errorDetail: string | null;
  contactType: 'case' | 'mobile-worker' | null;
  contactId: string | null;
  broadcastId: string | null;
  dueAt: Date | null;
  scheduledLocal: string | null;
  scheduledZone: string | null;
  attempts: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
  gatewayMessageId: string | null;
  processedAt: Date | null;
  handling: string | null;
  bypassOptOut: boolean;
  inReplyTo: string | null;
  /** Asks for consent (verification, a consent survey): may reach a number without it. */
  consentExempt: boolean;
  /** Inbound typed into the SMS tester, not sent by a phone. */
  viaTester: boolean;
  /** The reminder rule that sent it (issue 25). */
  reminderRuleId: string | null;
}

export function rowToMessage(row: Selectable<MessageTable>): MessageRecord {
  return {
    id: row.id,
    seq: String(row.seq),
    projectId: row.project_id,
    direction: row.direction,
    channel: row.channel,
    status: row.status,
    to: row.to_address,
    from: row.from_address,
    text: row.text,
    subject: row.subject,
    language: row.language,
    gatewayId: row.gateway_id,
    gatewayName: row.gateway_name,
    providerMessageId: row.provider_message_id,
    errorCode: row.error_code,
    errorDetail: row.error_detail,
    contactType: row.contact_type,
    contactId: row.contact_id,
    broadcastId: row.broadcast_id,
    dueAt: row.due_at,
    scheduledLocal: row.scheduled_local,
    scheduledZone: row.scheduled_zone,
    attempts: row.attempts,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sentAt: row.sent_at,
    gatewayMessageId: row.gateway_message_id,
    processedAt: row.processed_at,
    handling: row.handling,
    bypassOptOut: row.bypass_opt_out,
    inReplyTo: row.in_reply_to,
    consentExempt: row.consent_exempt,
    viaTester: row.via_tester,
    reminderRuleId: row.reminder_rule_id,
  };
}

export interface NewOutboundMessage {
  projectId: string | null;
  channel: 'sms' | 'email';
  status: 'scheduled' | 'queued' | 'failed';
  to: string | null;
  text: string | null;
  subject: string | null;
  language: string | null;
  gatewayId: string | null;
  gatewayName: string | null;
  errorCode: string | null;
  errorDetail: string | null;
  contactType: 'case' | 'mobile-worker' | null;
  contactId: string | null;
  broadcastId: string | null;
  dueAt: Date | null;
  scheduledLocal: string | null;
  scheduledZone: string | null;
  createdBy: string | null;
  /** Only for the confirmation of an opt-out, which must reach the number that just opted out. */
  bypassOptOut?: boolean;
  inReplyTo?: string | null;
  /** Asks for consent (a verification SMS, a consent survey's texts): sent without recorded consent. */
  consentExempt?: boolean;
  /** Chosen by the caller when it must refer to the message in the same transaction (reminders). */
  id?: string;
  /** The reminder rule that sends it. */
  reminderRuleId?: string | null;
}

function toRow(m: NewOutboundMessage, now: Date) {
  return {
    ...(m.id === undefined ? {} : { id: m.id }),
    reminder_rule_id: m.reminderRuleId ?? null,
    project_id: m.projectId,
    direction: 'out' as const,
    channel: m.channel,
    status: m.status,
    to_address: m.to,
    from_address: null,
    text: m.text,
    subject: m.subject,
    language: m.language,
    gateway_id: m.gatewayId,
    gateway_name: m.gatewayName,
    provider_message_id: null,
    error_code: m.errorCode,
    error_detail: m.errorDetail,
    contact_type: m.contactType,
    contact_id: m.contactId,
    broadcast_id: m.broadcastId,
    due_at: m.dueAt,
    scheduled_local: m.scheduledLocal,
    scheduled_zone: m.scheduledZone,
    lease_until: null,
    created_by: m.createdBy,
    created_at: now,
    updated_at: now,
    sent_at: null,
    bypass_opt_out: m.bypassOptOut ?? false,
    in_reply_to: m.inReplyTo ?? null,
    consent_exempt: m.consentExempt ?? false,
  };
}

export async function insertOutbound(db: Db | Trx, m: NewOutboundMessage, now: Date): Promise<MessageRecord> {
  // Prepared: the columns written vary by message kind, a handful of texts in all.
  const [row] = await runPrepared(db, db.insertInto('messages').values(toRow(m, now)).returning(MESSAGE_COLUMNS).compile());
  if (!row) {
    throw new Error('insertOutbound returned no row');
  }
  return rowToMessage(row);
}

/** Inserts many outbound messages in one statement (broadcasts). */
export async function insertOutboundMany(db: Db | Trx, ms: readonly NewOutboundMessage[], now: Date): Promise<void> {
  if (ms.length) {
    await db.insertInto('messages').values(ms.map((m) => toRow(m, now))).execute();
  }
}

export async function findMessage(db: Db, projectId: string, id: string): Promise<MessageRecord | null> {
  const row = await db.selectFrom('messages').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
  return row ? rowToMessage(row) : null;
}

export interface MessageListQuery {
  direction?: 'in' | 'out' | undefined;
  contactId?: string | undefined;
  status?: MessageStatus[] | undefined;
  errorCode?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  beforeSeq?: string | undefined;
  /**
   * Text to find: in the message text (case-insensitive, % and _ taken literally) or the number it
   * went to or came from; `number` is the same search read as a phone number (exact match).
   */
  search?: { text: string; number: string | null } | undefined;
  limit: number;
}

/**
 * How many of the newest messages (before the cursor) a text search reads: the search is a scan of
 * the project's messages newest first (no trigram index: PGlite has no pg_trgm), so it is bounded.
 */
export const SEARCH_WINDOW = 50_000;

/** Newest first. */
export async function listMessages(db: Db, projectId: string, q: MessageListQuery): Promise<MessageRecord[]> {
  let query = db.selectFrom('messages').selectAll().where('project_id', '=', projectId);
  if (q.direction) {
    query = query.where('direction', '=', q.direction);
  }
  if (q.contactId) {
    query = query.where('contact_id', '=', q.contactId);
  }
  if (q.status?.length) {
    query = query.where('status', 'in', q.status);
  }
  if (q.errorCode) {
    query = query.where('error_code', '=', q.errorCode);
  }
  if (q.from) {
    query = query.where('created_at', '>=', q.from);
  }
  if (q.to) {
    query = query.where('created_at', '<', q.to);
  }
  if (q.beforeSeq) {
    query = query.where('seq', '<', q.beforeSeq);
  }
  const search = q.search;
  if (search && search.text !== '') {
    const pattern = '%' + search.text.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
    // The oldest message the search may read: SEARCH_WINDOW rows back from the cursor (index messages_project_seq_idx).
    let window = db.selectFrom('messages').select('seq').where('project_id', '=', projectId);
    if (q.beforeSeq) {
      window = window.where('seq', '<', q.beforeSeq);
    }
    const floor = await window.orderBy('seq', 'desc').offset(SEARCH_WINDOW).limit(1).executeTakeFirst();
    if (floor) {
      query = query.where('seq', '>=', floor.seq);
    }
    query = query
      .where((eb) =>
        eb.or([
          eb('text', 'ilike', pattern),
          eb('to_address', 'like', pattern),
          eb('from_address', 'like', pattern),
          ...(search.number ? [eb('to_address', '=', search.number), eb('from_address', '=', search.number)] : []),
        ]),
      );
  }
  const rows = await query.orderBy('seq', 'desc').limit(q.limit).execute();
  return rows.map(rowToMessage);
}

/**
 * One contact's messages (in and out), the newest `limit` before `beforeSeq`, returned oldest first
 * (a conversation reads like a phone's; the page before holds the earlier ones).
 */
export async function listContactMessages(db: Db, projectId: string, contact: { type: 'case' | 'mobile-worker'; id: string }, limit: number, beforeSeq?: string): Promise<MessageRecord[]> {
  let q = db.selectFrom('messages').selectAll().where('project_id', '=', projectId).where('contact_id', '=', contact.id).where('contact_type', '=', contact.type);
  if (beforeSeq) {
    q = q.where('seq', '<', beforeSeq);
  }
  const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
  return rows.reverse().map(rowToMessage);
}

/** Names of the project's contacts named by messages, in two queries (cases, mobile workers): key `type:id`. */
export async function contactNames(db: Db, projectId: string, contacts: ReadonlyArray<{ type: 'case' | 'mobile-worker'; id: string }>): Promise<Map<string, string>> {
  const caseIds = [...new Set(contacts.filter((c) => c.type === 'case').map((c) => c.id))];
  const workerIds = [...new Set(contacts.filter((c) => c.type === 'mobile-worker').map((c) => c.id))];
  const [cases, workers] = await Promise.all([
    caseIds.length ? db.selectFrom('cases').select(['id', 'name']).where('project_id', '=', projectId).where('id', 'in', caseIds).execute() : Promise.resolve([]),
    workerIds.length ? db.selectFrom('mobile_workers').select(['id', 'username']).where('project_id', '=', projectId).where('id', 'in', workerIds).execute() : Promise.resolve([]),
  ]);
  const out = new Map<string, string>();
  for (const c of cases) {
    out.set(`case:${c.id}`, c.name);
  }
  for (const w of workers) {
    out.set(`mobile-worker:${w.id}`, w.username);
  }
  return out;
}

export interface ClaimedMessage extends MessageRecord {
  /** The row was 'sending' under an expired lease: its worker died mid-send. */
  inDoubt: boolean;
  /** created_at in microseconds since 1970 (a Date keeps only milliseconds): with the id, the row's key. */
  createdUs: string;
}

/**
 * created_at exactly, as microseconds since 1970, and back: with the id it finds a row in its month
 * partition alone (migration 0023), where the id alone would be looked up in every month.
 */
export const CREATED_US = sql`(extract(epoch from m.created_at) * 1000000)::bigint::text as created_us`;
export const createdAtOf = (us: ReturnType<typeof sql>) => sql`('epoch'::timestamptz + ${us} * interval '1 microsecond')`;

/**
 * The projects with messages to claim: due queued or scheduled ones (store/project-skip-scan.ts
 * over messages_project_due_idx: one probe per project with any waiting, and one for a due one), and those
 * with a lease that expired (a worker died mid-send; `expired`). The dispatch rotation
 * (services/project-rotation.ts) claims from them one project at a time. Null stands for the
 * messages of no project: replies through a global gateway to a number no project holds (one more
 * index probe: they sort after every project, where the skip scan does not look).
 */
export async function listDispatchProjects(db: Db, now: Date): Promise<Array<{ projectId: string | null; expired: boolean }>> {
  const due = projectsWaiting({ table: 'messages', waiting: sql`q.status in ('queued', 'scheduled')`, dueBy: sql`${now.toISOString()}::timestamptz` });
  const rows = await runPrepared(db, sql<{ project_id: string | null; expired: boolean }>`
    select project_id, false as expired from (${due}) due
    union all
    select null::uuid, false where exists (
      select 1 from messages q where q.project_id is null and q.status in ('queued', 'scheduled') and q.due_at <= ${now.toISOString()}::timestamptz)
    union all
    select distinct project_id, true from messages where status = 'sending' and lease_until < clock_timestamp()
  `.compile(db));
  const byProject = new Map<string | null, boolean>();
  for (const r of rows) {
    byProject.set(r.project_id, (byProject.get(r.project_id) ?? false) || r.expired);
  }
  return [...byProject].map(([projectId, expired]) => ({ projectId, expired }));
}

/**
 * Claims up to `limit` due messages of one project for this worker (status → sending, attempts + 1,
 * leased): with `expired`, first any whose lease expired (a worker died mid-send), then
 * queued/scheduled ones due at `now` (the application clock, which also set due_at). Leases use
 * the database clock, shared by all workers. Each statement names the project, so with messages
 * distributed by project it runs on one shard (docs/scaling.md). Messages of the gateways in
 * `skipGateways` (their lanes in this worker are full) are left where they are, for later or for
 * another worker; the scan walks past them in due order (measured: about 15 ms per 100,000
 * skipped on PostgreSQL, 40 ms on PGlite).
 */
export async function claimDueMessages(
  db: Db,
  project: { projectId: string | null; expired: boolean },
  limit: number,
  leaseMs: number,
  now: Date,
  skipGateways: readonly string[] = [],
): Promise<ClaimedMessage[]> {
  const lease = `${Math.ceil(leaseMs)} milliseconds`;
  // Two fixed texts: without gateways to skip, the statement is exactly the plain claim.
  const skip = skipGateways.length ? sql`and (gateway_id is null or gateway_id <> all(${[...skipGateways]}::uuid[]))` : sql``;
  const inProject = project.projectId === null ? sql`project_id is null` : sql`project_id = ${project.projectId}`;
  // The dispatch loop's statements are prepared (store/prepared-statements.ts): fixed texts run many times a second.
  const expired = project.expired
    ? await runPrepared(db, sql<Selectable<MessageTable> & { prev_status: string; created_us: string }>`
    with picked as (
      select id, created_at, status as prev_status from messages
      where ${inProject} and status = 'sending' and lease_until < clock_timestamp() ${skip}
      order by lease_until limit ${limit} for update skip locked
    )
    update messages m set attempts = m.attempts + 1, lease_until = clock_timestamp() + ${lease}::interval, updated_at = clock_timestamp()
    from picked where m.id = picked.id and m.created_at = picked.created_at
    returning ${columnList(MESSAGE_COLUMNS, 'm')}, picked.prev_status, ${CREATED_US}
  `.compile(db))
    : [];
  const room = limit - expired.length;
  const due =
    room > 0
      ? await runPrepared(db, sql<Selectable<MessageTable> & { prev_status: string; created_us: string }>`
    with picked as (
      select id, created_at, status as prev_status from messages
      where ${inProject} and status in ('queued', 'scheduled') and due_at <= ${now.toISOString()}::timestamptz ${skip}
      order by due_at limit ${room} for update skip locked
    )
    update messages m set status = 'sending', attempts = m.attempts + 1, lease_until = clock_timestamp() + ${lease}::interval, updated_at = clock_timestamp()
    from picked where m.id = picked.id and m.created_at = picked.created_at
    returning ${columnList(MESSAGE_COLUMNS, 'm')}, picked.prev_status, ${CREATED_US}
  `.compile(db))
      : [];
  return [...expired, ...due].map((r) => ({ ...rowToMessage(r), projectId: project.projectId, inDoubt: r.prev_status === 'sending', createdUs: r.created_us }));
}

/**
 * Where a claimed message's row is: its project (the distribution key once tables are sharded by
 * project, docs/scaling.md), its id, and its month (created_at in µs, ClaimedMessage.createdUs).
 * Every update of a claimed message names all three.
 */
export interface RowKey {
  id: string;
  /** Null for a message of no project (listDispatchProjects). */
  projectId: string | null;
  createdUs: string;
}

export const rowKey = (m: ClaimedMessage): RowKey => ({ id: m.id, projectId: m.projectId, createdUs: m.createdUs });

export interface MessageResult extends RowKey {
  status: 'sent' | 'queued' | 'failed';
  providerMessageId: string | null;
  errorCode: string | null;
  errorDetail: string | null;
  /** For requeued messages: when to try again. */
  dueAt: Date | null;
  /** Give back the attempt (a message the rate limit held back was not tried). */
  refundAttempt: boolean;
}

/** Records the outcome of a batch in one statement; only rows still 'sending' are touched. */
export async function recordResults(db: Db, results: readonly MessageResult[]): Promise<void> {
  if (results.length === 0) {
    return;
  }
  await runPrepared(db, sql`
    update messages m set
      status = v.status,
      provider_message_id = coalesce(v.provider_message_id, m.provider_message_id),
      error_code = v.error_code,
      error_detail = v.error_detail,
      due_at = coalesce(v.due_at, m.due_at),
      attempts = m.attempts - case when v.refund then 1 else 0 end,
      sent_at = case when v.status = 'sent' then clock_timestamp() else m.sent_at end,
      lease_until = null,
      updated_at = clock_timestamp()
    from unnest(
      ${results.map((r) => r.id)}::uuid[], ${results.map((r) => r.projectId)}::uuid[], ${results.map((r) => r.createdUs)}::bigint[], ${results.map((r) => r.status)}::text[], ${results.map((r) => r.providerMessageId)}::text[],
      ${results.map((r) => r.errorCode)}::text[], ${results.map((r) => r.errorDetail)}::text[],
      ${results.map((r) => (r.dueAt ? r.dueAt.toISOString() : null))}::timestamptz[], ${results.map((r) => r.refundAttempt)}::boolean[]
    ) as v(id, project_id, created_us, status, provider_message_id, error_code, error_detail, due_at, refund)
    where m.project_id is not distinct from v.project_id and m.id = v.id and m.created_at = ${createdAtOf(sql`v.created_us`)} and m.status = 'sending'
  `.compile(db));
}

/**
 * Renews the lease of messages this worker is still sending (a batch through a slow or hanging
 * vendor can outlast one lease); only rows still 'sending' are touched.
 */
export async function extendLeases(db: Db, keys: readonly RowKey[], leaseMs: number): Promise<void> {
  if (keys.length === 0) {
    return;
  }
  const lease = `${Math.ceil(leaseMs)} milliseconds`;
  await sql`
    update messages m set lease_until = clock_timestamp() + ${lease}::interval
      from unnest(${keys.map((k) => k.id)}::uuid[], ${keys.map((k) => k.projectId)}::uuid[], ${keys.map((k) => k.createdUs)}::bigint[]) as v(id, project_id, created_us)
     where m.project_id is not distinct from v.project_id and m.id = v.id and m.created_at = ${createdAtOf(sql`v.created_us`)} and m.status = 'sending'`.execute(db);
}

export async function countByStatus(db: Db, broadcastId: string): Promise<Array<{ status: string; errorCode: string | null; n: number }>> {
  const rows = await db
    .selectFrom('messages')
    .select(['status', 'error_code'])
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('broadcast_id', '=', broadcastId)
    .groupBy(['status', 'error_code'])
    .execute();
  return rows.map((r) => ({ status: r.status, errorCode: r.error_code, n: Number(r.n) }));
}

export interface DeliveryUpdate {
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'failed';
  reason: string | null;
}

/**
 * Applies delivery reports of one gateway. A report never moves a message backwards: delivered is
 * final, failed replaces sent, sent does not undo either. Returns how many messages matched.
 */
export async function applyDeliveryUpdates(db: Db, gatewayId: string, updates: readonly DeliveryUpdate[]): Promise<number> {
  if (updates.length === 0) {
    return 0;
  }
  const result = await sql`
    update messages m set
      status = v.status,
      error_code = case when v.status = 'failed' then 'DELIVERY_FAILED' else m.error_code end,
      error_detail = case when v.status = 'failed' then v.reason else m.error_detail end,
      updated_at = clock_timestamp()
    from unnest(${updates.map((u) => u.providerMessageId)}::text[], ${updates.map((u) => u.status)}::text[], ${updates.map((u) => u.reason)}::text[])
      as v(provider_message_id, status, reason)
    where m.gateway_id = ${gatewayId} and m.direction = 'out' and m.provider_message_id = v.provider_message_id
      and (
        (v.status = 'delivered' and m.status in ('sent', 'sending', 'queued'))
        or (v.status = 'failed' and m.status in ('sent', 'sending', 'queued'))
        or (v.status = 'sent' and m.status in ('sending', 'queued'))
      )
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Outbound messages of one gateway with these vendor ids (for delivery reports that need the recipient). */
export async function findOutboundByProviderIds(db: Db, gatewayId: string, providerIds: readonly string[]): Promise<MessageRecord[]> {
  if (providerIds.length === 0) {
    return [];
  }
  const rows = await db.selectFrom('messages').selectAll().where('gateway_id', '=', gatewayId).where('direction', '=', 'out').where('provider_message_id', 'in', [...providerIds]).execute();
  return rows.map(rowToMessage);
}
