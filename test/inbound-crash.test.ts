/**
 * Kill the server between acknowledging a webhook and handling it (kill -9 of a real child process):
 * after a restart the message is handled exactly once.
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

test('an acknowledged STOP survives kill -9 and is handled once', { timeout: 120_000 }, async () => {
  const pg = await createServerDatabase();
  dropDb = pg?.drop ?? null;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    DATA_DIR: tempDir('rollcall-inbound-crash-'),
    ROLLCALL_ADMIN_EMAIL: 'admin@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'admin-password',
    ROLLCALL_SECRET_KEY: 'd'.repeat(64),
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  // First life: no workers, so nothing is handled after the acknowledgement.
  const first = spawnRollcall('serve', { ...env, ROLLCALL_RUN_WORKER: 'false' });
  children.push(first);
  await waitHealthy(base, first);
  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token;
  await api(base, token, 'POST', '/api/v1/projects', { name: 'crash', defaultCountry: 'KE' });
  const gw = (await api(base, token, 'POST', '/api/v1/projects/crash/gateways', { name: 'sms', type: 'test' })).json;
  const hook = new URL(gw.inboundUrl).pathname;
  const ack = await api(base, null, 'POST', hook, { from: '+254718000001', text: 'STOP', messageId: 'crash-1' });
  assert.equal(ack.status, 200);
  await kill(first);

  const second = spawnRollcall('serve', env);
  children.push(second);
  await waitHealthy(base, second);
  // The vendor retries the same delivery after the outage: still one message.
  assert.equal((await api(base, null, 'POST', hook, { from: '+254718000001', text: 'STOP', messageId: 'crash-1' })).status, 200);
  await waitFor('the STOP to be handled', async () => (await api(base, token, 'GET', '/api/v1/projects/crash/phone-numbers/%2B254718000001')).json.optedOut === true);
  await waitFor('the confirmation to go out', async () => (await api(base, token, 'GET', '/api/v1/projects/crash/gateways/SMS/outbox')).json.length >= 1);
  await new Promise((r) => setTimeout(r, 1000));
  const history = (await api(base, token, 'GET', '/api/v1/projects/crash/phone-numbers/%2B254718000001/consent')).json;
  assert.deepEqual(history.map((e: { action: string }) => e.action), ['opt-out']);
  const outbox = (await api(base, token, 'GET', '/api/v1/projects/crash/gateways/SMS/outbox')).json;
  assert.equal(outbox.length, 1);
  const inbound = (await api(base, token, 'GET', '/api/v1/projects/crash/messages?direction=in')).json.items;
  assert.equal(inbound.length, 1);
  await kill(second, 'SIGTERM');
});
