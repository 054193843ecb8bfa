/**
 * @module store/gateway.store — gateways (project or global), their routes and the test outbox.
 */
import { type Selectable, sql } from 'kysely';

import type { Channel, Route } from '../domain/gateway.ts';
import type { Db, Trx } from './database.ts';
import type { GatewayTable } from './database.ts';

export interface GatewayRecord {
  id: string;
  projectId: string | null;
  name: string;
  type: string;
  channel: Channel;
  configSealed: string;
  replyToNumber: string | null;
  optInKeywords: string[];
  optOutKeywords: string[];
  ratePerSecond: number | null;
  inboundKey: string;
  createdAt: Date;
  updatedAt: Date;
}

function rowToGateway(row: Selectable<GatewayTable>): GatewayRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    type: row.type,
    channel: row.channel,
    configSealed: row.config_encrypted,
    replyToNumber: row.reply_to_number,
    optInKeywords: row.opt_in_keywords,
    optOutKeywords: row.opt_out_keywords,
    ratePerSecond: row.rate_per_second,
    inboundKey: row.inbound_key,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface GatewayWrite {
  name: string;
  type: string;
  channel: Channel;
  configSealed: string;
  replyToNumber: string | null;
  optInKeywords: string[];
  optOutKeywords: string[];
  ratePerSecond: number | null;
}

export async function insertGateway(db: Db, projectId: string | null, g: GatewayWrite, inboundKey: string): Promise<GatewayRecord | null> {
  const row = await db
    .insertInto('gateways')
    .values({
      project_id: projectId,
      name: g.name,
      type: g.type,
      channel: g.channel,
      config_encrypted: g.configSealed,
      reply_to_number: g.replyToNumber,
      opt_in_keywords: JSON.stringify(g.optInKeywords),
      opt_out_keywords: JSON.stringify(g.optOutKeywords),
      rate_per_second: g.ratePerSecond,
      inbound_key: inboundKey,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? rowToGateway(row) : null;
}

export async function updateGatewayRow(db: Db, id: string, g: Omit<GatewayWrite, 'name' | 'type' | 'channel'>): Promise<GatewayRecord> {
  const row = await db
    .updateTable('gateways')
    .set({
      config_encrypted: g.configSealed,
      reply_to_number: g.replyToNumber,
      opt_in_keywords: JSON.stringify(g.optInKeywords),
      opt_out_keywords: JSON.stringify(g.optOutKeywords),
      rate_per_second: g.ratePerSecond,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToGateway(row);
}

export async function setInboundKey(db: Db, id: string, key: string): Promise<GatewayRecord> {
  const row = await db.updateTable('gateways').set({ inbound_key: key, updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  return rowToGateway(row);
}

export async function deleteGatewayRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('gateways').where('id', '=', id).execute();
}

/** A gateway by name: of the project when projectId is given, else global. */
export async function findGatewayByName(db: Db | Trx, projectId: string | null, name: string): Promise<GatewayRecord | null> {
  let q = db.selectFrom('gateways').selectAll().where('name', '=', name);
  q = projectId === null ? q.where('project_id', 'is', null) : q.where('project_id', '=', projectId);
  const row = await q.executeTakeFirst();
  return row ? rowToGateway(row) : null;
}

export async function findGatewayById(db: Db | Trx, id: string): Promise<GatewayRecord | null> {
  const row = await db.selectFrom('gateways').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? rowToGateway(row) : null;
}

export async function findGatewaysByIds(db: Db | Trx, ids: readonly string[]): Promise<GatewayRecord[]> {
  if (ids.length === 0) {
    return [];
  }
  const rows = await db.selectFrom('gateways').selectAll().where('id', 'in', ids).execute();
  return rows.map(rowToGateway);
}

export async function findGatewayByInboundKey(db: Db, key: string): Promise<GatewayRecord | null> {
  const row = await db.selectFrom('gateways').selectAll().where('inbound_key', '=', key).executeTakeFirst();
  return row ? rowToGateway(row) : null;
}

/** The project's own gateways and the global ones (projectId null: global only). */
export async function listUsableGateways(db: Db | Trx, projectId: string | null): Promise<GatewayRecord[]> {
  let q = db.selectFrom('gateways').selectAll();
  q = projectId === null ? q.where('project_id', 'is', null) : q.where((eb) => eb.or([eb('project_id', '=', projectId), eb('project_id', 'is', null)]));
  const rows = await q.orderBy('name').execute();
  return rows.map(rowToGateway);
}

export async function listRoutes(db: Db | Trx, projectId: string | null): Promise<Route[]> {
  let q = db.selectFrom('gateway_routes').select(['prefix', 'gateway_id']);
  q = projectId === null ? q.where('project_id', 'is', null) : q.where('project_id', '=', projectId);
  const rows = await q.orderBy('id').execute();
  return rows.map((r) => ({ prefix: r.prefix, gatewayId: r.gateway_id }));
}

export async function replaceRoutes(trx: Trx, projectId: string | null, routes: readonly Route[]): Promise<void> {
  let del = trx.deleteFrom('gateway_routes');
  del = projectId === null ? del.where('project_id', 'is', null) : del.where('project_id', '=', projectId);
  await del.execute();
  if (routes.length) {
    await trx
      .insertInto('gateway_routes')
      .values(routes.map((r) => ({ project_id: projectId, prefix: r.prefix, gateway_id: r.gatewayId })))
      .execute();
  }
}

export interface OutboxItem {
  to: string;
  text: string;
  subject: string | null;
  messageId: string;
  providerMessageId: string;
  at: Date;
}

/** What a test gateway "sent" for one project: a global gateway's outbox holds every project's messages, and each sees only its own. */
export async function listOutbox(db: Db, gatewayId: string, projectId: string, limit: number): Promise<OutboxItem[]> {
  const rows = await db
    .selectFrom('test_outbox')
    .innerJoin('messages', 'messages.id', 'test_outbox.message_id')
    .selectAll('test_outbox')
    .where('test_outbox.gateway_id', '=', gatewayId)
    .where('messages.project_id', '=', projectId)
    .orderBy('test_outbox.seq', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map((r) => ({ to: r.to_address, text: r.text, subject: r.subject, messageId: r.message_id, providerMessageId: r.provider_message_id, at: r.at }));
}

/** A message a test gateway "sent" (the outbox port of the test providers). */
export interface OutboxWrite {
  messageId: string;
  to: string;
  text: string;
  subject: string | null;
  providerMessageId: string;
}

/**
 * Records test-gateway messages in one statement, each message once; returns message id →
 * provider id for all of them (a message recorded before keeps its first provider id).
 */
export async function recordOutbox(db: Db, gatewayId: string, entries: readonly OutboxWrite[]): Promise<Map<string, string>> {
  if (entries.length === 0) {
    return new Map();
  }
  const rows = await sql<{ message_id: string; provider_message_id: string }>`
    with input as (
      select * from unnest(${entries.map((e) => e.messageId)}::uuid[], ${entries.map((e) => e.to)}::text[],
                           ${entries.map((e) => e.text)}::text[], ${entries.map((e) => e.subject)}::text[],
                           ${entries.map((e) => e.providerMessageId)}::text[])
        as t(message_id, to_address, text, subject, provider_message_id)
    ), inserted as (
      insert into test_outbox (message_id, gateway_id, to_address, text, subject, provider_message_id, at)
      select message_id, ${gatewayId}::uuid, to_address, text, subject, provider_message_id, clock_timestamp() from input
      on conflict (message_id) do nothing
      returning message_id, provider_message_id
    )
    select message_id, provider_message_id from inserted
    union all
    select o.message_id, o.provider_message_id from test_outbox o join input i using (message_id)
    where not exists (select 1 from inserted x where x.message_id = o.message_id)
  `.execute(db);
  return new Map(rows.rows.map((r) => [r.message_id, r.provider_message_id]));
}

/** The outbox port handed to the test providers. */
export function outboxPort(db: Db): { record(gatewayId: string, entries: readonly OutboxWrite[]): Promise<Map<string, string>> } {
  return { record: (gatewayId, entries) => recordOutbox(db, gatewayId, entries) };
}
