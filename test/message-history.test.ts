/**
 * Issue 26, item 4: the message history by month (migration 0023, store/message-partitions.store.ts)
 * and ROLLCALL_MESSAGE_RETENTION_DAYS. Runs on PGlite, and on PostgreSQL with
 * ROLLCALL_TEST_DATABASE_URL, through the HTTP API with a controlled clock.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import { loadConfig } from '../src/config.ts';
import { dashboardMaintenanceStep } from '../src/services/dashboard.service.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { maintainMessageHistory } from '../src/services/message-history.service.ts';
import { listMessagePartitions } from '../src/store/message-partitions.store.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
const REAL_NOW = new Date();
let now = REAL_NOW;
let t: TestApp;
let hook = '';
let caseId = '';

before(async () => {
  t = await createTestApp({ clock: () => now });
  await t.createProject('alpha', { defaultCountry: 'KE' });
  const gw = await t.request('POST', '/api/v1/projects/alpha/gateways', { body: { name: 'sms', type: 'test' } });
  assert.equal(gw.statusCode, 201, gw.body);
  hook = new URL(gw.json().inboundUrl).pathname;
  await t.request('PUT', '/api/v1/projects/alpha/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
  const c = await t.request('POST', '/api/v1/projects/alpha/cases', { body: { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: '+254711000001' } } });
  assert.equal(c.statusCode, 201, c.body);
  caseId = c.json().id;
});
after(() => t.close());

async function send(text: string, extra: Json = {}): Promise<string> {
  const res = await t.request('POST', '/api/v1/projects/alpha/messages', { body: { recipient: { caseId }, text, ...extra } });
  assert.equal(res.statusCode, 201, res.body);
  while ((await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 })) > 0) {
    // until nothing is due
  }
  return res.json().id;
}

async function partitionOf(id: string): Promise<string> {
  const r = await sql<{ p: string }>`select tableoid::regclass::text as p from messages where id = ${id}::uuid`.execute(t.deps.db);
  return r.rows[0]?.p ?? '(gone)';
}

async function dashboardTotal(): Promise<number> {
  await dashboardMaintenanceStep(t.deps);
  const r = await sql<{ n: string | null }>`select sum(n) as n from dashboard_message_counts`.execute(t.deps.db);
  return Number(r.rows[0]?.n ?? 0);
}

const count = async (table: 'consent_events' | 'inbound_keys' | 'messages') =>
  Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.deps.db)).rows[0]?.n);

test('a new database has this month and the next two as partitions, and a default one', async () => {
  const parts = await listMessagePartitions(t.deps.db);
  const month = (plus: number) => {
    const d = new Date(Date.UTC(REAL_NOW.getUTCFullYear(), REAL_NOW.getUTCMonth() + plus, 1));
    return `messages_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  };
  assert.deepEqual(parts.map((p) => p.name), [month(0), month(1), month(2), 'messages_default']);
  assert.equal(parts.at(-1)?.isDefault, true);
  assert.equal(parts[0]?.from?.toISOString(), new Date(Date.UTC(REAL_NOW.getUTCFullYear(), REAL_NOW.getUTCMonth(), 1)).toISOString());
});

test('a message of a month without a partition goes to the default one and moves into its month when the partition is made', async () => {
  now = new Date('2031-06-15T10:00:00Z');
  const id = await send('from the future');
  assert.equal(await partitionOf(id), 'messages_default');
  const before = await dashboardTotal();
  now = REAL_NOW;
  const step = await maintainMessageHistory(t.deps.db, now, null);
  assert.deepEqual(step.created, ['messages_2031_06']);
  assert.equal(await partitionOf(id), 'messages_2031_06');
  assert.equal(await dashboardTotal(), before, 'moving rows between partitions changes no count');
  const shown = (await t.request('GET', `/api/v1/projects/alpha/messages/${id}`)).json();
  assert.equal(shown.status, 'sent');
  // The same step again has nothing to do.
  assert.deepEqual((await maintainMessageHistory(t.deps.db, now, null)).created, []);
});

test('a webhook retried after its first copy moved to an older month is still stored once', async () => {
  const body = { from: '+254711000002', text: 'hello', messageId: 'vendor-17' };
  assert.equal((await t.request('POST', hook, { token: null, body })).statusCode, 200);
  await processInbound(t.deps, 50);
  const first = await sql<{ id: string }>`select id from messages where gateway_message_id = 'vendor-17'`.execute(t.deps.db);
  assert.equal(first.rows.length, 1);
  // As if it had arrived at the end of last month (the row moves to that month's partition).
  await maintainMessageHistory(t.deps.db, new Date(Date.UTC(REAL_NOW.getUTCFullYear(), REAL_NOW.getUTCMonth() - 1, 15)), null);
  const lastMonth = new Date(Date.UTC(REAL_NOW.getUTCFullYear(), REAL_NOW.getUTCMonth(), 1) - 1000);
  await sql`update messages set created_at = ${lastMonth.toISOString()}::timestamptz where gateway_message_id = 'vendor-17'`.execute(t.deps.db);
  assert.notEqual(await partitionOf(first.rows[0]!.id), 'messages_default');
  assert.equal((await t.request('POST', hook, { token: null, body })).statusCode, 200);
  await processInbound(t.deps, 50);
  assert.equal((await sql<{ n: string }>`select count(*)::text as n from inbound_arrivals`.execute(t.deps.db)).rows[0]?.n, '0', 'the retry was not stored as an arrival');
  const again = await sql<{ id: string }>`select id from messages where gateway_message_id = 'vendor-17'`.execute(t.deps.db);
  assert.deepEqual(again.rows, first.rows, 'the retry was not stored');
  // Two copies in one batch: one stored.
  const dup = { from: '+254711000003', text: 'twice', messageId: 'vendor-18' };
  await Promise.all([t.request('POST', hook, { token: null, body: dup }), t.request('POST', hook, { token: null, body: dup })]);
  await processInbound(t.deps, 50);
  const dups = await sql<{ id: string }>`select id from messages where gateway_message_id = 'vendor-18'`.execute(t.deps.db);
  assert.equal(dups.rows.length, 1);
});

test('retention drops whole months past it, keeps a month that still holds a waiting message, and keeps the ledger and the counts', async () => {
  // Two old months: March has a message still scheduled (for 2031), April only sent ones.
  now = new Date('2025-03-10T08:00:00Z');
  await maintainMessageHistory(t.deps.db, now, null);
  const marchSent = await send('march, sent');
  const marchWaiting = await send('march, waiting', { sendAt: '2031-01-01T09:00' });
  now = new Date('2025-04-20T08:00:00Z');
  const aprilSent = await send('april, sent');
  assert.equal(await partitionOf(marchSent), 'messages_2025_03');
  assert.equal(await partitionOf(aprilSent), 'messages_2025_04');
  await sql`insert into inbound_keys (gateway_id, gateway_message_id, created_at) select gateway_id, 'old-key', '2025-04-02T00:00:00Z' from inbound_keys limit 1`.execute(t.deps.db);
  await sql`
    insert into consent_events (at, number, project_id, contact_type, action, method)
    select '2025-04-20T08:00:00Z', '+254711000001', id, 'case', 'opt-out', 'keyword' from projects where name = 'alpha'`.execute(t.deps.db);
  const ledger = await count('consent_events');
  const counted = await dashboardTotal();
  const keysBefore = await count('inbound_keys');

  now = REAL_NOW;
  const step = await maintainMessageHistory(t.deps.db, now, 365);
  assert.ok(step.retention);
  assert.ok(step.retention.dropped.includes('messages_2025_04'), JSON.stringify(step.retention));
  assert.ok(step.retention.dropped.includes('messages_2025_05'), JSON.stringify(step.retention));
  assert.deepEqual(step.retention.kept, [{ name: 'messages_2025_03', pending: 1 }]);
  assert.equal(await partitionOf(aprilSent), '(gone)');
  assert.equal(await partitionOf(marchWaiting), 'messages_2025_03');
  assert.equal((await t.request('GET', `/api/v1/projects/alpha/messages/${aprilSent}`)).statusCode, 404);
  const log = (await t.request('GET', '/api/v1/projects/alpha/messages?limit=200')).json();
  const texts = (log.items ?? log.messages ?? log).map((m: Json) => m.text);
  assert.ok(!texts.includes('april, sent'));
  assert.ok(texts.includes('march, waiting'));
  assert.equal(await count('consent_events'), ledger, 'the consent ledger is kept');
  assert.equal(await dashboardTotal(), counted, "the dashboard's counts are kept");
  assert.equal(await count('inbound_keys'), keysBefore, 'the duplicate guard stays while an older month is kept');

  // Once March's message is no longer waiting, March goes too, and the guard of those months with it.
  await sql`update messages set status = 'failed', error_code = 'MESSAGE_IS_STALE' where id = ${marchWaiting}::uuid`.execute(t.deps.db);
  const second = await maintainMessageHistory(t.deps.db, now, 365);
  assert.deepEqual(second.retention?.dropped, ['messages_2025_03']);
  assert.equal(second.retention?.keysRemoved, 1);
  assert.equal(await count('inbound_keys'), keysBefore - 1);
  assert.equal(await partitionOf(marchSent), '(gone)');
  // Without retention nothing is dropped.
  assert.equal((await maintainMessageHistory(t.deps.db, now, null)).retention, null);
});

test('a message whose created_at has microseconds (stored by SQL) is claimed, sent and recorded in its month', async () => {
  now = REAL_NOW;
  const inserted = await sql<{ id: string; us: string }>`
    insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at, contact_type, contact_id, created_at)
    select p.id, 'out', 'sms', 'queued', '+254711000001', 'by SQL', g.id, g.name, now() - interval '1 minute', 'case', ${caseId}::uuid, now() - interval '1 minute' + interval '123 microseconds'
      from projects p join gateways g on g.project_id = p.id where p.name = 'alpha'
    returning id, to_char(created_at, 'US') as us`.execute(t.deps.db);
  assert.equal(inserted.rows.length, 1);
  assert.notEqual(Number(inserted.rows[0]!.us) % 1000, 0, 'created_at is not a whole millisecond');
  while ((await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 })) > 0) {
    // until nothing is due
  }
  const shown = (await t.request('GET', `/api/v1/projects/alpha/messages/${inserted.rows[0]!.id}`)).json();
  assert.equal(shown.status, 'sent');
});

test('ROLLCALL_MESSAGE_RETENTION_DAYS: unset or 0 keeps everything, 30 days at least, anything else refused by name', () => {
  assert.equal(loadConfig({}).messageRetentionDays, null);
  assert.equal(loadConfig({ ROLLCALL_MESSAGE_RETENTION_DAYS: '0' }).messageRetentionDays, null);
  assert.equal(loadConfig({ ROLLCALL_MESSAGE_RETENTION_DAYS: '400' }).messageRetentionDays, 400);
  assert.throws(() => loadConfig({ ROLLCALL_MESSAGE_RETENTION_DAYS: '7' }), /ROLLCALL_MESSAGE_RETENTION_DAYS.*at least 30 days/);
  assert.throws(() => loadConfig({ ROLLCALL_MESSAGE_RETENTION_DAYS: 'a year' }), /ROLLCALL_MESSAGE_RETENTION_DAYS/);
});
