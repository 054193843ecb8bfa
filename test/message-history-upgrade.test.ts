/**
 * Migration 0023 on a database that already holds messages (an upgrade, not a new install): the
 * old table is attached as one partition, nothing is lost or renumbered, the inbound duplicate
 * guard is filled from the stored messages, and the new version reads and writes as usual. On
 * PGlite, and on PostgreSQL with ROLLCALL_TEST_DATABASE_URL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';

import { migrateToLatest } from '../src/store/migrate.ts';
import { listMessagePartitions } from '../src/store/message-partitions.store.ts';
import { createTestDatabase } from './support/test-db.ts';

let handle: Awaited<ReturnType<typeof createTestDatabase>>;

before(async () => {
  handle = await createTestDatabase({ upTo: '0022-reminder-occurrence-key' });
});
after(() => handle.close());

test('upgrading a database with messages attaches them as one partition and keeps every row, seq and duplicate guard', async () => {
  const db = handle.db;
  const project = await db.insertInto('projects').values({ name: 'up', time_zone: 'UTC', default_country: 'KE', languages: '["en"]', default_language: 'en', phone_validation: 'strict', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  const gw = await db
    .insertInto('gateways')
    .values({ project_id: project.id, name: 'TEST', type: 'test', channel: 'sms', config_encrypted: 'x', reply_to_number: null, opt_in_keywords: '[]', opt_out_keywords: '[]', rate_per_second: null, inbound_key: 'upgrade-test' })
    .returning('id')
    .executeTakeFirstOrThrow();
  // Before the upgrade: 300 outbound over the past year, 100 inbound with vendor ids, one queued.
  await sql`
    insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, created_at, sent_at)
    select ${project.id}::uuid, 'out', 'sms', 'sent', '+25471100' || lpad(g::text, 4, '0'), 'old ' || g, ${gw.id}::uuid, 'TEST', now() - g * interval '1 day', now() - g * interval '1 day'
      from generate_series(1, 300) g`.execute(db);
  await sql`
    insert into messages (project_id, direction, channel, status, from_address, text, gateway_id, gateway_name, gateway_message_id, processed_at, handling, created_at)
    select ${project.id}::uuid, 'in', 'sms', 'received', '+254722000001', 'reply ' || g, ${gw.id}::uuid, 'TEST', 'vendor-' || g, now(), 'answered', now() - g * interval '1 hour'
      from generate_series(1, 100) g`.execute(db);
  await sql`
    insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at)
    values (${project.id}::uuid, 'out', 'sms', 'queued', '+254711000999', 'waiting', ${gw.id}::uuid, 'TEST', now())`.execute(db);
  const before = await sql<{ id: string; seq: string; created_at: Date }>`select id, seq::text as seq, created_at from messages order by seq`.execute(db);

  assert.deepEqual((await migrateToLatest(db)).applied, ['0023-message-partitions', '0024-queues-by-project', '0025-inbound-arrivals']);

  const afterRows = await sql<{ id: string; seq: string; created_at: Date }>`select id, seq::text as seq, created_at from messages order by seq`.execute(db);
  assert.deepEqual(afterRows.rows, before.rows, 'every message kept, with its id, seq and time');
  const parts = await listMessagePartitions(db);
  const old = parts.find((p) => p.name === 'messages_before_partitions');
  assert.ok(old, JSON.stringify(parts));
  assert.equal(old.from, null);
  const now = new Date();
  assert.equal(old.to?.toISOString(), new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(), 'it covers up to the end of this month');
  assert.ok(parts.some((p) => p.isDefault));
  // 0024: the queue index leads with the project on the attached old table too; the old one is gone.
  const oldIndexes = await sql<{ indexdef: string }>`select indexdef from pg_indexes where tablename = 'messages_before_partitions' and indexdef like '%due_at%'`.execute(db);
  assert.deepEqual(oldIndexes.rows.map((r) => r.indexdef.replace(/^.* USING btree /, '')), [`(project_id, due_at) WHERE (status = ANY (ARRAY['queued'::text, 'scheduled'::text]))`]);
  const where = await sql<{ p: string; n: string }>`select tableoid::regclass::text as p, count(*)::text as n from messages group by 1`.execute(db);
  assert.deepEqual(where.rows, [{ p: 'messages_before_partitions', n: '401' }]);

  const keys = await sql<{ n: string }>`select count(*)::text as n from inbound_keys where gateway_id = ${gw.id}::uuid`.execute(db);
  assert.equal(keys.rows[0]?.n, '100', 'the duplicate guard holds every stored vendor id');

  // The new version writes: seq continues after the old ones, the indexes serve the queue.
  const fresh = await sql<{ seq: string; p: string }>`
    insert into messages (project_id, direction, channel, status, to_address, text, gateway_id, gateway_name, due_at)
    values (${project.id}::uuid, 'out', 'sms', 'queued', '+254711000998', 'new', ${gw.id}::uuid, 'TEST', now())
    returning seq::text as seq, tableoid::regclass::text as p`.execute(db);
  assert.ok(BigInt(fresh.rows[0]!.seq) > BigInt(before.rows.at(-1)!.seq));
  assert.equal(fresh.rows[0]!.p, 'messages_before_partitions', 'this month still belongs to the old table');
  const due = await sql<{ text: string }>`select text from messages where status in ('queued', 'scheduled') and due_at <= now() order by due_at`.execute(db);
  assert.deepEqual(due.rows.map((r) => r.text), ['waiting', 'new']);
  const triggers = await sql<{ n: string }>`select count(*)::text as n from pg_trigger where tgrelid = 'messages'::regclass and tgname like 'messages_dashboard_%'`.execute(db);
  assert.equal(triggers.rows[0]?.n, '3', "the dashboard's triggers are on the partitioned table");
});
