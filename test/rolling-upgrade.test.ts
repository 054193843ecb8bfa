/**
 * A rolling upgrade: a process of the old version keeps serving while a newer one migrates the
 * database, and the migration adds columns. The old process's connections hold the statements it
 * prepared by name (store/prepared-statements.ts); a prepared statement that reads `*` would then
 * fail with "cached plan must not change result type". Here the app prepares every named statement
 * (case creation with and without a number, reading a case, queueing a message, the dispatch claim
 * and its results, inbound handling), a "migration" adds a column to every table, and the same work
 * runs again on the same connections: nothing fails, every result is right.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let hook = '';
before(async () => {
  t = await createTestApp();
  await t.createProject('upgrade', { defaultCountry: 'KE' });
  const gw = await t.request('POST', '/api/v1/projects/upgrade/gateways', { body: { name: 'sms', type: 'test' } });
  assert.equal(gw.statusCode, 201, gw.body);
  hook = new URL(gw.json().inboundUrl as string).pathname;
  await t.request('PUT', '/api/v1/projects/upgrade/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
});
after(() => t.close());

let n = 0;

/** One of each kind of work that runs a named prepared statement, several times (a pool spreads them over its connections). */
async function work(rounds: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const i = n++;
    const withNumber = await t.request('POST', '/api/v1/projects/upgrade/cases', { body: { caseType: 'patient', name: `With ${i}`, properties: { contact_phone_number: `+2547160${String(i).padStart(5, '0')}` } } });
    assert.equal(withNumber.statusCode, 201, withNumber.body);
    const without = await t.request('POST', '/api/v1/projects/upgrade/cases', { body: { caseType: 'patient', name: `Without ${i}` } });
    assert.equal(without.statusCode, 201, without.body);
    const read = await t.request('GET', `/api/v1/projects/upgrade/cases/${withNumber.json().id as string}`);
    assert.equal(read.statusCode, 200, read.body);
    assert.equal(read.json().name, `With ${i}`);
    const msg = await t.request('POST', '/api/v1/projects/upgrade/messages', { body: { recipient: { caseId: withNumber.json().id }, text: `hello ${i}` } });
    assert.equal(msg.statusCode, 201, msg.body);
    assert.equal(msg.json().text, `hello ${i}`);
    const inbound = await t.request('POST', hook, { token: null, body: { from: `+2547160${String(i).padStart(5, '0')}`, text: `reply ${i}`, messageId: `in-${i}` } });
    assert.equal(inbound.statusCode, 200, inbound.body);
  }
  await processInbound(t.deps, 100);
  while ((await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 })) > 0) {
    // until nothing is due
  }
}

test('statements prepared before a migration that adds columns keep working after it', async () => {
  await work(30);
  // Partitions take their columns from their table (messages, migration 0023): a column is added to the table.
  const tables = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition`.execute(t.deps.db);
  assert.ok(tables.rows.length > 10);
  for (const { name } of tables.rows) {
    await sql`alter table ${sql.id(name)} add column upgraded_later text`.execute(t.deps.db);
  }
  await work(30);
  const sent = await t.deps.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('direction', '=', 'out').where('status', '=', 'sent').executeTakeFirstOrThrow();
  assert.equal(Number(sent.n), 60, 'every message queued before and after the migration was sent');
  const handled = await t.deps.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('direction', '=', 'in').where('processed_at', 'is not', null).executeTakeFirstOrThrow();
  assert.equal(Number(handled.n), 60, 'every inbound message before and after was handled');
});
