/**
 * Kill -9 of a separate `rollcall worker` process in the middle of a batch. The server runs without
 * workers (ROLLCALL_RUN_WORKER=false) and queues 100 messages: half through the `test` gateway
 * (idempotent: it recognises a message id it already accepted) and half through a generic `http`
 * gateway to a fake vendor on 127.0.0.1 that answers after 300 ms (not idempotent: plain HTTP has
 * no idempotency key). The worker is killed once the vendor has taken some messages; then, on
 * PostgreSQL, a second `rollcall worker` takes over after the lease; on the embedded database (one
 * process may hold the data folder) the server restarts with its in-process worker.
 *
 * What must hold (docs/architecture.md "Crashes"): every message ends `sent` or `failed`, none stays
 * queued or sending; the idempotent gateway has each message exactly once and every one is sent;
 * the vendor never receives a message twice; an http message is `sent` only if the vendor took it,
 * and one caught by the crash (claimed, maybe in flight) is `failed` GATEWAY_ERROR "may have sent
 * it" — at most once, never a silent duplicate.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { api, type Child, freePort, kill, spawnRollcall, tempDir, waitFor, waitHealthy } from './support/child-server.ts';
import { type FaultyVendor, httpGatewayConfig, startFaultyVendor } from './support/faulty-vendor.ts';
import { createServerDatabase, onPostgres } from './support/test-db.ts';

const children: Child[] = [];
let dropDb: (() => Promise<void>) | null = null;
let vendor: FaultyVendor | null = null;
after(async () => {
  for (const c of children) {
    await kill(c);
  }
  await vendor?.close();
  await dropDb?.();
});

const EACH = 50;

test('a worker process killed mid-batch: every message ends once, the vendor never gets one twice', { timeout: 150_000 }, async () => {
  const pg = await createServerDatabase();
  dropDb = pg?.drop ?? null;
  vendor = await startFaultyVendor((call) => ({ status: 200, body: { vendorId: `v-${call.body.id}` }, delayMs: 300 }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    DATA_DIR: tempDir('rollcall-worker-crash-'),
    ROLLCALL_ADMIN_EMAIL: 'admin@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'admin-password',
    ROLLCALL_SECRET_KEY: 'f'.repeat(64),
    ROLLCALL_DISPATCH_BATCH: '20',
    ROLLCALL_DISPATCH_LEASE_MS: '3000',
    ROLLCALL_RETRY_BASE_MS: '100',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  let server = spawnRollcall('serve', { ...env, ROLLCALL_RUN_WORKER: 'false' });
  children.push(server);
  await waitHealthy(base, server);
  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token as string;
  assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'wk', defaultCountry: 'KE' })).status, 201);
  assert.equal((await api(base, token, 'POST', '/api/v1/projects/wk/gateways', { name: 'slow', type: 'test', config: { delayMs: 400 } })).status, 201);
  const gw = await api(base, token, 'POST', '/api/v1/projects/wk/gateways', { name: 'vendor', type: 'http', config: httpGatewayConfig(vendor.url, 10_000), ratePerSecond: 1000 });
  assert.equal(gw.status, 201, JSON.stringify(gw.json));
  assert.equal((await api(base, token, 'PUT', '/api/v1/projects/wk/gateway-routes', [{ prefix: '254', gateway: 'SLOW' }, { prefix: '256', gateway: 'VENDOR' }])).status, 200);
  const idempotentIds: string[] = [];
  const httpIds: string[] = [];
  for (let i = 0; i < EACH; i++) {
    for (const [prefix, ids] of [['+2547', idempotentIds], ['+2567', httpIds]] as const) {
      const m = await api(base, token, 'POST', '/api/v1/projects/wk/messages', { recipient: { phoneNumber: `${prefix}15${String(i).padStart(6, '0')}` }, text: `m${i}` });
      assert.equal(m.status, 201, JSON.stringify(m.json));
      ids.push(m.json.id as string);
    }
  }
  if (!onPostgres) {
    // The embedded data folder is held by one process at a time: the worker gets it alone.
    await kill(server, 'SIGTERM');
  }

  const first = spawnRollcall('worker', env);
  children.push(first);
  await waitFor(`the worker's first sends (output: ${first.output().slice(-500)})`, async () => vendor && vendor.calls.filter((c) => c.outcome === 200).length >= 8, 90_000, 20);
  await kill(first);
  const seenAtKill = vendor.calls.length;
  assert.ok(seenAtKill < EACH, `killed mid-run (${seenAtKill} vendor calls)`);

  if (onPostgres) {
    const second = spawnRollcall('worker', env);
    children.push(second);
  } else {
    server = spawnRollcall('serve', env);
    children.push(server);
    await waitHealthy(base, server);
  }
  await waitFor(
    'every message to end',
    async () => {
      // A message being sent shows as queued (API.md has no `sending`).
      for (const status of ['queued', 'scheduled']) {
        if ((await api(base, token, 'GET', `/api/v1/projects/wk/messages?status=${status}&limit=1`)).json.items.length > 0) {
          return false;
        }
      }
      return true;
    },
    90_000,
    250,
  );

  const outbox = (await api(base, token, 'GET', '/api/v1/projects/wk/gateways/SLOW/outbox?limit=5000')).json as Array<{ messageId: string; providerMessageId: string }>;
  assert.equal(outbox.length, EACH, 'the idempotent gateway has each message exactly once');
  assert.equal(new Set(outbox.map((o) => o.messageId)).size, EACH);
  for (const id of idempotentIds) {
    const m = (await api(base, token, 'GET', `/api/v1/projects/wk/messages/${id}`)).json;
    assert.equal(m.status, 'sent', `${id}: ${JSON.stringify(m)}`);
  }
  let inDoubt = 0;
  for (const id of httpIds) {
    const m = (await api(base, token, 'GET', `/api/v1/projects/wk/messages/${id}`)).json;
    const calls = vendor.callsFor(id);
    assert.ok(calls.length <= 1, `${id} reached the vendor ${calls.length} times`);
    if (m.status === 'sent') {
      assert.equal(calls.length, 1, `${id} is sent, so the vendor took it`);
      assert.equal(m.providerMessageId, `v-${id}`);
    } else {
      assert.equal(m.status, 'failed', JSON.stringify(m));
      assert.equal(m.errorCode, 'GATEWAY_ERROR', JSON.stringify(m));
      assert.match(m.errorDetail, /worker stopped while sending this message; the gateway may have sent it/);
      inDoubt++;
    }
  }
  console.log(`# worker-crash (${onPostgres ? 'PostgreSQL' : 'PGlite'}): killed after ${seenAtKill} vendor calls; ${inDoubt} http messages failed as in doubt, ${EACH - inDoubt} sent`);
  await kill(server, 'SIGTERM');
});
