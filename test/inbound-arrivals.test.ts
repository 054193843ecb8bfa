/**
 * Inbound messages wait in `inbound_arrivals` and enter `messages` once handled, under the project
 * that handled them (migration 0025, docs/scaling.md "The inbound queue"):
 * - a handled message keeps its id and arrival time, takes its project from the handling (a global
 *   gateway's message from a contact's number belongs to the contact's project), and lists before
 *   the replies to it;
 * - the upgrade moves the messages waiting in `messages` to the arrivals, in order;
 * - during a rolling upgrade a server of the previous version still stores a webhook's message in
 *   `messages`: it lands in the arrivals and is handled (a STOP is not lost).
 * On PGlite, and on PostgreSQL with ROLLCALL_TEST_DATABASE_URL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { numberConversation, waitingInbound } from '../src/services/messages.service.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { findProjectByName } from '../src/store/project.store.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { createTestDatabase } from './support/test-db.ts';

describe('arrivals become messages when handled', () => {
  let t: TestApp;
  let hook = '';
  let globalHook = '';
  let gatewayId = '';
  before(async () => {
    t = await createTestApp();
    await t.createProject('arrive', { defaultCountry: 'KE' });
    const gw = await t.request('POST', '/api/v1/projects/arrive/gateways', { body: { name: 'sms', type: 'test' } });
    assert.equal(gw.statusCode, 201, gw.body);
    hook = new URL(gw.json().inboundUrl as string).pathname;
    gatewayId = gw.json().id as string;
    const global = await t.request('POST', '/api/v1/gateways', { body: { name: 'shared', type: 'test' } });
    assert.equal(global.statusCode, 201, global.body);
    globalHook = new URL(global.json().inboundUrl as string).pathname;
    await t.request('PUT', '/api/v1/projects/arrive/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
  });
  after(() => t.close());

  async function settle(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const a = await processInbound(t.deps, 50);
      const b = await dispatchOnce(t.deps, { batchSize: 100, leaseMs: 60_000 });
      if (a === 0 && b === 0) {
        return;
      }
    }
  }

  test('a handled message keeps its id and arrival time, and lists before its reply', async () => {
    const from = '+254722300001';
    const res = await t.request('POST', hook, { token: null, body: { from, text: 'HELP', messageId: 'arr-1' } });
    assert.equal(res.statusCode, 200, res.body);
    const waiting = await t.deps.db.selectFrom('inbound_arrivals').selectAll().where('from_address', '=', from).execute();
    assert.equal(waiting.length, 1);
    assert.equal((await t.deps.db.selectFrom('messages').select('id').where('from_address', '=', from).execute()).length, 0, 'not a message until handled');
    await settle();
    assert.equal((await t.deps.db.selectFrom('inbound_arrivals').select('id').where('from_address', '=', from).execute()).length, 0);
    const rows = await sql<{ id: string; seq: string; direction: string; created_at: Date; processed_at: Date | null; handling: string | null; project_id: string | null; in_reply_to: string | null }>`
      select id, seq::text as seq, direction, created_at, processed_at, handling, project_id, in_reply_to from messages
       where (direction = 'in' and from_address = ${from}) or (direction = 'out' and to_address = ${from}) order by seq`.execute(t.deps.db);
    assert.deepEqual(rows.rows.map((r) => r.direction), ['in', 'out'], 'the message, then the reply to it');
    const [msg, reply] = rows.rows;
    assert.equal(msg?.id, waiting[0]?.id);
    assert.equal(msg?.created_at.toISOString(), waiting[0]?.created_at.toISOString());
    assert.equal(msg?.handling, 'help');
    assert.ok(msg?.processed_at);
    assert.equal(reply?.in_reply_to, msg?.id);
    const project = await findProjectByName(t.deps.db, 'arrive');
    assert.ok(project);
    const conversation = await numberConversation(t.deps, project, from);
    assert.deepEqual(conversation.map((m) => m.id), [msg?.id, reply?.id], 'the SMS tester lists the message, then the reply');
  });

  test('a waiting arrival shows in its own project only: the conversation and the count', async () => {
    const from = '+254722300005';
    await t.createProject('elsewhere', { defaultCountry: 'KE' });
    const res = await t.request('POST', hook, { token: null, body: { from, text: 'hello?', messageId: 'arr-5' } });
    assert.equal(res.statusCode, 200, res.body);
    const own = await findProjectByName(t.deps.db, 'arrive');
    const other = await findProjectByName(t.deps.db, 'elsewhere');
    assert.ok(own && other);
    const mine = await numberConversation(t.deps, own, from);
    assert.deepEqual(mine.map((m) => [m.text, m.processedAt]), [['hello?', null]], 'shown as not handled yet');
    assert.deepEqual(await numberConversation(t.deps, other, from), []);
    assert.equal((await waitingInbound(t.deps, own)).count, 1);
    assert.equal((await waitingInbound(t.deps, other)).count, 0);
    await settle();
    assert.equal((await waitingInbound(t.deps, own)).count, 0);
    assert.deepEqual((await numberConversation(t.deps, own, from)).map((m) => m.text), ['hello?'], 'once, now handled');
  });

  test("a global gateway's message from a contact's number is stored under the contact's project", async () => {
    const from = '+254722300002';
    const c = await t.request('POST', '/api/v1/projects/arrive/cases', { body: { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: from, contact_phone_number_is_verified: '1' } } });
    assert.equal(c.statusCode, 201, c.body);
    const res = await t.request('POST', globalHook, { token: null, body: { from, text: 'feeling better', messageId: 'arr-2' } });
    assert.equal(res.statusCode, 200, res.body);
    const arrival = await t.deps.db.selectFrom('inbound_arrivals').select(['project_id']).where('from_address', '=', from).executeTakeFirstOrThrow();
    assert.equal(arrival.project_id, null, "a global gateway's arrival has no project yet");
    await settle();
    const project = await t.deps.db.selectFrom('projects').select('id').where('name', '=', 'arrive').executeTakeFirstOrThrow();
    const stored = await t.deps.db.selectFrom('messages').select(['project_id', 'contact_id', 'handling']).where('direction', '=', 'in').where('from_address', '=', from).execute();
    assert.deepEqual(stored, [{ project_id: project.id, contact_id: c.json().id, handling: 'contact' }]);
  });

  test('a STOP from a number no project holds, through a global gateway, is stored without a project and its confirmation is sent', async () => {
    const from = '+254722300004';
    const res = await t.request('POST', globalHook, { token: null, body: { from, text: 'STOP', messageId: 'arr-4' } });
    assert.equal(res.statusCode, 200, res.body);
    await settle();
    const rows = await sql<{ direction: string; status: string; project_id: string | null; handling: string | null }>`
      select direction, status, project_id, handling from messages
       where (direction = 'in' and from_address = ${from}) or (direction = 'out' and to_address = ${from}) order by seq`.execute(t.deps.db);
    // The reply has no project either: the dispatch rotation lists "no project" too (it did not, between migrations 0024 and 0025).
    assert.deepEqual(rows.rows, [
      { direction: 'in', status: 'received', project_id: null, handling: 'opt-out' },
      { direction: 'out', status: 'sent', project_id: null, handling: null },
    ]);
  });

  test('a message a server of the previous version stores in messages is handled from the arrivals', async () => {
    const from = '+254722300003';
    // What the previous version's intake inserted: an inbound row with nothing handled.
    await sql`
      insert into messages (project_id, direction, channel, status, to_address, from_address, text, gateway_id, gateway_name, provider_message_id, gateway_message_id, via_tester)
      select project_id, 'in', 'sms', 'received', null, ${from}, 'STOP', id, name, 'old-1', 'old-1', false from gateways where id = ${gatewayId}::uuid`.execute(t.deps.db);
    assert.equal((await t.deps.db.selectFrom('messages').select('id').where('from_address', '=', from).execute()).length, 0);
    assert.equal((await t.deps.db.selectFrom('inbound_arrivals').select('id').where('from_address', '=', from).execute()).length, 1);
    await settle();
    const lookup = (await t.request('GET', `/api/v1/projects/arrive/phone-numbers/${encodeURIComponent(from)}`)).json();
    assert.equal(lookup.optedOut, true, 'the STOP took effect');
    const stored = await t.deps.db.selectFrom('messages').select(['handling']).where('direction', '=', 'in').where('from_address', '=', from).execute();
    assert.deepEqual(stored, [{ handling: 'opt-out' }]);
  });
});

test('the upgrade moves the messages waiting in messages to the arrivals, in order', async () => {
  const handle = await createTestDatabase({ upTo: '0024-queues-by-project' });
  try {
    const db = handle.db;
    const project = await db.insertInto('projects').values({ name: 'up', time_zone: 'UTC', default_country: 'KE', languages: '["en"]', default_language: 'en', phone_validation: 'strict', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
    const gw = await db
      .insertInto('gateways')
      .values({ project_id: project.id, name: 'TEST', type: 'test', channel: 'sms', config_encrypted: 'x', reply_to_number: null, opt_in_keywords: '[]', opt_out_keywords: '[]', rate_per_second: null, inbound_key: 'arrivals-upgrade' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const insert = (text: string, handled: boolean, attempts: number) => sql<{ id: string }>`
      insert into messages (project_id, direction, channel, status, from_address, text, gateway_id, gateway_name, gateway_message_id, processed_at, handling, attempts)
      values (${project.id}::uuid, 'in', 'sms', 'received', '+254722000001', ${text}, ${gw.id}::uuid, 'TEST', ${'v-' + text}, ${handled ? sql`now()` : sql`null`}, ${handled ? 'contact' : null}, ${attempts})
      returning id`.execute(db);
    const handled = (await insert('first', true, 0)).rows[0]?.id;
    const second = (await insert('second', false, 1)).rows[0]?.id;
    const third = (await insert('third', false, 0)).rows[0]?.id;

    await migrateToLatest(db);

    const arrivals = await sql<{ id: string; text: string; attempts: number; project_id: string }>`select id, text, attempts, project_id from inbound_arrivals order by seq`.execute(db);
    assert.deepEqual(arrivals.rows, [
      { id: second, text: 'second', attempts: 1, project_id: project.id },
      { id: third, text: 'third', attempts: 0, project_id: project.id },
    ]);
    const left = await sql<{ id: string }>`select id from messages where direction = 'in'`.execute(db);
    assert.deepEqual(left.rows, [{ id: handled }], 'the handled message stays where it was');
    // Rows the new version writes to messages directly (handled inbound, outbound) are not moved.
    await sql`
      insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at)
      values (${project.id}::uuid, 'out', 'sms', 'queued', '+254711000999', 'waiting', ${gw.id}::uuid, 'TEST', now())`.execute(db);
    const out = await sql<{ n: string }>`select count(*)::text as n from messages where direction = 'out'`.execute(db);
    assert.equal(out.rows[0]?.n, '1');
  } finally {
    await handle.close();
  }
});
