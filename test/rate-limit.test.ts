/**
 * A gateway limited to 20 messages/s, two workers: 400 messages take no less than ~19 s (20 at once,
 * then 380 at 20/s). On PostgreSQL the workers are two real `rollcall worker` processes; on the
 * embedded database (one process only) they are two dispatch loops sharing the database.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startDispatchWorker, type DispatchWorker } from '../src/services/dispatch-worker.ts';
import { type Child, kill, spawnRollcall, tempDir, waitFor } from './support/child-server.ts';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from './support/test-app.ts';

let t: TestApp;
const children: Child[] = [];
const loops: DispatchWorker[] = [];
before(async () => {
  t = await createTestApp();
});
after(async () => {
  for (const c of children) {
    await kill(c, 'SIGTERM');
  }
  for (const l of loops) {
    await l.stop();
  }
  await t.close();
});

test('20/s across two workers: 400 messages take at least 19 s', { timeout: 120_000 }, async () => {
  await t.createProject('rate', { defaultCountry: 'KE' });
  assert.equal((await t.request('POST', '/api/v1/projects/rate/gateways', { body: { name: 'limited', type: 'test', ratePerSecond: 20 } })).statusCode, 201);
  await t.request('PUT', '/api/v1/projects/rate/gateway-routes', { body: [{ prefix: '*', gateway: 'LIMITED' }] });
  const total = 400;
  // Queue everything while no worker runs, so the measure starts with a full backlog.
  for (let i = 0; i < total; i++) {
    const res = await t.request('POST', '/api/v1/projects/rate/messages', { body: { recipient: { phoneNumber: `+2547150${String(i).padStart(5, '0')}` }, text: `m${i}` } });
    assert.equal(res.statusCode, 201);
  }
  if (t.databaseUrl) {
    for (let i = 0; i < 2; i++) {
      children.push(spawnRollcall('worker', { DATABASE_URL: t.databaseUrl, DATA_DIR: tempDir('rollcall-worker-'), ROLLCALL_SECRET_KEY: TEST_SECRET_KEY, ROLLCALL_DISPATCH_POLL_MS: '50' }));
    }
  } else {
    for (let i = 0; i < 2; i++) {
      loops.push(startDispatchWorker(t.deps, { batchSize: 100, leaseMs: 60_000, pollMs: 50 }));
    }
  }
  const gateway = await t.deps.db.selectFrom('gateways').select('id').where('name', '=', 'LIMITED').executeTakeFirstOrThrow();
  const span = await waitFor(
    'all 400 sent',
    async () => {
      const row = await t.deps.db
        .selectFrom('test_outbox')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('at').as('first'), eb.fn.max('at').as('last')])
        .where('gateway_id', '=', gateway.id)
        .executeTakeFirstOrThrow();
      return Number(row.n) >= total ? (new Date(row.last as Date).getTime() - new Date(row.first as Date).getTime()) / 1000 : null;
    },
    90_000,
    200,
  );
  assert.ok(span >= 18.5, `400 messages at 20/s went out in ${span.toFixed(2)} s; the limit must hold across workers`);
  assert.ok(span < 30, `the workers should keep up with the limit (took ${span.toFixed(2)} s)`);
  // The vendor's outbox row is written before the worker records the message as sent (a separate
  // transaction), so the last few may still be "sending" for a moment after the outbox is full.
  const sent = await waitFor(
    'all 400 recorded as sent',
    async () => {
      const row = await t.deps.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'sent').executeTakeFirstOrThrow();
      return Number(row.n) >= total ? Number(row.n) : null;
    },
    10_000,
    100,
  );
  assert.equal(sent, total);
  const outbox = await t.deps.db.selectFrom('test_outbox').select((eb) => eb.fn.countAll<string>().as('n')).where('gateway_id', '=', gateway.id).executeTakeFirstOrThrow();
  assert.equal(Number(outbox.n), total, 'the vendor got each message once');
});
