/**
 * Kill the process that is sending in the middle of a batch (a real child process, kill -9): after a
 * restart every message ends sent or failed, none is lost, and none the provider accepted is sent
 * again. Runs on the embedded database (the server's in-process worker) and, in CI, on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { api, type Child, freePort, kill, spawnRollcall, tempDir, waitFor, waitHealthy } from './support/child-server.ts';
import { createServerDatabase } from './support/test-db.ts';

const children: Child[] = [];
let dropDb: (() => Promise<void>) | null = null;
after(async () => {
  for (const c of children) {
    await kill(c);
  }
  await dropDb?.();
});

test('a server killed mid-batch loses and repeats nothing', { timeout: 180_000 }, async () => {
  const pg = await createServerDatabase();
  dropDb = pg?.drop ?? null;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    DATA_DIR: tempDir('rollcall-crash-'),
    ROLLCALL_ADMIN_EMAIL: 'admin@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'admin-password',
    ROLLCALL_SECRET_KEY: 'a'.repeat(64),
    ROLLCALL_DISPATCH_BATCH: '40',
    ROLLCALL_DISPATCH_LEASE_MS: '1500',
    ROLLCALL_RETRY_BASE_MS: '100',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  const first = spawnRollcall('serve', env);
  children.push(first);
  await waitHealthy(base, first);
  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token;
  assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'crash', defaultCountry: 'KE' })).status, 201);
  // A slow gateway: each batch takes 400 ms, so a kill lands mid-batch.
  assert.equal((await api(base, token, 'POST', '/api/v1/projects/crash/gateways', { name: 'slow', type: 'test', config: { delayMs: 400 } })).status, 201);
  assert.equal((await api(base, token, 'PUT', '/api/v1/projects/crash/gateway-routes', [{ prefix: '*', gateway: 'SLOW' }])).status, 200);
  const total = 200;
  const ids: string[] = [];
  for (let i = 0; i < total; i++) {
    const m = await api(base, token, 'POST', '/api/v1/projects/crash/messages', { recipient: { phoneNumber: `+2547140${String(i).padStart(5, '0')}` }, text: `m${i}` });
    assert.equal(m.status, 201);
    ids.push(m.json.id);
  }
  // Wait until some, not all, have gone out; then kill -9 in the middle of a batch.
  await waitFor('first sends', async () => {
    const out = (await api(base, token, 'GET', '/api/v1/projects/crash/gateways/SLOW/outbox')).json;
    return out.length >= 40 && out.length < total;
  });
  await new Promise((r) => setTimeout(r, 150));
  await kill(first);

  const second = spawnRollcall('serve', env);
  children.push(second);
  await waitHealthy(base, second);
  await waitFor(
    'every message to end',
    async () => {
      const queued = (await api(base, token, 'GET', '/api/v1/projects/crash/messages?status=queued&limit=1')).json;
      return queued.items.length === 0;
    },
    120_000,
    250,
  );
  const outbox = (await api(base, token, 'GET', '/api/v1/projects/crash/gateways/SLOW/outbox?limit=5000')).json as Array<{ messageId: string; providerMessageId: string }>;
  const byMessage = new Map(outbox.map((o) => [o.messageId, o.providerMessageId]));
  assert.equal(outbox.length, total, 'each message reached the gateway exactly once');
  assert.equal(byMessage.size, total);
  for (const id of ids) {
    const m = (await api(base, token, 'GET', `/api/v1/projects/crash/messages/${id}`)).json;
    assert.equal(m.status, 'sent', `${id}: ${JSON.stringify(m)}`);
    assert.equal(m.providerMessageId, byMessage.get(id), 'the message keeps the id the gateway first gave it');
  }
  await kill(second, 'SIGTERM');
});
